variable "name" {
  description = "Name prefix of the security groups."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the security groups."
  type        = string
}

variable "kafka_port" {
  description = "Kafka listener port of the Strata nodes."
  type        = number
}

variable "admin_port" {
  description = "Admin HTTP port of the Strata nodes (/ready, /metrics)."
  type        = number
}

variable "create_fdb" {
  description = "Create the FoundationDB servers' security group."
  type        = bool
  nullable    = false
}

variable "fdb_ports" {
  description = "First and last fdbserver port."
  type = object({
    from = number
    to   = number
  })
  default = { from = 4500, to = 4500 }
}

variable "create_nlb" {
  description = "Create the load balancer's security group."
  type        = bool
  nullable    = false
}

variable "client_cidr_blocks" {
  description = "CIDR blocks (IPv4 or IPv6) of the Kafka clients."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.client_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "client_cidr_blocks must be CIDR blocks."
  }
}

variable "client_security_group_ids" {
  description = "Security groups of the Kafka clients."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "monitoring_cidr_blocks" {
  description = "CIDR blocks allowed to the admin port (Prometheus, health checks of operators)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.monitoring_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "monitoring_cidr_blocks must be CIDR blocks."
  }
}

variable "monitoring_security_group_ids" {
  description = "Security groups allowed to the admin port."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags of the security groups."
  type        = map(string)
  default     = {}
  nullable    = false
}
