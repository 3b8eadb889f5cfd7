# Renders a Prometheus scrape_configs entry for the Strata nodes' admin ports, one static target
# per node labelled with its node id, availability zone and cluster.

locals {
  target_blocks = [
    for t in var.targets : join("", concat(
      [
        "      - targets: [${jsonencode("${t.address}:${t.port}")}]\n",
        "        labels:\n",
        "          node_id: ${jsonencode(tostring(t.node_id))}\n",
        "          az: ${jsonencode(t.az)}\n",
        "          cluster: ${jsonencode(var.cluster_name)}\n",
      ],
      [for k in sort(keys(var.extra_labels)) : "          ${k}: ${jsonencode(var.extra_labels[k])}\n"],
    ))
  ]

  # One element of Prometheus' scrape_configs list, indented to sit under "scrape_configs:".
  job = join("", concat(
    [
      "  - job_name: ${jsonencode(var.job_name)}\n",
      "    metrics_path: ${jsonencode(var.metrics_path)}\n",
      "    scrape_interval: ${jsonencode(var.scrape_interval)}\n",
      "    static_configs:\n",
    ],
    local.target_blocks,
  ))

  document = "# Rendered by Terraform (module prometheus-scrape) for Strata cluster ${var.cluster_name}.\nscrape_configs:\n${local.job}"
}
