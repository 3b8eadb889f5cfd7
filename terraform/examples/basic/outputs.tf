output "bootstrap_brokers" {
  description = "bootstrap.servers: every node's host:port."
  value       = module.strata.bootstrap_brokers
}

output "bootstrap_brokers_nlb" {
  description = "bootstrap.servers through the load balancer."
  value       = module.strata.bootstrap_brokers_nlb
}

output "admin_urls" {
  description = "Admin URLs of the nodes."
  value       = module.strata.admin_urls
}

output "bucket_name" {
  description = "Segment bucket."
  value       = module.strata.bucket_name
}

output "fdb_cluster_file_parameter" {
  description = "SSM parameter holding fdb.cluster."
  value       = module.strata.fdb_cluster_file_parameter
}

output "nodes" {
  description = "The nodes by node id."
  value       = module.strata.nodes
}

output "prometheus_scrape_config" {
  description = "Prometheus scrape_configs for the nodes."
  value       = module.strata.prometheus_scrape_config
}
