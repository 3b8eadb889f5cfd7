variable "bucket_name" {
  description = "Name of the S3 bucket that holds sealed segments."
  type        = string

  validation {
    condition     = length(var.bucket_name) > 0
    error_message = "bucket_name must not be empty."
  }

  validation {
    condition     = length(var.bucket_name) == 0 || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }
}

variable "key_prefix" {
  description = "Key prefix under which Strata writes its objects (e.g. \"strata\" or \"prod/strata\"); empty for the whole bucket. A trailing slash is ignored."
  type        = string
  default     = "strata"
  nullable    = false

  validation {
    condition     = !startswith(var.key_prefix, "/") && !strcontains(var.key_prefix, "//") && can(regex("^[A-Za-z0-9!_.*'()/-]*$", var.key_prefix))
    error_message = "key_prefix must not start with '/' nor contain '//', and may only use S3's safe key characters (letters, digits, ! _ . * ' ( ) - /)."
  }
}

variable "region" {
  description = "AWS region of the bucket (e.g. eu-west-1)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must look like an AWS region name, e.g. eu-west-1."
  }
}

variable "endpoint" {
  description = "Endpoint of an S3-compatible server (http(s)://host:port); null for AWS S3."
  type        = string
  default     = null

  validation {
    condition     = var.endpoint == null || can(regex("^https?://[^/?#]+/?$", var.endpoint))
    error_message = "endpoint must be http(s)://host[:port]."
  }
}

variable "partition" {
  description = "AWS partition for the ARNs (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"
  nullable    = false

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be aws, aws-cn or aws-us-gov."
  }
}
