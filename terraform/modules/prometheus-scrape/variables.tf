variable "job_name" {
  description = "Prometheus job name of the Strata nodes."
  type        = string
  default     = "strata"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_-]*$", var.job_name))
    error_message = "job_name must be a non-empty name of letters, digits, '_' and '-'."
  }
}

variable "cluster_name" {
  description = "Value of the cluster label on every target."
  type        = string

  validation {
    condition     = length(var.cluster_name) > 0
    error_message = "cluster_name must not be empty."
  }
}

variable "targets" {
  description = "The nodes to scrape: node id, address (IP or DNS name), admin port and availability zone."
  type = list(object({
    node_id = number
    address = string
    port    = number
    az      = string
  }))

  validation {
    condition     = length(var.targets) >= 1
    error_message = "At least one target is needed."
  }

  validation {
    condition     = length(distinct([for t in var.targets : t.node_id])) == length(var.targets)
    error_message = "Node ids must be unique."
  }

  validation {
    condition     = alltrue([for t in var.targets : t.port >= 1 && t.port <= 65535])
    error_message = "Target ports must be between 1 and 65535."
  }
}

variable "scrape_interval" {
  description = "How often Prometheus scrapes the nodes (a Prometheus duration, e.g. 15s)."
  type        = string
  default     = "15s"

  validation {
    condition     = can(regex("^[0-9]+(ms|s|m|h)$", var.scrape_interval))
    error_message = "scrape_interval must be a Prometheus duration such as 15s or 1m."
  }
}

variable "metrics_path" {
  description = "Path of the metrics on the admin port."
  type        = string
  default     = "/metrics"

  validation {
    condition     = startswith(var.metrics_path, "/")
    error_message = "metrics_path must start with '/'."
  }
}

variable "extra_labels" {
  description = "Labels added to every target (e.g. { env = \"prod\" })."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.extra_labels) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k)) && !contains(["node_id", "az", "cluster"], k)])
    error_message = "extra_labels keys must be Prometheus label names other than node_id, az and cluster."
  }
}
