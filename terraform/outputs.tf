output "bootstrap_brokers" {
  description = "bootstrap.servers for Kafka clients: every node's advertised host:port (clients connect to each node directly after bootstrap)."
  value       = module.nodes.bootstrap_brokers
}

output "bootstrap_brokers_nlb" {
  description = "bootstrap.servers through the Network Load Balancer (one stable name; null without it)."
  value       = module.nodes.bootstrap_brokers_nlb
}

output "admin_urls" {
  description = "Admin HTTP base URL of every node, by node id (/health, /ready, /metrics)."
  value       = module.nodes.admin_urls
}

output "nodes" {
  description = "The Strata nodes by node id: name, instance id, private IP, advertised host, availability zone, data volume."
  value       = module.nodes.nodes
}

output "bucket_name" {
  description = "S3 bucket of the sealed segments."
  value       = module.bucket.bucket_name
}

output "bucket_arn" {
  description = "ARN of the segment bucket."
  value       = module.bucket.bucket_arn
}

output "object_store_url" {
  description = "The object.store setting of the nodes (s3://bucket/prefix?region=…)."
  value       = module.object_store.url
}

output "fdb_cluster_file_parameter" {
  description = "Name of the SSM parameter holding fdb.cluster (null without FoundationDB): aws ssm get-parameter --name … --query Parameter.Value --output text > fdb.cluster."
  value       = local.use_fdb ? module.fdb[0].cluster_file_parameter_name : null
}

output "fdb_cluster_file_parameter_arn" {
  description = "ARN of the SSM parameter holding fdb.cluster (null without FoundationDB)."
  value       = local.use_fdb ? module.fdb[0].cluster_file_parameter_arn : null
}

output "fdb_cluster_string" {
  description = "The content of fdb.cluster: description:id@coordinators (null without FoundationDB)."
  value       = local.use_fdb ? module.fdb[0].cluster_string : null
}

output "fdb_servers" {
  description = "The FoundationDB servers by index: name, instance id, private IP, availability zone, coordinator or not (empty without FoundationDB)."
  value       = local.use_fdb ? module.fdb[0].servers : {}
}

output "strata_security_group_id" {
  description = "Security group of the Strata nodes (allow it in your database's or clients' rules)."
  value       = module.security_groups.strata_security_group_id
}

output "fdb_security_group_id" {
  description = "Security group of the FoundationDB servers (null without FoundationDB)."
  value       = module.security_groups.fdb_security_group_id
}

output "nlb_security_group_id" {
  description = "Security group of the load balancer (null without it)."
  value       = module.security_groups.nlb_security_group_id
}

output "strata_role_arn" {
  description = "IAM role of the Strata nodes."
  value       = module.iam.strata_role_arn
}

output "strata_role_name" {
  description = "IAM role name of the Strata nodes (to attach further policies)."
  value       = module.iam.strata_role_name
}

output "nlb_dns_name" {
  description = "DNS name of the load balancer (null without it)."
  value       = module.nodes.nlb_dns_name
}

output "prometheus_scrape_config" {
  description = "Prometheus scrape_configs (YAML) for the nodes' admin ports, labelled with node_id, az and cluster."
  value       = module.prometheus.scrape_configs
}
