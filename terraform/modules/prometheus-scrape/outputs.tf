output "scrape_configs" {
  description = "A prometheus.yml fragment: \"scrape_configs:\" with the Strata job, ready to merge into a Prometheus configuration."
  value       = local.document
}

output "job" {
  description = "The job alone (one list element, indented for a scrape_configs list)."
  value       = local.job
}

output "targets" {
  description = "The targets as host:port strings."
  value       = [for t in var.targets : "${t.address}:${t.port}"]
}
