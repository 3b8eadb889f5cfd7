output "url" {
  description = "The object.store setting: s3://bucket[/prefix]?[endpoint=…&]region=…"
  value       = local.url
}

output "key_prefix" {
  description = "The key prefix without a trailing slash (empty for the whole bucket)."
  value       = local.prefix
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = local.bucket_arn
}

output "object_arn_pattern" {
  description = "ARN pattern of the objects under the prefix, for IAM (arn:aws:s3:::bucket/prefix/*)."
  value       = local.object_arn_pattern
}

output "list_prefix_condition" {
  description = "Value for an s3:prefix StringLike condition that limits ListBucket to the prefix."
  value       = local.list_prefix
}
