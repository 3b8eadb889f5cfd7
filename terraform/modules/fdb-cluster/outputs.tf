output "cluster_string" {
  description = "The cluster file's line (description:id@coordinators)."
  value       = module.config.cluster_string
}

output "cluster_file_parameter_name" {
  description = "Name of the SSM parameter holding fdb.cluster."
  value       = aws_ssm_parameter.cluster_file.name
}

output "cluster_file_parameter_arn" {
  description = "ARN of the SSM parameter holding fdb.cluster."
  value       = aws_ssm_parameter.cluster_file.arn
}

output "coordinators" {
  description = "Coordinators (address:port)."
  value       = module.config.coordinators
}

output "ports" {
  description = "First and last fdbserver port on every host."
  value       = module.config.ports
}

output "configure_command" {
  description = "The command the first coordinator ran once to create the database."
  value       = module.config.configure_command
}

output "servers" {
  description = "The servers by index: name, instance id, private IP, availability zone, data volume."
  value = {
    for k, s in local.servers : k => {
      name           = s.name
      instance_id    = aws_instance.server[k].id
      private_ip     = aws_network_interface.server[k].private_ip
      az             = s.az
      coordinator    = s.index < var.coordinator_count
      data_volume_id = aws_ebs_volume.data[k].id
    }
  }
}
