variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the deployment (cluster.name, resource prefix)."
  type        = string
  default     = "strata-basic"
}

variable "vpc_id" {
  description = "Existing VPC."
  type        = string
}

variable "private_subnet_ids" {
  description = "Three private subnets, one per availability zone (with a NAT gateway or VPC endpoints for S3, SSM and the package downloads)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) == 3
    error_message = "This example spreads 3 nodes and 3 coordinators over 3 availability zones: give 3 subnets."
  }
}

variable "strata_artifact_url" {
  description = "strata.jar: s3://bucket/key or https://…."
  type        = string
}

variable "strata_artifact_sha256" {
  description = "SHA-256 of strata.jar (sha256sum ingest/target/strata.jar), or null."
  type        = string
  default     = null
}

variable "client_cidr_blocks" {
  description = "CIDR blocks of the Kafka clients (e.g. the VPC's CIDR)."
  type        = list(string)
}

variable "monitoring_cidr_blocks" {
  description = "CIDR blocks of Prometheus and operators (admin port)."
  type        = list(string)
  default     = []
}
