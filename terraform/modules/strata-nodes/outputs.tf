locals {
  advertised = {
    for k, n in local.nodes : k => (length(var.advertised_hosts) > 0 ? var.advertised_hosts[n.id] : aws_network_interface.node[k].private_ip)
  }
}

output "nodes" {
  description = "The nodes by node id: name, instance id, private IP, advertised host, availability zone, data volume."
  value = {
    for k, n in local.nodes : k => {
      name            = n.name
      instance_id     = aws_instance.node[k].id
      private_ip      = aws_network_interface.node[k].private_ip
      advertised_host = local.advertised[k]
      az              = n.az
      data_volume_id  = aws_ebs_volume.data[k].id
    }
  }
}

output "bootstrap_brokers" {
  description = "host:port,… of every node, in node id order."
  value       = join(",", [for i in range(var.node_count) : "${local.advertised[tostring(i)]}:${var.kafka_port}"])
}

output "bootstrap_brokers_nlb" {
  description = "host:port of the load balancer (null without it)."
  value       = var.create_nlb ? "${aws_lb.bootstrap[0].dns_name}:${var.kafka_port}" : null
}

output "admin_urls" {
  description = "Admin HTTP base URL of every node, in node id order."
  value       = [for i in range(var.node_count) : "http://${aws_network_interface.node[tostring(i)].private_ip}:${var.admin_port}"]
}

output "scrape_targets" {
  description = "The nodes as Prometheus targets (node id, address, admin port, availability zone)."
  value = [for i in range(var.node_count) : {
    node_id = i
    address = aws_network_interface.node[tostring(i)].private_ip
    port    = var.admin_port
    az      = local.nodes[tostring(i)].az
  }]
}

output "nlb_dns_name" {
  description = "DNS name of the load balancer (null without it)."
  value       = var.create_nlb ? aws_lb.bootstrap[0].dns_name : null
}

output "nlb_zone_id" {
  description = "Route 53 zone id of the load balancer, for alias records (null without it)."
  value       = var.create_nlb ? aws_lb.bootstrap[0].zone_id : null
}

output "target_group_arn" {
  description = "Target group of the nodes (null without the load balancer)."
  value       = var.create_nlb ? aws_lb_target_group.kafka[0].arn : null
}
