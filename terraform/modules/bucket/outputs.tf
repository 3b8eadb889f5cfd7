output "bucket_name" {
  description = "Name of the bucket."
  value       = local.bucket_id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = var.create ? aws_s3_bucket.this[0].arn : data.aws_s3_bucket.existing[0].arn
}

output "bucket_region" {
  description = "Region of the bucket."
  value       = var.create ? aws_s3_bucket.this[0].region : data.aws_s3_bucket.existing[0].region
}
