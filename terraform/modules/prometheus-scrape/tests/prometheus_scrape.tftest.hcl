# terraform test (plan mode): the scrape config rendered for given nodes, and the inputs refused.

variables {
  cluster_name = "prod"
  targets = [
    { node_id = 0, address = "10.0.1.20", port = 9644, az = "eu-west-1a" },
    { node_id = 1, address = "10.0.2.20", port = 9644, az = "eu-west-1b" },
  ]
}

run "scrape_config_of_two_nodes" {
  command = plan

  assert {
    condition     = output.scrape_configs == <<-EOT
      # Rendered by Terraform (module prometheus-scrape) for Strata cluster prod.
      scrape_configs:
        - job_name: "strata"
          metrics_path: "/metrics"
          scrape_interval: "15s"
          static_configs:
            - targets: ["10.0.1.20:9644"]
              labels:
                node_id: "0"
                az: "eu-west-1a"
                cluster: "prod"
            - targets: ["10.0.2.20:9644"]
              labels:
                node_id: "1"
                az: "eu-west-1b"
                cluster: "prod"
    EOT
    error_message = "unexpected scrape config:\n${output.scrape_configs}"
  }
  assert {
    condition     = yamldecode(output.scrape_configs).scrape_configs[0].static_configs[1].labels == { node_id = "1", az = "eu-west-1b", cluster = "prod" }
    error_message = "the document must parse as YAML with the labels"
  }
  assert {
    condition     = output.targets == ["10.0.1.20:9644", "10.0.2.20:9644"]
    error_message = "unexpected targets"
  }
}

run "extra_labels_and_interval" {
  command = plan

  variables {
    job_name        = "strata-prod"
    scrape_interval = "30s"
    extra_labels    = { env = "prod", team = "streaming" }
  }

  assert {
    condition     = yamldecode(output.scrape_configs).scrape_configs[0].static_configs[0].labels == { node_id = "0", az = "eu-west-1a", cluster = "prod", env = "prod", team = "streaming" }
    error_message = "extra labels must be on every target"
  }
  assert {
    condition     = yamldecode(output.scrape_configs).scrape_configs[0].scrape_interval == "30s" && yamldecode(output.scrape_configs).scrape_configs[0].job_name == "strata-prod"
    error_message = "job name and interval must follow the variables"
  }
}

run "rejects_empty_job_name" {
  command = plan
  variables {
    job_name = ""
  }
  expect_failures = [var.job_name]
}

run "rejects_bad_interval" {
  command = plan
  variables {
    scrape_interval = "fifteen seconds"
  }
  expect_failures = [var.scrape_interval]
}

run "rejects_duplicate_node_ids" {
  command = plan
  variables {
    targets = [
      { node_id = 0, address = "10.0.1.20", port = 9644, az = "eu-west-1a" },
      { node_id = 0, address = "10.0.2.20", port = 9644, az = "eu-west-1b" },
    ]
  }
  expect_failures = [var.targets]
}

run "rejects_no_targets" {
  command = plan
  variables {
    targets = []
  }
  expect_failures = [var.targets]
}

run "rejects_reserved_label" {
  command = plan
  variables {
    extra_labels = { az = "x" }
  }
  expect_failures = [var.extra_labels]
}
