# One Strata node whose MetaStore is PostgreSQL: a small RDS instance created here, or an existing
# database given by the ARN of a secret holding its URL. The URL (with its password) lives only in
# Secrets Manager; the node reads it at every start into a file only the strata user can read.
# Note: the generated password is in the Terraform state (as with any RDS password managed by
# Terraform): keep the state encrypted, or bring your own secret (metastore_secret_arn).

locals {
  create_database = var.metastore_secret_arn == null
}

# The database password: 32 hex digits of a random (version 4) UUID, 122 random bits, chosen
# once (ignore_changes) and kept without the random provider.
resource "terraform_data" "db_password" {
  count = local.create_database ? 1 : 0

  input = replace(uuid(), "-", "")

  lifecycle {
    ignore_changes = [input]
  }
}

resource "aws_db_subnet_group" "metastore" {
  count = local.create_database ? 1 : 0

  name_prefix = "${var.name}-metastore-"
  subnet_ids  = var.private_subnet_ids
}

resource "aws_security_group" "metastore" {
  count = local.create_database ? 1 : 0

  name_prefix = "${var.name}-metastore-"
  description = "PostgreSQL MetaStore of ${var.name}"
  vpc_id      = var.vpc_id

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "metastore_from_strata" {
  count = local.create_database ? 1 : 0

  security_group_id            = aws_security_group.metastore[0].id
  description                  = "PostgreSQL from the Strata nodes"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = module.strata.strata_security_group_id
}

resource "aws_db_instance" "metastore" {
  count = local.create_database ? 1 : 0

  identifier_prefix       = "${var.name}-metastore-"
  engine                  = "postgres"
  engine_version          = "16"
  instance_class          = var.db_instance_class
  allocated_storage       = 20
  storage_type            = "gp3"
  storage_encrypted       = true
  db_name                 = "strata"
  username                = "strata"
  password                = terraform_data.db_password[0].output
  db_subnet_group_name    = aws_db_subnet_group.metastore[0].name
  vpc_security_group_ids  = [aws_security_group.metastore[0].id]
  publicly_accessible     = false
  multi_az                = false
  backup_retention_period = 1
  skip_final_snapshot     = true
  deletion_protection     = false
  apply_immediately       = true
}

resource "aws_secretsmanager_secret" "metastore" {
  count = local.create_database ? 1 : 0

  name_prefix             = "${var.name}/metastore-url-"
  description             = "MetaStore URL (postgresql://…) of Strata ${var.name}"
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "metastore" {
  count = local.create_database ? 1 : 0

  secret_id     = aws_secretsmanager_secret.metastore[0].id
  secret_string = "postgresql://strata:${urlencode(terraform_data.db_password[0].output)}@${aws_db_instance.metastore[0].address}:${aws_db_instance.metastore[0].port}/strata?sslmode=require"
}

module "strata" {
  source = "../.."

  name                   = var.name
  vpc_id                 = var.vpc_id
  subnet_ids             = [var.private_subnet_ids[0]]
  strata_artifact_url    = var.strata_artifact_url
  strata_artifact_sha256 = var.strata_artifact_sha256

  node_count                 = 1
  node_instance_type         = "t3.medium"
  node_data_volume           = { size_gb = 20 }
  default_replication_factor = 1
  min_insync_replicas        = 1

  metastore_type       = "external"
  metastore_secret_arn = local.create_database ? aws_secretsmanager_secret.metastore[0].arn : var.metastore_secret_arn

  # One node: clients bootstrap from it directly.
  create_nlb         = false
  client_cidr_blocks = var.client_cidr_blocks

  bucket_force_destroy = true

  tags = {
    Environment = "dev"
  }
}
