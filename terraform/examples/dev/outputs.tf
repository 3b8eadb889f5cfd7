output "bootstrap_brokers" {
  description = "bootstrap.servers: the node's host:port."
  value       = module.strata.bootstrap_brokers
}

output "admin_urls" {
  description = "Admin URL of the node."
  value       = module.strata.admin_urls
}

output "bucket_name" {
  description = "Segment bucket."
  value       = module.strata.bucket_name
}

output "metastore_secret_arn" {
  description = "Secret holding the MetaStore URL."
  value       = local.create_database ? aws_secretsmanager_secret.metastore[0].arn : var.metastore_secret_arn
}

output "metastore_endpoint" {
  description = "Address of the RDS instance (null with an existing database)."
  value       = local.create_database ? aws_db_instance.metastore[0].address : null
}
