# Three Strata nodes and three FoundationDB coordinators, one of each per availability zone, in
# one region. The bucket is destroyed with the stack (bucket_force_destroy): an example, not a
# production data store.

module "strata" {
  source = "../.."

  name                   = var.name
  vpc_id                 = var.vpc_id
  subnet_ids             = var.private_subnet_ids
  strata_artifact_url    = var.strata_artifact_url
  strata_artifact_sha256 = var.strata_artifact_sha256

  node_count                 = 3
  default_replication_factor = 3
  min_insync_replicas        = 2

  metastore_type        = "foundationdb"
  fdb_server_count      = 3
  fdb_coordinator_count = 3
  fdb_redundancy_mode   = "double"

  client_cidr_blocks     = var.client_cidr_blocks
  monitoring_cidr_blocks = var.monitoring_cidr_blocks

  bucket_force_destroy = true

  tags = {
    Environment = "example"
  }
}
