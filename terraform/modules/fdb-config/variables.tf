########################################
# The cluster
########################################

variable "cluster_description" {
  description = "Description part of the cluster file (description:id@coordinators): letters, digits and underscores."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,64}$", var.cluster_description))
    error_message = "cluster_description must be 1 to 64 letters, digits or underscores (the fdb.cluster format)."
  }
}

variable "cluster_id" {
  description = "Random id part of the cluster file, generated once (the AWS deployment takes 16 hex digits of a uuid(), kept by terraform_data) so that a new cluster never joins an old one's coordinators."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{8,64}$", var.cluster_id))
    error_message = "cluster_id must be 8 to 64 letters, digits or underscores (the fdb.cluster format)."
  }
}

variable "servers" {
  description = "The FoundationDB hosts, in order: name (unique, used as machine id), private address (known before boot, e.g. from a pre-created ENI), availability zone, and optionally the EBS data volume id. The first coordinator_count servers are the coordinators."
  type = list(object({
    name           = string
    address        = string
    az             = string
    data_volume_id = optional(string)
  }))

  validation {
    condition     = length(var.servers) >= 1
    error_message = "At least one FoundationDB server is needed."
  }

  validation {
    condition     = alltrue([for s in var.servers : can(regex("^[A-Za-z0-9_-]{1,64}$", s.name)) && can(regex("^[A-Za-z0-9_-]{1,64}$", s.az))])
    error_message = "Server names and availability zones may only contain letters, digits, '_' and '-'."
  }

  validation {
    condition     = length(distinct([for s in var.servers : s.name])) == length(var.servers)
    error_message = "Server names must be unique."
  }

  validation {
    condition     = alltrue([for s in var.servers : can(regex("^[0-9]{1,3}(\\.[0-9]{1,3}){3}$", s.address))])
    error_message = "Server addresses must be IPv4 addresses (the cluster file names coordinators by address)."
  }

  validation {
    condition     = length(distinct([for s in var.servers : s.address])) == length(var.servers)
    error_message = "Server addresses must be unique."
  }

  validation {
    condition     = alltrue([for s in var.servers : s.data_volume_id == null ? true : can(regex("^vol-[0-9a-f]{8,17}$", s.data_volume_id))])
    error_message = "data_volume_id must be an EBS volume id (vol-…)."
  }
}

variable "coordinator_count" {
  description = "Number of coordinators: odd (a majority must survive), at most the number of servers; they are the first servers of the list."
  type        = number
  default     = 3

  validation {
    condition     = var.coordinator_count >= 1 && var.coordinator_count % 2 == 1
    error_message = "coordinator_count must be odd (1, 3, 5, …): an even count tolerates no more failures than the odd count below it."
  }

  validation {
    condition     = var.coordinator_count <= length(var.servers)
    error_message = "coordinator_count exceeds the number of servers."
  }

  validation {
    condition = (
      length(distinct([for s in slice(var.servers, 0, min(var.coordinator_count, length(var.servers))) : s.az]))
      >= min(var.coordinator_count, length(distinct([for s in var.servers : s.az])))
    )
    error_message = "The coordinators (the first servers) must be spread over as many availability zones as there are (order the servers round-robin over the zones)."
  }
}

variable "redundancy_mode" {
  description = "Redundancy mode given to `configure new`: double (2 replicas in 2 zones), triple (3 replicas in 3 zones) or three_data_hall (3 storage replicas in 3 data halls = AZs, logs in 2 halls x 2 hosts). With double and triple the zone is the AZ, so replicas are spread over AZs."
  type        = string
  default     = "double"

  validation {
    condition     = contains(["double", "triple", "three_data_hall"], var.redundancy_mode)
    error_message = "redundancy_mode must be double, triple or three_data_hall."
  }

  validation {
    condition = length(distinct([for s in var.servers : s.az])) >= lookup({
      double          = 2
      triple          = 3
      three_data_hall = 3
    }, var.redundancy_mode, 1)
    error_message = "Too few availability zones for redundancy_mode: double needs servers in 2 AZs, triple and three_data_hall in 3 AZs (zone and data hall are the AZ)."
  }

  validation {
    condition = var.redundancy_mode != "three_data_hall" || alltrue([
      for az in distinct([for s in var.servers : s.az]) : length([for s in var.servers : s if s.az == az]) >= 2
    ])
    error_message = "three_data_hall keeps 2 log replicas on 2 hosts in each of 2 data halls: give every AZ at least 2 servers (6 for 3 AZs)."
  }
}

