output "cluster_string" {
  description = "The cluster file's one line: description:id@coordinator:port,… (the SSM parameter's value)."
  value       = local.cluster_string
}

output "cluster_file" {
  description = "The text of /etc/foundationdb/fdb.cluster (the cluster string and a newline)."
  value       = "${local.cluster_string}\n"
}

output "coordinators" {
  description = "The coordinators' address:port, in order."
  value       = local.coordinators
}

output "configure_command" {
  description = "The fdbcli command that creates the database (run once, by the first coordinator)."
  value       = local.configure_command
}

output "configure_script" {
  description = "The guarded script that runs configure_command at most once."
  value       = local.configure_script
}

output "foundationdb_conf" {
  description = "Each server's foundationdb.conf, by server index (\"0\", \"1\", …)."
  value       = local.foundationdb_conf
}

output "systemd_unit" {
  description = "The foundationdb.service unit (fdbmonitor)."
  value       = local.systemd_unit
}

output "bootstrap_scripts" {
  description = "Each server's bootstrap script, by server index (empty without cluster_file_parameter)."
  value       = local.bootstrap_scripts
}

output "cloud_init" {
  description = "Each server's #cloud-config user data, by server index (empty without cluster_file_parameter)."
  value       = local.cloud_init
}

output "ports" {
  description = "The fdbserver ports on every host (first and last, for security group rules)."
  value = {
    from = var.port
    to   = var.port + var.processes_per_host - 1
  }
}

output "package_urls" {
  description = "URLs of the FoundationDB packages for os_family: clients and server."
  value       = local.package_urls
}
