output "strata_security_group_id" {
  description = "Security group of the Strata nodes."
  value       = aws_security_group.strata.id
}

output "fdb_security_group_id" {
  description = "Security group of the FoundationDB servers (null without FoundationDB)."
  value       = var.create_fdb ? aws_security_group.fdb[0].id : null
}

output "nlb_security_group_id" {
  description = "Security group of the bootstrap load balancer (null without it)."
  value       = var.create_nlb ? aws_security_group.nlb[0].id : null
}
