# Strata on AWS: a fixed set of Strata nodes behind a bootstrap Network Load Balancer, sealed
# segments in S3, cluster state in FoundationDB on EC2 (or in an external MetaStore such as RDS
# PostgreSQL whose URL is a secret). Everything that renders text lives in providerless modules
# (strata-node-config, fdb-config, prometheus-scrape, object-store), tested with terraform test.

data "aws_region" "current" {}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_subnet" "selected" {
  for_each = toset(var.subnet_ids)

  id = each.value

  lifecycle {
    postcondition {
      condition     = self.vpc_id == var.vpc_id
      error_message = "Subnet ${self.id} is not in VPC ${var.vpc_id}."
    }
  }
}

locals {
  use_fdb = var.metastore_type == "foundationdb"
  region  = data.aws_region.current.name

  # In the order given: node i and FoundationDB server i go to subnet i mod n.
  subnets = [for id in var.subnet_ids : { id = id, az = data.aws_subnet.selected[id].availability_zone }]

  tags = merge({ "strata:deployment" = var.name }, var.tags)

  fdb_cluster_file_parameter_name = coalesce(var.fdb_cluster_file_parameter_name, "/strata/${var.name}/fdb.cluster")
  fdb_cluster_file_parameter_arn  = "arn:${data.aws_partition.current.partition}:ssm:${local.region}:${data.aws_caller_identity.current.account_id}:parameter/${trimprefix(local.fdb_cluster_file_parameter_name, "/")}"

  artifact_s3         = regex("^(?:s3://(?P<bucket>[^/]+)/(?P<key>.+))?", var.strata_artifact_url)
  artifact_object_arn = local.artifact_s3.bucket == null ? null : "arn:${data.aws_partition.current.partition}:s3:::${local.artifact_s3.bucket}/${local.artifact_s3.key}"

  fdb_metastore = "fdb:/etc/foundationdb/fdb.cluster"
}

module "bucket" {
  source = "./modules/bucket"

  create                                 = var.create_bucket
  bucket_name                            = var.bucket_name
  bucket_name_prefix                     = "${var.name}-segments-"
  force_destroy                          = var.bucket_force_destroy
  kms_key_arn                            = var.bucket_kms_key_arn
  versioning                             = var.bucket_versioning
  abort_incomplete_multipart_upload_days = var.bucket_abort_incomplete_multipart_upload_days
  tags                                   = local.tags
}

module "object_store" {
  source = "./modules/object-store"

  bucket_name = module.bucket.bucket_name
  key_prefix  = var.bucket_key_prefix
  region      = module.bucket.bucket_region
  partition   = data.aws_partition.current.partition
}

module "security_groups" {
  source = "./modules/security-groups"

  name                          = var.name
  vpc_id                        = var.vpc_id
  kafka_port                    = var.kafka_port
  admin_port                    = var.admin_port
  create_fdb                    = local.use_fdb
  fdb_ports                     = local.use_fdb ? module.fdb[0].ports : { from = 4500, to = 4500 }
  create_nlb                    = var.create_nlb
  client_cidr_blocks            = var.client_cidr_blocks
  client_security_group_ids     = var.client_security_group_ids
  monitoring_cidr_blocks        = var.monitoring_cidr_blocks
  monitoring_security_group_ids = var.monitoring_security_group_ids
  tags                          = local.tags
}

module "iam" {
  source = "./modules/iam"

  name                           = var.name
  bucket_arn                     = module.object_store.bucket_arn
  object_arn_pattern             = module.object_store.object_arn_pattern
  list_prefix_condition          = module.object_store.list_prefix_condition
  bucket_kms_key_arn             = var.bucket_kms_key_arn
  artifact_object_arn            = local.artifact_object_arn
  fdb_cluster_file_parameter_arn = local.use_fdb ? local.fdb_cluster_file_parameter_arn : null
  create_fdb_role                = local.use_fdb
  metastore_secret_arn           = local.use_fdb ? null : var.metastore_secret_arn
  metastore_secret_kms_key_arn   = local.use_fdb ? null : var.metastore_secret_kms_key_arn
  enable_ssm_session_manager     = var.enable_ssm_session_manager
  permissions_boundary_arn       = var.permissions_boundary_arn
  tags                           = local.tags
}

