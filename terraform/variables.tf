################################################################################
# Deployment
################################################################################

variable "name" {
  description = "Name of the deployment: the Strata cluster.name and the prefix of every resource (3 to 24 lower-case letters, digits and hyphens)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3 to 24 lower-case letters, digits and hyphens, starting with a letter (load balancer names are limited to 32 characters)."
  }
}

variable "vpc_id" {
  description = "VPC to deploy into (the module creates no VPC)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-…)."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the VPC, one per availability zone (three for a zone-redundant cluster); nodes and FoundationDB servers are spread over them round-robin."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "subnet_ids must hold at least one subnet, each once."
  }

  validation {
    condition     = alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must be subnet ids (subnet-…)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "os_family" {
  description = "Operating system of the instances: al2023 (Amazon Linux 2023) or ubuntu (22.04). Picks the default AMI and the package manager."
  type        = string
  default     = "al2023"
  nullable    = false

  validation {
    condition     = contains(["al2023", "ubuntu"], var.os_family)
    error_message = "os_family must be al2023 or ubuntu."
  }
}

variable "ami_id" {
  description = "AMI of every instance (x86_64, matching os_family); null: the latest one of os_family, from its public SSM parameter."
  type        = string
  default     = null
}

variable "key_name" {
  description = "EC2 key pair for SSH; null (recommended): reach instances with Session Manager."
  type        = string
  default     = null
}

variable "enable_ssm_session_manager" {
  description = "Give the instance roles Session Manager's channel permissions (shell access without SSH); not AmazonSSMManagedInstanceCore, which reads every SSM parameter."
  type        = bool
  default     = true
  nullable    = false
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the IAM roles, if the account requires one."
  type        = string
  default     = null
}

variable "ebs_kms_key_arn" {
  description = "KMS key of the EBS volumes; null: the account's default EBS encryption key."
  type        = string
  default     = null
}

################################################################################
# Strata distribution
################################################################################

variable "strata_artifact_url" {
  description = "Where the nodes download strata.jar: s3://bucket/key (read with the instance role) or an https:// URL."
  type        = string

  validation {
    condition     = can(regex("^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^'\\s]+|https://[^'\\s]+)$", var.strata_artifact_url))
    error_message = "strata_artifact_url must be s3://bucket/key or https://…, without spaces or quotes."
  }
}

variable "strata_artifact_sha256" {
  description = "SHA-256 (hex) of strata.jar; the nodes refuse a download that differs. Null skips the check."
  type        = string
  default     = null

  validation {
    condition     = var.strata_artifact_sha256 == null ? true : can(regex("^[0-9a-f]{64}$", var.strata_artifact_sha256))
    error_message = "strata_artifact_sha256 must be 64 lower-case hex digits."
  }
}

################################################################################
# Strata nodes
################################################################################

variable "node_count" {
  description = "Number of Strata nodes: a fixed set with stable node ids 0 … node_count-1, spread over the subnets."
  type        = number
  default     = 3

  validation {
    condition     = var.node_count >= 1 && var.node_count <= 64 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number between 1 and 64."
  }

  validation {
    condition     = var.node_count >= var.default_replication_factor
    error_message = "node_count is below default_replication_factor: topics created with the default could never be fully replicated."
  }
}

variable "node_instance_type" {
  description = "EC2 instance type of the Strata nodes."
  type        = string
  default     = "m6i.large"
  nullable    = false
}

variable "node_root_volume_size_gb" {
  description = "Root volume of each Strata node (GiB)."
  type        = number
  default     = 20
  nullable    = false
}

variable "node_data_volume" {
  description = "gp3 data volume of each Strata node (partition logs, kept across instance replacement): size in GiB, IOPS, throughput in MiB/s."
  type = object({
    size_gb    = number
    iops       = optional(number, 3000)
    throughput = optional(number, 125)
  })
  default  = { size_gb = 100 }
  nullable = false

  validation {
    condition     = var.node_data_volume.size_gb >= 8 && var.node_data_volume.iops >= 3000 && var.node_data_volume.throughput >= 125
    error_message = "node_data_volume: at least 8 GiB, 3000 IOPS and 125 MiB/s (the gp3 baseline)."
  }
}

variable "kafka_port" {
  description = "Kafka listener port of the nodes and the load balancer."
  type        = number
  default     = 9092
  nullable    = false

  validation {
    condition     = var.kafka_port >= 1 && var.kafka_port <= 65535
    error_message = "kafka_port must be between 1 and 65535."
  }
}

variable "admin_port" {
  description = "Admin HTTP port of the nodes: /health, /ready (load balancer health check), /metrics (Prometheus)."
  type        = number
  default     = 9644
  nullable    = false

  validation {
    condition     = var.admin_port >= 1 && var.admin_port <= 65535 && var.admin_port != var.kafka_port
    error_message = "admin_port must be between 1 and 65535 and differ from kafka_port."
  }
}

variable "advertised_hosts" {
  description = "DNS names the nodes advertise to clients, by node id (you create the records, e.g. from the nodes output); empty: the nodes' private IPs."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.advertised_hosts) == 0 || length(var.advertised_hosts) == var.node_count
    error_message = "advertised_hosts must be empty or hold one name per node."
  }
}

