variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the deployment (cluster.name, resource prefix)."
  type        = string
  default     = "strata-dev"
}

variable "vpc_id" {
  description = "Existing VPC."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets: the node goes to the first; an RDS subnet group needs subnets in at least two availability zones."
  type        = list(string)
}

variable "strata_artifact_url" {
  description = "strata.jar: s3://bucket/key or https://…."
  type        = string
}

variable "strata_artifact_sha256" {
  description = "SHA-256 of strata.jar, or null."
  type        = string
  default     = null
}

variable "client_cidr_blocks" {
  description = "CIDR blocks of the Kafka clients."
  type        = list(string)
}

variable "metastore_secret_arn" {
  description = "ARN of an existing secret (Secrets Manager or SSM SecureString) holding a postgresql:// URL; null creates a small RDS PostgreSQL instance and the secret."
  type        = string
  default     = null
}

variable "db_instance_class" {
  description = "Instance class of the RDS PostgreSQL MetaStore (when created)."
  type        = string
  default     = "db.t4g.micro"
}
