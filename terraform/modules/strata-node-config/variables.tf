########################################
# The node and its cluster
########################################

variable "node_id" {
  description = "This node's node.id: stable for the life of the node (its index in the fixed set)."
  type        = number

  validation {
    condition     = var.node_id >= 0 && floor(var.node_id) == var.node_id
    error_message = "node_id must be a whole number >= 0."
  }
}

variable "node_count" {
  description = "Number of Strata nodes in the cluster (checked against the replication factor)."
  type        = number

  validation {
    condition     = var.node_count >= 1 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number >= 1."
  }

  validation {
    condition     = var.node_id < var.node_count
    error_message = "node_id must be below node_count."
  }
}

variable "cluster_name" {
  description = "The cluster.name setting: all of the cluster's state lives under it in the MetaStore."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", var.cluster_name))
    error_message = "cluster_name must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit."
  }
}

variable "default_replication_factor" {
  description = "The default.replication.factor setting. May not exceed node_count."
  type        = number
  default     = 3

  validation {
    condition     = var.default_replication_factor >= 1 && floor(var.default_replication_factor) == var.default_replication_factor
    error_message = "default_replication_factor must be a whole number >= 1."
  }

  validation {
    condition     = var.node_count >= var.default_replication_factor
    error_message = "node_count is below default_replication_factor: topics created with the default could never be fully replicated."
  }
}

variable "min_insync_replicas" {
  description = "The min.insync.replicas setting. May not exceed default_replication_factor."
  type        = number
  default     = 2

  validation {
    condition     = var.min_insync_replicas >= 1 && var.min_insync_replicas <= var.default_replication_factor
    error_message = "min_insync_replicas must be between 1 and default_replication_factor (acks=all produce would always fail)."
  }
}

variable "controlled_shutdown_timeout_ms" {
  description = "The controlled.shutdown.timeout.ms setting; the unit's TimeoutStopSec is this plus 30 s."
  type        = number
  default     = 30000

  validation {
    condition     = var.controlled_shutdown_timeout_ms >= 0 && var.controlled_shutdown_timeout_ms <= 600000
    error_message = "controlled_shutdown_timeout_ms must be between 0 and 600000 (10 minutes)."
  }
}

########################################
# Addresses
########################################

variable "bind_host" {
  description = "The host setting: address the Kafka listener binds to."
  type        = string
  default     = "0.0.0.0"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$", var.bind_host))
    error_message = "bind_host must be an IP address or host name."
  }
}

variable "kafka_port" {
  description = "The port setting: Kafka listener port."
  type        = number
  default     = 9092

  validation {
    condition     = var.kafka_port >= 1 && var.kafka_port <= 65535 && floor(var.kafka_port) == var.kafka_port
    error_message = "kafka_port must be between 1 and 65535."
  }
}

variable "admin_port" {
  description = "The admin.port setting: HTTP /health, /ready, /metrics."
  type        = number
  default     = 9644

  validation {
    condition     = var.admin_port >= 1 && var.admin_port <= 65535 && floor(var.admin_port) == var.admin_port
    error_message = "admin_port must be between 1 and 65535."
  }

  validation {
    condition     = var.admin_port != var.kafka_port
    error_message = "admin_port and kafka_port must differ."
  }
}

variable "advertised_host" {
  description = "The advertised.host setting: the address clients are told to connect to (the node's private IP or DNS name)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$", var.advertised_host))
    error_message = "advertised_host must be a non-empty host name or IP address."
  }
}

variable "advertised_port" {
  description = "The advertised.port setting; null advertises kafka_port."
  type        = number
  default     = null

  validation {
    condition     = var.advertised_port == null ? true : var.advertised_port >= 1 && var.advertised_port <= 65535
    error_message = "advertised_port must be between 1 and 65535."
  }
}

variable "rack" {
  description = "The broker.rack setting: the node's availability zone. Empty leaves it unset."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]*$", var.rack))
    error_message = "rack may only contain letters, digits, '.', '_' and '-'."
  }
}

########################################
# Storage
########################################

variable "data_dir" {
  description = "The data.dir setting: an absolute path (on the data volume when data_volume_id is set)."
  type        = string
  default     = "/var/lib/strata/data"
  nullable    = false

  validation {
    condition     = startswith(var.data_dir, "/") && !strcontains(var.data_dir, "'") && !strcontains(var.data_dir, " ")
    error_message = "data_dir must be an absolute path without spaces or quotes."
  }
}

