output "strata_instance_profile_name" {
  description = "Instance profile of the Strata nodes (available once its policy is in place)."
  value       = aws_iam_instance_profile.strata.name
  depends_on  = [aws_iam_role_policy.strata, aws_iam_role_policy.strata_session_manager]
}

output "strata_role_arn" {
  description = "Role of the Strata nodes."
  value       = aws_iam_role.strata.arn
}

output "strata_role_name" {
  description = "Role name of the Strata nodes (to attach further policies)."
  value       = aws_iam_role.strata.name
}

output "strata_policy_json" {
  description = "The Strata nodes' inline policy."
  value       = data.aws_iam_policy_document.strata.json
}

output "fdb_instance_profile_name" {
  description = "Instance profile of the FoundationDB servers (null without them)."
  value       = var.create_fdb_role ? aws_iam_instance_profile.fdb[0].name : null
  depends_on  = [aws_iam_role_policy.fdb, aws_iam_role_policy.fdb_session_manager]
}

output "fdb_role_arn" {
  description = "Role of the FoundationDB servers (null without them)."
  value       = var.create_fdb_role ? aws_iam_role.fdb[0].arn : null
}
