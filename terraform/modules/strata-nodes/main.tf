# A fixed set of Strata nodes with stable identities: node i has node.id i, a network interface
# (its advertised address) and a data volume that outlive its instance. A Network Load Balancer
# gives clients one bootstrap address; after bootstrap they talk to each node's own address.
#
#   ENI per node ──► private IP = advertised.host ┐
#   EBS per node ──► data volume id               ├─► modules/strata-node-config ─► cloud-init
#   instance per node (ENI at device 0) + volume attachment + NLB target (health: /ready)

data "aws_ssm_parameter" "ami" {
  count = var.ami_id == null ? 1 : 0

  name = var.os_family == "ubuntu" ? "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id" : "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  ami_id = var.ami_id != null ? var.ami_id : nonsensitive(data.aws_ssm_parameter.ami[0].value)

  nodes = {
    for i in range(var.node_count) : tostring(i) => {
      id     = i
      name   = "${var.name}-strata-${i}"
      subnet = var.subnets[i % length(var.subnets)].id
      az     = var.subnets[i % length(var.subnets)].az
    }
  }
}

resource "aws_network_interface" "node" {
  for_each = local.nodes

  subnet_id       = each.value.subnet
  security_groups = [var.security_group_id]
  description     = "Strata node ${each.value.id} of ${var.name}: its advertised address"
  tags            = merge(var.tags, { Name = each.value.name })
}

resource "aws_ebs_volume" "data" {
  for_each = local.nodes

  availability_zone = each.value.az
  type              = "gp3"
  size              = var.data_volume.size_gb
  iops              = var.data_volume.iops
  throughput        = var.data_volume.throughput
  encrypted         = true
  kms_key_id        = var.ebs_kms_key_arn
  tags              = merge(var.tags, { Name = "${each.value.name}-data" })
}

module "config" {
  source   = "../strata-node-config"
  for_each = local.nodes

  node_id                        = each.value.id
  node_count                     = var.node_count
  cluster_name                   = var.name
  advertised_host                = length(var.advertised_hosts) > 0 ? var.advertised_hosts[each.value.id] : aws_network_interface.node[each.key].private_ip
  kafka_port                     = var.kafka_port
  admin_port                     = var.admin_port
  rack                           = each.value.az
  metastore                      = var.metastore
  metastore_secret               = var.metastore_secret
  object_store                   = var.object_store_url
  default_replication_factor     = var.default_replication_factor
  min_insync_replicas            = var.min_insync_replicas
  controlled_shutdown_timeout_ms = var.controlled_shutdown_timeout_ms
  extra_settings                 = var.extra_settings
  artifact_url                   = var.artifact_url
  artifact_sha256                = var.artifact_sha256
  os_family                      = var.os_family
  java_heap                      = var.java_heap
  java_opts                      = var.java_opts
  java_performance_opts          = var.java_performance_opts
  fdb_version                    = var.fdb_version
  fdb_package_base_url           = var.fdb_package_base_url
  fdb_cluster_file_parameter     = var.fdb_cluster_file_parameter
  aws_region                     = var.aws_region
  data_volume_id                 = aws_ebs_volume.data[each.key].id
}

resource "aws_instance" "node" {
  for_each = local.nodes

  ami                  = local.ami_id
  instance_type        = var.instance_type
  iam_instance_profile = var.instance_profile_name
  key_name             = var.key_name
  user_data_base64     = base64gzip(module.config[each.key].cloud_init)

  network_interface {
    network_interface_id = aws_network_interface.node[each.key].id
    device_index         = 0
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    kms_key_id            = var.ebs_kms_key_arn
    delete_on_termination = true
    tags                  = merge(var.tags, { Name = "${each.value.name}-root" })
  }

  tags = merge(var.tags, {
    Name             = each.value.name
    "strata:node-id" = each.key
    "strata:cluster" = var.name
    "strata:rack"    = each.value.az
    # Changes when the rendered configuration changes; replace the instance to apply it
    # (terraform apply -replace=…), one node at a time.
    "strata:config-sha256" = module.config[each.key].config_hash
  })

  lifecycle {
    # A newer AMI or configuration must not restart every node at once: roll them by replacing
    # one instance at a time (node id, address and data volume stay).
    ignore_changes = [ami, user_data_base64]
  }
}

resource "aws_volume_attachment" "data" {
  for_each = local.nodes

  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data[each.key].id
  instance_id = aws_instance.node[each.key].id

  # Stop the instance (SIGTERM: controlled shutdown) before the volume is detached.
  stop_instance_before_detaching = true
}

########################################
# Bootstrap load balancer
########################################

resource "aws_lb" "bootstrap" {
  count = var.create_nlb ? 1 : 0

  name                             = "${var.name}-nlb"
  load_balancer_type               = "network"
  internal                         = var.nlb_internal
  subnets                          = var.nlb_subnet_ids != null ? var.nlb_subnet_ids : distinct([for s in var.subnets : s.id])
  security_groups                  = compact([var.nlb_security_group_id])
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.nlb_deletion_protection
  tags                             = var.tags
}

resource "aws_lb_target_group" "kafka" {
  count = var.create_nlb ? 1 : 0

  name                 = "${var.name}-kafka"
  port                 = var.kafka_port
  protocol             = "TCP"
  target_type          = "instance"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = tostring(var.admin_port)
    path                = "/ready"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = var.tags
}

resource "aws_lb_listener" "kafka" {
  count = var.create_nlb ? 1 : 0

  load_balancer_arn = aws_lb.bootstrap[0].arn
  port              = var.kafka_port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.kafka[0].arn
  }

  tags = var.tags
}

resource "aws_lb_target_group_attachment" "node" {
  for_each = var.create_nlb ? local.nodes : {}

  target_group_arn = aws_lb_target_group.kafka[0].arn
  target_id        = aws_instance.node[each.key].id
  port             = var.kafka_port
}