variable "default_replication_factor" {
  description = "The default.replication.factor setting (auto-created topics and topics created without one)."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.default_replication_factor >= 1
    error_message = "default_replication_factor must be at least 1."
  }
}

variable "min_insync_replicas" {
  description = "The min.insync.replicas setting: in-sync replicas an acks=all produce needs."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.min_insync_replicas >= 1 && var.min_insync_replicas <= var.default_replication_factor
    error_message = "min_insync_replicas must be between 1 and default_replication_factor."
  }
}

variable "controlled_shutdown_timeout_ms" {
  description = "The controlled.shutdown.timeout.ms setting; systemd waits this long plus 30 s for a stopping node."
  type        = number
  default     = 30000
  nullable    = false
}

variable "extra_settings" {
  description = "Further Strata broker settings written to every node's strata.yaml (keys from docs/configuration.md, string values), e.g. { \"log.retention.ms\" = \"86400000\" }."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.extra_settings) : can(regex("^[a-z][a-z0-9]*(\\.[a-z0-9]+)+$", k))])
    error_message = "extra_settings keys must be dotted Strata setting names such as log.retention.ms."
  }
}

variable "java_heap" {
  description = "Java heap of the nodes (-Xms/-Xmx), e.g. \"4g\"; null: half the instance's memory."
  type        = string
  default     = null
}

variable "java_opts" {
  description = "Further JVM options of the nodes."
  type        = string
  default     = ""
  nullable    = false
}

################################################################################
# Network access
################################################################################

variable "client_cidr_blocks" {
  description = "CIDR blocks of Kafka clients allowed to the Kafka port of the nodes and the load balancer."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "client_security_group_ids" {
  description = "Security groups of Kafka clients allowed to the Kafka port of the nodes and the load balancer."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "monitoring_cidr_blocks" {
  description = "CIDR blocks allowed to the nodes' admin port (Prometheus, operators)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "monitoring_security_group_ids" {
  description = "Security groups allowed to the nodes' admin port (e.g. Prometheus)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "create_nlb" {
  description = "Create a Network Load Balancer as the bootstrap address (TCP on kafka_port, health check /ready on admin_port)."
  type        = bool
  default     = true
  nullable    = false
}

variable "nlb_internal" {
  description = "Make the load balancer internal (reachable from the VPC and peered networks only)."
  type        = bool
  default     = true
  nullable    = false
}

variable "nlb_subnet_ids" {
  description = "Subnets of the load balancer; null: subnet_ids."
  type        = list(string)
  default     = null
}

variable "nlb_deletion_protection" {
  description = "Protect the load balancer from deletion."
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# Segment bucket
################################################################################

variable "create_bucket" {
  description = "Create the S3 bucket for sealed segments; false: use the existing bucket_name."
  type        = bool
  default     = true
  nullable    = false
}

variable "bucket_name" {
  description = "Name of the bucket to create or, with create_bucket = false, of the existing bucket; null with create_bucket: generated from name."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)."
  }

  validation {
    condition     = var.create_bucket || var.bucket_name != null
    error_message = "bucket_name is required when create_bucket is false."
  }
}

variable "bucket_key_prefix" {
  description = "Key prefix of Strata's objects in the bucket; the nodes' role is limited to it."
  type        = string
  default     = "strata"
  nullable    = false
}

variable "bucket_force_destroy" {
  description = "Let terraform destroy empty and delete the bucket (test stacks); false keeps a bucket that holds segments."
  type        = bool
  default     = false
  nullable    = false
}

variable "bucket_kms_key_arn" {
  description = "KMS key for SSE-KMS of the bucket (the nodes get Decrypt/GenerateDataKey on it); null: SSE-S3."
  type        = string
  default     = null
}

variable "bucket_versioning" {
  description = "Enable versioning of the created bucket (noncurrent versions expire after 7 days)."
  type        = bool
  default     = false
  nullable    = false
}

variable "bucket_abort_incomplete_multipart_upload_days" {
  description = "Abort incomplete multipart uploads after this many days."
  type        = number
  default     = 2
  nullable    = false
}

################################################################################
# MetaStore
################################################################################

variable "metastore_type" {
  description = "foundationdb: deploy a FoundationDB cluster on EC2 (metastore fdb:/etc/foundationdb/fdb.cluster). external: the MetaStore URL (e.g. postgresql://… on RDS) is a secret given by metastore_secret_arn."
  type        = string
  default     = "foundationdb"
  nullable    = false

  validation {
    condition     = contains(["foundationdb", "external"], var.metastore_type)
    error_message = "metastore_type must be foundationdb or external."
  }
}

variable "metastore_secret_arn" {
  description = "With metastore_type = external: ARN of the Secrets Manager secret or SSM SecureString parameter holding the MetaStore URL. Nodes fetch it at every start; it is never in user data."
  type        = string
  default     = null

  validation {
    condition     = var.metastore_secret_arn == null ? var.metastore_type != "external" : can(regex("^arn:aws[a-z-]*:(secretsmanager|ssm):", var.metastore_secret_arn))
    error_message = "metastore_type = external needs metastore_secret_arn, the ARN of a Secrets Manager secret or SSM parameter."
  }
}

variable "metastore_secret_json_key" {
  description = "If the secret is JSON, the key that holds the URL; null: the secret is the URL itself."
  type        = string
  default     = null
}

variable "metastore_secret_kms_key_arn" {
  description = "Customer-managed KMS key of the MetaStore secret (the nodes get kms:Decrypt on it); null: AWS-managed key."
  type        = string
  default     = null
}

################################################################################
# FoundationDB
################################################################################

variable "fdb_version" {
  description = "FoundationDB version of servers and clients (7.3.x: Strata uses API version 730)."
  type        = string
  default     = "7.3.68"
  nullable    = false

  validation {
    condition     = can(regex("^7\\.3\\.[0-9]+$", var.fdb_version))
    error_message = "fdb_version must be a 7.3.x release."
  }
}

variable "fdb_package_base_url" {
  description = "Base URL of the FoundationDB packages (<base>/<version>/<file>): the project's GitHub releases, or your mirror."
  type        = string
  default     = "https://github.com/apple/foundationdb/releases/download"
  nullable    = false
}

variable "fdb_server_count" {
  description = "Number of FoundationDB hosts, spread over the subnets."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.fdb_server_count >= 1 && var.fdb_server_count <= 64
    error_message = "fdb_server_count must be between 1 and 64."
  }
}

