variable "name" {
  description = "Name of the deployment: the cluster.name setting and the prefix of every resource (at most 24 characters)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer's target group."
  type        = string
}

variable "subnets" {
  description = "Subnets the nodes are spread over, round-robin, each with its availability zone."
  type = list(object({
    id = string
    az = string
  }))
}

variable "aws_region" {
  description = "Region of the deployment (the nodes' AWS CLI calls)."
  type        = string
}

variable "node_count" {
  description = "Number of Strata nodes (node ids 0 … node_count-1)."
  type        = number
  default     = 3
}

variable "instance_type" {
  description = "EC2 instance type of the nodes."
  type        = string
  default     = "m6i.large"
}

variable "ami_id" {
  description = "AMI of the nodes; null: the latest Amazon Linux 2023 (al2023) or Ubuntu 22.04 (ubuntu) x86_64 image."
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
  description = "Instance profile of the nodes."
  type        = string
}

variable "security_group_id" {
  description = "Security group of the nodes."
  type        = string
}

variable "root_volume_size_gb" {
  description = "Size of the root volume."
  type        = number
  default     = 20
}

variable "data_volume" {
  description = "gp3 data volume of each node (partition logs): size (GiB), IOPS and throughput (MiB/s)."
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

variable "kafka_port" {
  description = "Kafka listener port."
  type        = number
  default     = 9092
}

variable "admin_port" {
  description = "Admin HTTP port."
  type        = number
  default     = 9644
}

variable "advertised_hosts" {
  description = "Per-node DNS names to advertise instead of the private IPs (index = node id); empty advertises the IPs."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "default_replication_factor" {
  description = "default.replication.factor."
  type        = number
  default     = 3
}

variable "min_insync_replicas" {
  description = "min.insync.replicas."
  type        = number
  default     = 2
}

variable "controlled_shutdown_timeout_ms" {
  description = "controlled.shutdown.timeout.ms."
  type        = number
  default     = 30000
}

variable "extra_settings" {
  description = "Further broker settings for strata.yaml."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "java_heap" {
  description = "Java heap (e.g. 4g), or null for half the instance's memory."
  type        = string
  default     = null
}

variable "java_opts" {
  description = "Further JVM options."
  type        = string
  default     = ""
  nullable    = false
}

variable "artifact_url" {
  description = "Where the nodes download strata.jar: s3://bucket/key or https://…."
  type        = string
}

variable "artifact_sha256" {
  description = "Expected SHA-256 of strata.jar, or null."
  type        = string
  default     = null
}

variable "object_store_url" {
  description = "The object.store setting."
  type        = string
}

variable "metastore" {
  description = "The metastore setting when it holds no secret (fdb:…); empty with metastore_secret."
  type        = string
  default     = ""
  nullable    = false
}

variable "metastore_secret" {
  description = "ARN (and optional JSON key) of the secret holding the MetaStore URL, or null."
  type = object({
    arn      = string
    json_key = optional(string)
  })
  default = null
}

variable "fdb_cluster_file_parameter" {
  description = "Name of the SSM parameter holding fdb.cluster (with an fdb: MetaStore)."
  type        = string
  default     = null
}

variable "fdb_version" {
  description = "FoundationDB client version (7.3.x)."
  type        = string
  default     = "7.3.68"
}

variable "fdb_package_base_url" {
  description = "Base URL of the FoundationDB packages."
  type        = string
  default     = "https://github.com/apple/foundationdb/releases/download"
}

variable "create_nlb" {
  description = "Create the Network Load Balancer for bootstrap."
  type        = bool
  default     = true
  nullable    = false
}

variable "nlb_internal" {
  description = "Make the load balancer internal (reachable from inside the VPC only)."
  type        = bool
  default     = true
  nullable    = false
}

variable "nlb_subnet_ids" {
  description = "Subnets of the load balancer; null: the nodes' subnets."
  type        = list(string)
  default     = null
}

variable "nlb_security_group_id" {
  description = "Security group of the load balancer."
  type        = string
  default     = null
}

variable "nlb_deletion_protection" {
  description = "Protect the load balancer from deletion."
  type        = bool
  default     = false
  nullable    = false
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "java_performance_opts" {
  description = "The JVM garbage-collector options, before java_opts: by default the G1 settings of Kafka's and Strata's launchers (short pauses, early marking, resident memory near the heap). Replace them, e.g. with -XX:+UseZGC, to use another collector."
  type        = string
  default     = "-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent"
  nullable    = false

  validation {
    condition     = !can(regex("[\"'`$\\\\\n;|&]", var.java_performance_opts))
    error_message = "java_performance_opts may not contain quotes, '$', '\\', ';', '|', '&' or newlines."
  }
}
