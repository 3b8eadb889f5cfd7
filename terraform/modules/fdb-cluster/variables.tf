variable "name" {
  description = "Name of the deployment: prefix of every resource and the cluster file's description."
  type        = string
}

variable "subnets" {
  description = "Subnets the servers are spread over, round-robin, each with its availability zone."
  type = list(object({
    id = string
    az = string
  }))

  validation {
    condition     = length(var.subnets) >= 1
    error_message = "At least one subnet is needed."
  }
}

variable "aws_region" {
  description = "Region of the deployment (the servers' AWS CLI calls)."
  type        = string
}

variable "server_count" {
  description = "Number of FoundationDB hosts."
  type        = number
  default     = 3
}

variable "coordinator_count" {
  description = "Number of coordinators (odd): the first servers."
  type        = number
  default     = 3
}

variable "redundancy_mode" {
  description = "double, triple or three_data_hall."
  type        = string
  default     = "double"
}

variable "storage_engine" {
  description = "Storage engine of `configure new`."
  type        = string
  default     = "ssd-2"
}

variable "processes_per_host" {
  description = "fdbserver processes per host; null: one per physical core of instance_type."
  type        = number
  default     = null
}

variable "process_classes" {
  description = "Process class per process index (see modules/fdb-config)."
  type        = list(string)
  default     = []
}

variable "instance_type" {
  description = "EC2 instance type of the servers."
  type        = string
  default     = "m6i.xlarge"
}

variable "ami_id" {
  description = "AMI of the servers; null: the latest Amazon Linux 2023 (al2023) or Ubuntu 22.04 (ubuntu) x86_64 image."
  type        = string
  default     = null
}

variable "os_family" {
  description = "al2023 or ubuntu (must match the AMI)."
  type        = string
  default     = "al2023"
}

variable "key_name" {
  description = "EC2 key pair for SSH, or null (Session Manager)."
  type        = string
  default     = null
}

variable "instance_profile_name" {
  description = "Instance profile of the servers (ssm:GetParameter on the cluster file parameter)."
  type        = string
}

variable "security_group_id" {
  description = "Security group of the servers."
  type        = string
}

variable "root_volume_size_gb" {
  description = "Size of the root volume."
  type        = number
  default     = 20
}

variable "data_volume" {
  description = "gp3 data volume of each server: size (GiB), IOPS and throughput (MiB/s)."
  type = object({
    size_gb    = number
    iops       = optional(number, 3000)
    throughput = optional(number, 125)
  })
  default = { size_gb = 100 }
}

variable "ebs_kms_key_arn" {
  description = "KMS key of the EBS volumes, or null (the account's default EBS key)."
  type        = string
  default     = null
}

variable "cluster_file_parameter_name" {
  description = "Name of the SSM parameter that holds fdb.cluster."
  type        = string
}

variable "fdb_version" {
  description = "FoundationDB version (7.3.x)."
  type        = string
  default     = "7.3.68"
}

variable "fdb_package_base_url" {
  description = "Base URL of the FoundationDB packages."
  type        = string
  default     = "https://github.com/apple/foundationdb/releases/download"
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}
