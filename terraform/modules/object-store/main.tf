# The object.store URL Strata reads (s3://bucket/prefix?region=…) and the IAM resource patterns
# that give a node exactly that prefix of the bucket.
locals {
  prefix = trimsuffix(var.key_prefix, "/")

  query = join("&", compact([
    var.endpoint == null ? "" : "endpoint=${var.endpoint}",
    "region=${var.region}",
  ]))

  url = "s3://${var.bucket_name}${local.prefix == "" ? "" : "/${local.prefix}"}?${local.query}"

  bucket_arn = "arn:${var.partition}:s3:::${var.bucket_name}"

  # Strata writes keys as "<prefix>/<key>", so the IAM patterns end in "/*".
  list_prefix        = local.prefix == "" ? "*" : "${local.prefix}/*"
  object_arn_pattern = "${local.bucket_arn}/${local.list_prefix}"
}
