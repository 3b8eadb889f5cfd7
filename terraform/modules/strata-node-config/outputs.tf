output "strata_yaml" {
  description = "The node's strata.yaml."
  value       = local.strata_yaml
}

output "settings" {
  description = "The settings rendered into strata.yaml, as a map of strings (key → value)."
  value       = { for s in local.rendered_settings : s.key => s.value }
}

output "systemd_unit" {
  description = "The strata.service systemd unit."
  value       = local.systemd_unit
}

output "fetch_metastore_script" {
  description = "The ExecStartPre script that fetches the MetaStore URL from its secret (null without metastore_secret)."
  value       = local.fetch_metastore_script
}

output "bootstrap_script" {
  description = "The script cloud-init runs once per instance (null without artifact_url)."
  value       = local.bootstrap_script
}

output "cloud_init" {
  description = "The #cloud-config user data of the node (null without artifact_url). Holds no secret."
  value       = local.cloud_init
}

output "config_hash" {
  description = "SHA-256 of everything rendered for the node; changes when the node needs replacing to pick up new configuration."
  value       = sha256(join("\n", compact([local.strata_yaml, local.systemd_unit, local.fetch_metastore_script, local.bootstrap_script])))
}

output "fdb_clients_package_url" {
  description = "URL of the FoundationDB client package installed on the node (null without an fdb: MetaStore)."
  value       = local.fdb_clients_package_url
}

output "config_path" {
  description = "Path of strata.yaml on the node."
  value       = var.config_path
}
