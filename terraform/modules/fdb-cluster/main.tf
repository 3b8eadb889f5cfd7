# FoundationDB on EC2: a fixed set of servers whose addresses are known before they boot
# (pre-created network interfaces), so that the one cluster file can name the coordinators.
#
#   uuid(), once   ──► cluster id            ┐
#   ENI per server ──► fixed private IPs     ├─► modules/fdb-config ─► fdb.cluster ─► SSM parameter
#   EBS per server ──► data volume ids       ┘                      └► cloud-init per server
#   instance per server (ENI at device 0, cloud-init) + volume attachment
#
# A replaced instance gets the same ENI (address) and data volume, so the coordinators and the
# data survive; the first coordinator creates the database once (guarded, see fdb-config).

data "aws_ec2_instance_type" "this" {
  instance_type = var.instance_type
}

data "aws_ssm_parameter" "ami" {
  count = var.ami_id == null ? 1 : 0

  name = var.os_family == "ubuntu" ? "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id" : "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

# The cluster file's id, chosen once: uuid() is evaluated when this is created and ignored
# afterwards, so the id never changes (a new id would make the servers a new, empty cluster).
# terraform_data rather than the random provider keeps the module on the aws provider alone.
resource "terraform_data" "cluster_id" {
  input = substr(replace(uuid(), "-", ""), 0, 16)

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  ami_id = var.ami_id != null ? var.ami_id : nonsensitive(data.aws_ssm_parameter.ami[0].value)

  servers = {
    for i in range(var.server_count) : tostring(i) => {
      index  = i
      name   = "${var.name}-fdb-${i}"
      subnet = var.subnets[i % length(var.subnets)].id
      az     = var.subnets[i % length(var.subnets)].az
    }
  }

  # One fdbserver per physical core; the memory limit shares 85 % of the instance's memory.
  processes_per_host = var.processes_per_host != null ? var.processes_per_host : coalesce(data.aws_ec2_instance_type.this.default_cores, 1)
  memory_per_process = "${floor(data.aws_ec2_instance_type.this.memory_size * 0.85 / local.processes_per_host)}MiB"

  description = replace(var.name, "-", "_")
}

resource "aws_network_interface" "server" {
  for_each = local.servers

  subnet_id       = each.value.subnet
  security_groups = [var.security_group_id]
  description     = "FoundationDB server ${each.value.name}: its fixed address is named in fdb.cluster"
  tags            = merge(var.tags, { Name = each.value.name })
}

resource "aws_ebs_volume" "data" {
  for_each = local.servers

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
  source = "../fdb-config"

  cluster_description = local.description
  cluster_id          = terraform_data.cluster_id.output
  servers = [for k, s in local.servers : {
    name           = s.name
    address        = aws_network_interface.server[k].private_ip
    az             = s.az
    data_volume_id = aws_ebs_volume.data[k].id
  }]
  coordinator_count      = var.coordinator_count
  redundancy_mode        = var.redundancy_mode
  storage_engine         = var.storage_engine
  processes_per_host     = local.processes_per_host
  process_classes        = var.process_classes
  memory_per_process     = local.memory_per_process
  fdb_version            = var.fdb_version
  fdb_package_base_url   = var.fdb_package_base_url
  os_family              = var.os_family
  cluster_file_parameter = var.cluster_file_parameter_name
  aws_region             = var.aws_region
}

resource "aws_ssm_parameter" "cluster_file" {
  name        = var.cluster_file_parameter_name
  description = "fdb.cluster of the FoundationDB cluster of ${var.name}; servers and Strata nodes copy it at first boot"
  type        = "String"
  value       = module.config.cluster_string
  tags        = var.tags
}

resource "aws_instance" "server" {
  for_each = local.servers

  ami                  = local.ami_id
  instance_type        = var.instance_type
  iam_instance_profile = var.instance_profile_name
  key_name             = var.key_name
  user_data_base64     = base64gzip(module.config.cloud_init[each.key])

  network_interface {
    network_interface_id = aws_network_interface.server[each.key].id
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
    Name                 = each.value.name
    "strata:fdb-server"  = each.key
    "strata:coordinator" = tostring(each.value.index < var.coordinator_count)
    # Changes when the rendered configuration changes; replace the instance to apply it
    # (terraform apply -replace=…), one server at a time.
    "strata:config-sha256" = sha256(module.config.cloud_init[each.key])
  })

  lifecycle {
    # A newer AMI or configuration must not restart every server at once: roll them by
    # replacing one instance at a time (the ENI and the data volume stay).
    ignore_changes = [ami, user_data_base64]
  }

  depends_on = [aws_ssm_parameter.cluster_file]
}

resource "aws_volume_attachment" "data" {
  for_each = local.servers

  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data[each.key].id
  instance_id = aws_instance.server[each.key].id

  # Stop the instance (fdbserver shuts down cleanly) before the volume is detached.
  stop_instance_before_detaching = true
}