variable "fdb_coordinator_count" {
  description = "Number of coordinators (odd; at most fdb_server_count): the first servers, one per AZ."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.fdb_coordinator_count % 2 == 1 && var.fdb_coordinator_count <= var.fdb_server_count
    error_message = "fdb_coordinator_count must be odd and at most fdb_server_count."
  }
}

variable "fdb_redundancy_mode" {
  description = "double (survives one AZ with 3 AZs), triple (3 replicas; needs 3 AZs) or three_data_hall (AZ = data hall; needs 2 servers in each of 3 AZs)."
  type        = string
  default     = "double"
  nullable    = false

  validation {
    condition     = contains(["double", "triple", "three_data_hall"], var.fdb_redundancy_mode)
    error_message = "fdb_redundancy_mode must be double, triple or three_data_hall."
  }
}

variable "fdb_storage_engine" {
  description = "FoundationDB storage engine: ssd-2, ssd-redwood-1, ssd or memory."
  type        = string
  default     = "ssd-2"
  nullable    = false

  validation {
    condition     = contains(["ssd", "ssd-2", "ssd-redwood-1", "memory"], var.fdb_storage_engine)
    error_message = "fdb_storage_engine must be ssd-2, ssd-redwood-1, ssd or memory."
  }
}

variable "fdb_instance_type" {
  description = "EC2 instance type of the FoundationDB servers."
  type        = string
  default     = "m6i.xlarge"
  nullable    = false
}

variable "fdb_processes_per_host" {
  description = "fdbserver processes per host; null: one per physical core of fdb_instance_type."
  type        = number
  default     = null
}

variable "fdb_process_classes" {
  description = "Process class by process index on every host, e.g. [\"storage\", \"log\"]; empty: unset (FoundationDB assigns roles)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "fdb_root_volume_size_gb" {
  description = "Root volume of each FoundationDB server (GiB)."
  type        = number
  default     = 20
  nullable    = false
}

variable "fdb_data_volume" {
  description = "gp3 data volume of each FoundationDB server: size in GiB, IOPS, throughput in MiB/s."
  type = object({
    size_gb    = number
    iops       = optional(number, 3000)
    throughput = optional(number, 125)
  })
  default  = { size_gb = 100 }
  nullable = false
}

variable "fdb_cluster_file_parameter_name" {
  description = "Name of the SSM parameter that distributes fdb.cluster; null: /strata/<name>/fdb.cluster."
  type        = string
  default     = null
}

################################################################################
# Monitoring
################################################################################

variable "prometheus_job_name" {
  description = "Job name in the rendered Prometheus scrape config."
  type        = string
  default     = "strata"
  nullable    = false
}

variable "prometheus_scrape_interval" {
  description = "Scrape interval in the rendered Prometheus scrape config."
  type        = string
  default     = "15s"
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
