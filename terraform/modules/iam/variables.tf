variable "name" {
  description = "Name prefix of the roles and instance profiles."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of the segment bucket."
  type        = string
}

variable "object_arn_pattern" {
  description = "ARN pattern of the objects the nodes may read, write and delete (arn:aws:s3:::bucket/prefix/*)."
  type        = string
}

variable "list_prefix_condition" {
  description = "s3:prefix pattern ListBucket is limited to (\"prefix/*\"; \"*\" for the whole bucket)."
  type        = string
}

variable "bucket_kms_key_arn" {
  description = "KMS key of the bucket (SSE-KMS), or null."
  type        = string
  default     = null
}

variable "artifact_object_arn" {
  description = "ARN of strata.jar when it comes from S3 (s3:GetObject on that object only), or null."
  type        = string
  default     = null
}

variable "fdb_cluster_file_parameter_arn" {
  description = "ARN of the SSM parameter holding fdb.cluster, or null without FoundationDB."
  type        = string
  default     = null
}

variable "create_fdb_role" {
  description = "Create the FoundationDB servers' role and instance profile."
  type        = bool
  nullable    = false
}

variable "metastore_secret_arn" {
  description = "ARN of the secret (Secrets Manager) or SecureString parameter (SSM) holding the MetaStore URL, or null."
  type        = string
  default     = null
}

variable "metastore_secret_kms_key_arn" {
  description = "Customer-managed KMS key the MetaStore secret is encrypted with, or null (AWS-managed key)."
  type        = string
  default     = null
}

variable "enable_ssm_session_manager" {
  description = "Let operators reach the instances with Session Manager (no SSH, no bastion): the agent's channel permissions only, not AmazonSSMManagedInstanceCore (which reads every SSM parameter)."
  type        = bool
  default     = true
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles, or null."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the roles."
  type        = map(string)
  default     = {}
  nullable    = false
}