variable "metastore" {
  description = "The metastore setting (e.g. fdb:/etc/foundationdb/fdb.cluster). Leave empty when metastore_secret is given."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.metastore == "" || can(regex("^(fdb:|sqlite:|postgresql://|postgres://)[^\\s\"'\\\\]*$", var.metastore))
    error_message = "metastore must start with fdb:, sqlite:, postgresql:// or postgres://, without spaces, quotes or backslashes."
  }

  validation {
    condition     = (var.metastore == "") != (var.metastore_secret == null)
    error_message = "Give exactly one of metastore (a URL without secrets) and metastore_secret (the ARN of a secret holding the URL)."
  }

  validation {
    condition     = var.allow_inline_metastore_credentials || !can(regex("^postgres(ql)?://[^/@]*:[^/@]*@", var.metastore))
    error_message = "The metastore URL holds a password: pass it by ARN (metastore_secret) so that it is fetched at boot and never rendered into user data."
  }
}

variable "metastore_secret" {
  description = "Where the MetaStore URL is kept when it holds a password: the ARN of a Secrets Manager secret or of an SSM SecureString parameter, and, for a JSON secret, the key that holds the URL. The node fetches it at every start (ExecStartPre) into a file only the strata user can read."
  type = object({
    arn      = string
    json_key = optional(string)
  })
  default = null

  validation {
    condition     = var.metastore_secret == null ? true : can(regex("^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+|ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+)$", var.metastore_secret.arn))
    error_message = "metastore_secret.arn must be a Secrets Manager secret ARN or an SSM parameter ARN."
  }

  validation {
    condition     = try(var.metastore_secret.json_key, null) == null ? true : can(regex("^[A-Za-z0-9_.-]+$", var.metastore_secret.json_key))
    error_message = "metastore_secret.json_key may only contain letters, digits, '_', '.' and '-'."
  }
}

variable "allow_inline_metastore_credentials" {
  description = "Let metastore carry a password in clear (only for local test fixtures; the AWS modules never set it)."
  type        = bool
  default     = false
  nullable    = false
}

variable "object_store" {
  description = "The object.store setting: s3://bucket[/prefix]?region=… (or file:/path, or none)."
  type        = string

  validation {
    condition     = can(regex("^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^?'\\s]*)?(\\?[^'\\s]*)?|file:/[^'\\s]*|none)$", var.object_store))
    error_message = "object_store must be s3://bucket[/prefix][?endpoint=…&region=…] with a valid, non-empty bucket name, file:/path, or none."
  }
}

variable "extra_settings" {
  description = "Further broker settings (key: value) written to strata.yaml, e.g. { \"log.retention.ms\" = \"86400000\" }. Keys must be real Strata settings not rendered by this module."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.extra_settings) : contains(local.known_settings, k)])
    error_message = "extra_settings names a key Strata does not know (it would stop at start-up); see docs/configuration.md."
  }

  validation {
    condition     = alltrue([for k in keys(var.extra_settings) : !contains(local.managed_settings, k)])
    error_message = "extra_settings repeats a key this module renders from its own variables (node.id, metastore, ports, object.store, replication …); set that variable instead."
  }

  validation {
    condition     = alltrue([for v in values(var.extra_settings) : !strcontains(v, "\n")])
    error_message = "extra_settings values must be single-line strings."
  }
}

########################################
# Installation (cloud-init)
########################################

variable "artifact_url" {
  description = "Where the node downloads strata.jar: s3://bucket/key (with the instance role) or https://…. Null renders no cloud-init (configs only)."
  type        = string
  default     = null

  validation {
    condition     = var.artifact_url == null || can(regex("^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^'\\s]+|https?://[^'\\s]+)$", var.artifact_url))
    error_message = "artifact_url must be s3://bucket/key or an http(s):// URL, without spaces or quotes."
  }
}

variable "artifact_sha256" {
  description = "Expected SHA-256 (hex) of strata.jar; the download is refused when it differs. Null skips the check."
  type        = string
  default     = null

  validation {
    condition     = var.artifact_sha256 == null ? true : can(regex("^[0-9a-f]{64}$", var.artifact_sha256))
    error_message = "artifact_sha256 must be 64 lower-case hex digits."
  }
}

variable "install_dir" {
  description = "Directory of strata.jar."
  type        = string
  default     = "/opt/strata"
  nullable    = false

  validation {
    condition     = can(regex("^/[A-Za-z0-9/._-]+$", var.install_dir))
    error_message = "install_dir must be an absolute path."
  }
}

variable "config_path" {
  description = "Path of strata.yaml on the node."
  type        = string
  default     = "/etc/strata/strata.yaml"
  nullable    = false

  validation {
    condition     = can(regex("^/[A-Za-z0-9/._-]+$", var.config_path))
    error_message = "config_path must be an absolute path."
  }
}

variable "os_family" {
  description = "Operating system of the image: al2023 (Amazon Linux 2023, dnf) or ubuntu (apt)."
  type        = string
  default     = "al2023"
  nullable    = false

  validation {
    condition     = contains(["al2023", "ubuntu"], var.os_family)
    error_message = "os_family must be al2023 or ubuntu."
  }
}

