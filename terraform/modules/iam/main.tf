# Least-privilege instance roles.
#   Strata nodes : objects under the bucket prefix only (ListBucket limited to the prefix), the
#                  bucket's KMS key, strata.jar if it comes from S3, the fdb.cluster parameter, the
#                  MetaStore secret.
#   FDB servers  : the fdb.cluster parameter.
# Both optionally get the Session Manager channel permissions (not AmazonSSMManagedInstanceCore,
# which would let them read every SSM parameter of the account).

data "aws_partition" "current" {}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    sid     = "EC2AssumeRole"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

locals {
  secret_is_ssm = var.metastore_secret_arn == null ? false : strcontains(var.metastore_secret_arn, ":ssm:")
}

########################################
# Strata nodes
########################################

data "aws_iam_policy_document" "strata" {
  statement {
    sid = "SegmentObjects"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = [var.object_arn_pattern]
  }

  statement {
    sid       = "ListSegmentPrefix"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]

    dynamic "condition" {
      for_each = var.list_prefix_condition == "*" ? [] : [var.list_prefix_condition]
      content {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [condition.value]
      }
    }
  }

  dynamic "statement" {
    for_each = var.bucket_kms_key_arn == null ? [] : [var.bucket_kms_key_arn]
    content {
      sid       = "SegmentEncryption"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.artifact_object_arn == null ? [] : [var.artifact_object_arn]
    content {
      sid       = "StrataDistribution"
      actions   = ["s3:GetObject"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.fdb_cluster_file_parameter_arn == null ? [] : [var.fdb_cluster_file_parameter_arn]
    content {
      sid       = "FdbClusterFile"
      actions   = ["ssm:GetParameter"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.metastore_secret_arn == null ? [] : [var.metastore_secret_arn]
    content {
      sid       = "MetastoreUrl"
      actions   = local.secret_is_ssm ? ["ssm:GetParameter"] : ["secretsmanager:GetSecretValue"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.metastore_secret_kms_key_arn == null ? [] : [var.metastore_secret_kms_key_arn]
    content {
      sid       = "MetastoreUrlDecryption"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role" "strata" {
  name_prefix          = "${substr(var.name, 0, 24)}-strata-"
  description          = "Strata nodes of ${var.name}"
  assume_role_policy   = data.aws_iam_policy_document.ec2_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "strata" {
  name   = "strata-node"
  role   = aws_iam_role.strata.id
  policy = data.aws_iam_policy_document.strata.json
}

# Session Manager needs only its agent's registration and message channels.
data "aws_iam_policy_document" "session_manager" {
  statement {
    sid = "SessionManagerChannels"
    actions = [
      "ssm:UpdateInstanceInformation",
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "strata_session_manager" {
  count = var.enable_ssm_session_manager ? 1 : 0

  name   = "session-manager"
  role   = aws_iam_role.strata.id
  policy = data.aws_iam_policy_document.session_manager.json
}

resource "aws_iam_instance_profile" "strata" {
  name_prefix = "${substr(var.name, 0, 24)}-strata-"
  role        = aws_iam_role.strata.name
  tags        = var.tags
}

########################################
# FoundationDB servers
########################################

data "aws_iam_policy_document" "fdb" {
  count = var.create_fdb_role ? 1 : 0

  statement {
    sid       = "FdbClusterFile"
    actions   = ["ssm:GetParameter"]
    resources = [var.fdb_cluster_file_parameter_arn]
  }
}

resource "aws_iam_role" "fdb" {
  count = var.create_fdb_role ? 1 : 0

  name_prefix          = "${substr(var.name, 0, 24)}-fdb-"
  description          = "FoundationDB servers of ${var.name}"
  assume_role_policy   = data.aws_iam_policy_document.ec2_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_role_policy" "fdb" {
  count = var.create_fdb_role ? 1 : 0

  name   = "fdb-server"
  role   = aws_iam_role.fdb[0].id
  policy = data.aws_iam_policy_document.fdb[0].json
}

resource "aws_iam_role_policy" "fdb_session_manager" {
  count = var.create_fdb_role && var.enable_ssm_session_manager ? 1 : 0

  name   = "session-manager"
  role   = aws_iam_role.fdb[0].id
  policy = data.aws_iam_policy_document.session_manager.json
}

resource "aws_iam_instance_profile" "fdb" {
  count = var.create_fdb_role ? 1 : 0

  name_prefix = "${substr(var.name, 0, 24)}-fdb-"
  role        = aws_iam_role.fdb[0].name
  tags        = var.tags
}