module "fdb" {
  source = "./modules/fdb-cluster"
  count  = local.use_fdb ? 1 : 0

  name                        = var.name
  subnets                     = local.subnets
  aws_region                  = local.region
  server_count                = var.fdb_server_count
  coordinator_count           = var.fdb_coordinator_count
  redundancy_mode             = var.fdb_redundancy_mode
  storage_engine              = var.fdb_storage_engine
  processes_per_host          = var.fdb_processes_per_host
  process_classes             = var.fdb_process_classes
  instance_type               = var.fdb_instance_type
  ami_id                      = var.ami_id
  os_family                   = var.os_family
  key_name                    = var.key_name
  instance_profile_name       = module.iam.fdb_instance_profile_name
  security_group_id           = module.security_groups.fdb_security_group_id
  root_volume_size_gb         = var.fdb_root_volume_size_gb
  data_volume                 = var.fdb_data_volume
  ebs_kms_key_arn             = var.ebs_kms_key_arn
  cluster_file_parameter_name = local.fdb_cluster_file_parameter_name
  fdb_version                 = var.fdb_version
  fdb_package_base_url        = var.fdb_package_base_url
  tags                        = local.tags
}

module "nodes" {
  source = "./modules/strata-nodes"

  name                           = var.name
  vpc_id                         = var.vpc_id
  subnets                        = local.subnets
  aws_region                     = local.region
  node_count                     = var.node_count
  instance_type                  = var.node_instance_type
  ami_id                         = var.ami_id
  os_family                      = var.os_family
  key_name                       = var.key_name
  instance_profile_name          = module.iam.strata_instance_profile_name
  security_group_id              = module.security_groups.strata_security_group_id
  root_volume_size_gb            = var.node_root_volume_size_gb
  data_volume                    = var.node_data_volume
  ebs_kms_key_arn                = var.ebs_kms_key_arn
  kafka_port                     = var.kafka_port
  admin_port                     = var.admin_port
  advertised_hosts               = var.advertised_hosts
  default_replication_factor     = var.default_replication_factor
  min_insync_replicas            = var.min_insync_replicas
  controlled_shutdown_timeout_ms = var.controlled_shutdown_timeout_ms
  extra_settings                 = var.extra_settings
  java_heap                      = var.java_heap
  java_opts                      = var.java_opts
  java_performance_opts          = var.java_performance_opts
  artifact_url                   = var.strata_artifact_url
  artifact_sha256                = var.strata_artifact_sha256
  object_store_url               = module.object_store.url
  metastore                      = local.use_fdb ? local.fdb_metastore : ""
  metastore_secret               = local.use_fdb ? null : { arn = var.metastore_secret_arn, json_key = var.metastore_secret_json_key }
  fdb_cluster_file_parameter     = local.use_fdb ? module.fdb[0].cluster_file_parameter_name : null
  fdb_version                    = var.fdb_version
  fdb_package_base_url           = var.fdb_package_base_url
  create_nlb                     = var.create_nlb
  nlb_internal                   = var.nlb_internal
  nlb_subnet_ids                 = var.nlb_subnet_ids
  nlb_security_group_id          = module.security_groups.nlb_security_group_id
  nlb_deletion_protection        = var.nlb_deletion_protection
  tags                           = local.tags
}

module "prometheus" {
  source = "./modules/prometheus-scrape"

  job_name        = var.prometheus_job_name
  cluster_name    = var.name
  scrape_interval = var.prometheus_scrape_interval
  targets         = module.nodes.scrape_targets
}