variable "java_package" {
  description = "Package of the Java 17+ runtime; null picks java-17-amazon-corretto-headless (al2023) or openjdk-17-jre-headless (ubuntu)."
  type        = string
  default     = null

  validation {
    condition     = var.java_package == null || can(regex("^[A-Za-z0-9][A-Za-z0-9.+_-]*$", var.java_package))
    error_message = "java_package must be a package name."
  }
}

variable "java_heap" {
  description = "Java heap (-Xms/-Xmx), e.g. \"4g\". Null sizes it at half the instance's memory (-XX:MaxRAMPercentage=50)."
  type        = string
  default     = null

  validation {
    condition     = var.java_heap == null || can(regex("^[0-9]+[mMgG]$", var.java_heap))
    error_message = "java_heap must be a size such as 2048m or 4g."
  }
}

variable "java_opts" {
  description = "Further JVM options, appended to the java command line."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = !can(regex("[\"'`$\\\\\n;|&]", var.java_opts))
    error_message = "java_opts may not contain quotes, '$', '\\', ';', '|', '&' or newlines."
  }
}

variable "fdb_version" {
  description = "FoundationDB client version installed when metastore is fdb: (the 7.3 line, matching Strata's fdb-java API version 730)."
  type        = string
  default     = "7.3.68"
  nullable    = false

  validation {
    condition     = can(regex("^7\\.3\\.[0-9]+$", var.fdb_version))
    error_message = "fdb_version must be a 7.3.x release (Strata uses FoundationDB API version 730)."
  }
}

variable "fdb_package_base_url" {
  description = "Base URL of the FoundationDB packages: <base>/<version>/foundationdb-clients… (a mirror, or the project's GitHub releases)."
  type        = string
  default     = "https://github.com/apple/foundationdb/releases/download"
  nullable    = false

  validation {
    condition     = can(regex("^https?://[^'\\s]+[^/]$", var.fdb_package_base_url))
    error_message = "fdb_package_base_url must be an http(s) URL without a trailing slash."
  }
}

variable "fdb_cluster_file_parameter" {
  description = "SSM parameter (name) holding the fdb.cluster text, fetched at first boot into /etc/foundationdb/fdb.cluster. Required when metastore is fdb:… and cloud-init is rendered."
  type        = string
  default     = null

  validation {
    condition     = var.fdb_cluster_file_parameter == null || can(regex("^[A-Za-z0-9_./-]+$", var.fdb_cluster_file_parameter))
    error_message = "fdb_cluster_file_parameter must be an SSM parameter name."
  }

  validation {
    condition     = var.fdb_cluster_file_parameter != null || var.artifact_url == null || !startswith(var.metastore, "fdb:")
    error_message = "fdb_cluster_file_parameter is required when metastore is fdb:… (the node fetches the cluster file from it)."
  }
}

variable "aws_region" {
  description = "Region the node's AWS CLI calls go to (SSM parameter, s3:// artifact)."
  type        = string
  default     = null

  validation {
    condition     = var.aws_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.aws_region))
    error_message = "aws_region must look like eu-west-1."
  }

  validation {
    condition     = var.aws_region != null || var.artifact_url == null || (!try(startswith(var.artifact_url, "s3://"), false) && var.fdb_cluster_file_parameter == null)
    error_message = "aws_region is required when the artifact comes from s3:// or the cluster file from SSM."
  }
}

variable "data_volume_id" {
  description = "EBS volume id (vol-…) of the node's data volume: found by its stable NVMe id, formatted once if blank, mounted at data_mount_point. Null keeps data on the root volume."
  type        = string
  default     = null

  validation {
    condition     = var.data_volume_id == null || can(regex("^vol-[0-9a-f]{8,17}$", var.data_volume_id))
    error_message = "data_volume_id must be an EBS volume id (vol-…)."
  }
}

variable "data_mount_point" {
  description = "Where the data volume is mounted; data_dir lives under it."
  type        = string
  default     = "/var/lib/strata"
  nullable    = false

  validation {
    condition     = can(regex("^/[A-Za-z0-9/._-]+$", var.data_mount_point))
    error_message = "data_mount_point must be an absolute path."
  }
}

variable "strata_uid" {
  description = "User and group id of the strata system user, fixed so that a data volume keeps its owner when its instance is replaced on another image."
  type        = number
  default     = 2501

  validation {
    condition     = var.strata_uid >= 100 && var.strata_uid < 65000 && floor(var.strata_uid) == var.strata_uid
    error_message = "strata_uid must be a whole number from 100 to 64999."
  }
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