variable "storage_engine" {
  description = "Storage engine given to `configure new`."
  type        = string
  default     = "ssd-2"

  validation {
    condition     = contains(["ssd", "ssd-2", "ssd-redwood-1", "memory"], var.storage_engine)
    error_message = "storage_engine must be ssd, ssd-2, ssd-redwood-1 or memory."
  }
}

########################################
# Processes
########################################

variable "port" {
  description = "Port of the first fdbserver process on each host; further processes use the next ports."
  type        = number
  default     = 4500

  validation {
    condition     = var.port >= 1024 && var.port <= 65000
    error_message = "port must be between 1024 and 65000."
  }
}

variable "processes_per_host" {
  description = "fdbserver processes per host: one per physical core."
  type        = number
  default     = 1

  validation {
    condition     = var.processes_per_host >= 1 && var.processes_per_host <= 64 && floor(var.processes_per_host) == var.processes_per_host
    error_message = "processes_per_host must be a whole number between 1 and 64."
  }
}

variable "process_classes" {
  description = "Optional process class per process index on every host (e.g. [\"storage\", \"storage\", \"log\", \"stateless\"]); missing entries and \"unset\" leave the class unset."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.process_classes : contains(["unset", "storage", "transaction", "log", "stateless", "proxy", "commit_proxy", "grv_proxy", "resolution", "master", "cluster_controller"], c)])
    error_message = "process_classes entries must be FoundationDB process classes (storage, transaction, log, stateless, …) or unset."
  }

  validation {
    condition     = length(var.process_classes) <= var.processes_per_host
    error_message = "process_classes has more entries than processes_per_host."
  }
}

variable "memory_per_process" {
  description = "The memory limit of each fdbserver process (e.g. 8GiB, FoundationDB's default); size it so that processes_per_host of them fit in the host's memory."
  type        = string
  default     = "8GiB"

  validation {
    condition     = can(regex("^[0-9]+(MiB|GiB)$", var.memory_per_process))
    error_message = "memory_per_process must be a size in MiB or GiB, e.g. 6144MiB."
  }
}

########################################
# Installation (cloud-init)
########################################

variable "fdb_version" {
  description = "FoundationDB version of the server and client packages (7.3 line)."
  type        = string
  default     = "7.3.68"

  validation {
    condition     = can(regex("^7\\.3\\.[0-9]+$", var.fdb_version))
    error_message = "fdb_version must be a 7.3.x release (Strata uses FoundationDB API version 730)."
  }
}

variable "fdb_package_base_url" {
  description = "Base URL of the FoundationDB packages: <base>/<version>/<package file>."
  type        = string
  default     = "https://github.com/apple/foundationdb/releases/download"

  validation {
    condition     = can(regex("^https?://[^'\\s]+[^/]$", var.fdb_package_base_url))
    error_message = "fdb_package_base_url must be an http(s) URL without a trailing slash."
  }
}

variable "os_family" {
  description = "Operating system of the image: al2023 (rpm packages) or ubuntu (deb packages)."
  type        = string
  default     = "al2023"

  validation {
    condition     = contains(["al2023", "ubuntu"], var.os_family)
    error_message = "os_family must be al2023 or ubuntu."
  }
}

variable "cluster_file_parameter" {
  description = "Name of the SSM parameter that holds the cluster file (the servers fetch it at first boot). Null renders no cloud-init."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_file_parameter == null || can(regex("^[A-Za-z0-9_./-]+$", var.cluster_file_parameter))
    error_message = "cluster_file_parameter must be an SSM parameter name."
  }
}

variable "aws_region" {
  description = "Region of the SSM parameter (for the servers' AWS CLI)."
  type        = string
  default     = null

  validation {
    condition     = var.aws_region == null ? var.cluster_file_parameter == null : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.aws_region))
    error_message = "aws_region must look like eu-west-1, and is required with cluster_file_parameter."
  }
}

variable "foundationdb_uid" {
  description = "User and group id of the foundationdb system user (created before the packages), fixed so that a data volume keeps its owner when its instance is replaced on another image."
  type        = number
  default     = 2502

  validation {
    condition     = var.foundationdb_uid >= 100 && var.foundationdb_uid < 65000 && floor(var.foundationdb_uid) == var.foundationdb_uid
    error_message = "foundationdb_uid must be a whole number from 100 to 64999."
  }
}
