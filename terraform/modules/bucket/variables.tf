variable "create" {
  description = "Create the bucket; false uses the existing bucket named bucket_name."
  type        = bool
  default     = true
  nullable    = false
}

variable "bucket_name" {
  description = "Name of the bucket to create, or of the existing bucket (create = false). Null with create = true generates a name from bucket_name_prefix."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)."
  }

  validation {
    condition     = var.create || var.bucket_name != null
    error_message = "bucket_name is required when create is false (the existing bucket to use)."
  }
}

variable "bucket_name_prefix" {
  description = "Prefix of the generated bucket name when bucket_name is null."
  type        = string
  default     = "strata-segments-"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{0,36}$", var.bucket_name_prefix))
    error_message = "bucket_name_prefix must be at most 37 lower-case letters, digits, dots and hyphens."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete a bucket that still holds objects (test stacks only)."
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS; null encrypts with S3-managed keys (SSE-S3)."
  type        = string
  default     = null
}

variable "versioning" {
  description = "Keep object versions (noncurrent versions then expire after noncurrent_version_expiration_days). Strata does not need it: it deletes segments itself by retention."
  type        = bool
  default     = false
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "With versioning, delete noncurrent versions after this many days."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Abort multipart uploads (segment uploads of a node that died) left incomplete this many days."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1
    error_message = "abort_incomplete_multipart_upload_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags of the bucket."
  type        = map(string)
  default     = {}
  nullable    = false
}
