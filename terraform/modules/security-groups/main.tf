# Security groups of the Strata nodes, the FoundationDB servers and the load balancer:
#   Kafka port   : clients (CIDRs / security groups), the other Strata nodes, the load balancer
#   admin port   : monitoring (CIDRs / security groups), the other Strata nodes, the load
#                  balancer's health checks
#   FDB ports    : FoundationDB servers among themselves and the Strata nodes, nothing else
# Every rule is one aws_vpc_security_group_{ingress,egress}_rule, made from the tables below:
# one row per (group, port range, source), so adding a source is adding a row.

locals {
  kafka = { from = var.kafka_port, to = var.kafka_port }
  admin = { from = var.admin_port, to = var.admin_port }
  fdb   = { from = var.fdb_ports.from, to = var.fdb_ports.to }

  # A source is a CIDR (IPv4 or IPv6) or a security group ("sg:" + its id or one of ours by name).
  ingress = merge(
    { for c in var.client_cidr_blocks : "strata-kafka-${c}" => { group = "strata", ports = local.kafka, source = c, description = "Kafka from clients" } },
    { for i, g in var.client_security_group_ids : "strata-kafka-sg${i}" => { group = "strata", ports = local.kafka, source = "sg:${g}", description = "Kafka from client security group" } },
    { "strata-kafka-self" = { group = "strata", ports = local.kafka, source = "sg:strata", description = "Kafka between Strata nodes (replication)" } },
    { "strata-admin-self" = { group = "strata", ports = local.admin, source = "sg:strata", description = "Admin HTTP between Strata nodes" } },
    { for c in var.monitoring_cidr_blocks : "strata-admin-${c}" => { group = "strata", ports = local.admin, source = c, description = "Admin HTTP (/metrics, /ready) from monitoring" } },
    { for i, g in var.monitoring_security_group_ids : "strata-admin-sg${i}" => { group = "strata", ports = local.admin, source = "sg:${g}", description = "Admin HTTP (/metrics, /ready) from monitoring security group" } },
    var.create_nlb ? {
      "strata-kafka-nlb" = { group = "strata", ports = local.kafka, source = "sg:nlb", description = "Kafka from the bootstrap load balancer" }
      "strata-admin-nlb" = { group = "strata", ports = local.admin, source = "sg:nlb", description = "Health checks (/ready) from the bootstrap load balancer" }
    } : {},
    var.create_nlb ? merge(
      { for c in var.client_cidr_blocks : "nlb-kafka-${c}" => { group = "nlb", ports = local.kafka, source = c, description = "Kafka bootstrap from clients" } },
      { for i, g in var.client_security_group_ids : "nlb-kafka-sg${i}" => { group = "nlb", ports = local.kafka, source = "sg:${g}", description = "Kafka bootstrap from client security group" } },
    ) : {},
    var.create_fdb ? {
      "fdb-self"   = { group = "fdb", ports = local.fdb, source = "sg:fdb", description = "fdbserver processes among themselves" }
      "fdb-strata" = { group = "fdb", ports = local.fdb, source = "sg:strata", description = "FoundationDB clients: the Strata nodes" }
    } : {},
  )

  egress = merge(
    { "strata-all" = { group = "strata", ports = null, source = "0.0.0.0/0", description = "S3, SSM, package repositories, FoundationDB, other nodes" } },
    var.create_fdb ? { "fdb-all" = { group = "fdb", ports = null, source = "0.0.0.0/0", description = "Other servers, SSM, package repositories" } } : {},
    var.create_nlb ? {
      "nlb-kafka-strata"  = { group = "nlb", ports = local.kafka, source = "sg:strata", description = "Kafka to the Strata nodes" }
      "nlb-health-strata" = { group = "nlb", ports = local.admin, source = "sg:strata", description = "Health checks to the Strata nodes" }
    } : {},
  )

  # Ours by name; anything else after "sg:" is a security group id given by the caller.
  groups = {
    strata = aws_security_group.strata.id
    fdb    = var.create_fdb ? aws_security_group.fdb[0].id : null
    nlb    = var.create_nlb ? aws_security_group.nlb[0].id : null
  }
}

resource "aws_security_group" "strata" {
  name_prefix = "${var.name}-strata-"
  description = "Strata nodes of ${var.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-strata" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "fdb" {
  count = var.create_fdb ? 1 : 0

  name_prefix = "${var.name}-fdb-"
  description = "FoundationDB servers of ${var.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-fdb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "nlb" {
  count = var.create_nlb ? 1 : 0

  name_prefix = "${var.name}-nlb-"
  description = "Bootstrap load balancer of ${var.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-nlb" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.ingress

  security_group_id            = local.groups[each.value.group]
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.ports.from
  to_port                      = each.value.ports.to
  cidr_ipv4                    = startswith(each.value.source, "sg:") || strcontains(each.value.source, ":") ? null : each.value.source
  cidr_ipv6                    = !startswith(each.value.source, "sg:") && strcontains(each.value.source, ":") ? each.value.source : null
  referenced_security_group_id = startswith(each.value.source, "sg:") ? lookup(local.groups, trimprefix(each.value.source, "sg:"), trimprefix(each.value.source, "sg:")) : null
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = local.egress

  security_group_id            = local.groups[each.value.group]
  description                  = each.value.description
  ip_protocol                  = each.value.ports == null ? "-1" : "tcp"
  from_port                    = each.value.ports == null ? null : each.value.ports.from
  to_port                      = each.value.ports == null ? null : each.value.ports.to
  cidr_ipv4                    = startswith(each.value.source, "sg:") ? null : each.value.source
  referenced_security_group_id = startswith(each.value.source, "sg:") ? local.groups[trimprefix(each.value.source, "sg:")] : null
  tags                         = var.tags
}
