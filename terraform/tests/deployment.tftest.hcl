# The whole deployment applied against mocked providers: the wiring between the modules, values
# known only after apply (network interface addresses, volume ids) flowing into the rendered
# configuration, and the outputs clients use. Mock providers still need the providers' schemas, so
# scripts/test.sh runs this file only where `terraform init` of the root module succeeds.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_ec2_instance_type" {
    defaults = { default_cores = 2, memory_size = 16384 }
  }
  mock_data "aws_ssm_parameter" {
    defaults = { value = "ami-0123456789abcdef0" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      id     = "strata-test-segments-0001"
      arn    = "arn:aws:s3:::strata-test-segments-0001"
      region = "eu-west-1"
    }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/strata-test-nlb/0123456789abcdef"
      dns_name = "strata-test-nlb-0123456789.elb.eu-west-1.amazonaws.com"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/strata-test-kafka/0123456789abcdef" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/strata-test-strata-0001" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:strata-test/metastore-url-AbCdEf" }
  }
  mock_resource "aws_ssm_parameter" {
    defaults = { arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/strata/strata-test/fdb.cluster" }
  }
}

override_resource {
  target = module.fdb[0].terraform_data.cluster_id
  values = { output = "a1B2c3D4e5F6g7H8" }
}

override_data {
  target = data.aws_subnet.selected["subnet-0aaaaaaaaaaaaaaaa"]
  values = { id = "subnet-0aaaaaaaaaaaaaaaa", vpc_id = "vpc-0123456789abcdef0", availability_zone = "eu-west-1a" }
}
override_data {
  target = data.aws_subnet.selected["subnet-0bbbbbbbbbbbbbbbb"]
  values = { id = "subnet-0bbbbbbbbbbbbbbbb", vpc_id = "vpc-0123456789abcdef0", availability_zone = "eu-west-1b" }
}
override_data {
  target = data.aws_subnet.selected["subnet-0cccccccccccccccc"]
  values = { id = "subnet-0cccccccccccccccc", vpc_id = "vpc-0123456789abcdef0", availability_zone = "eu-west-1c" }
}

override_resource {
  target = module.nodes.aws_network_interface.node["0"]
  values = { private_ip = "10.0.1.10" }
}
override_resource {
  target = module.nodes.aws_network_interface.node["1"]
  values = { private_ip = "10.0.2.10" }
}
override_resource {
  target = module.nodes.aws_network_interface.node["2"]
  values = { private_ip = "10.0.3.10" }
}
override_resource {
  target = module.nodes.aws_ebs_volume.data["0"]
  values = { id = "vol-0a0000000000000a0" }
}
override_resource {
  target = module.nodes.aws_ebs_volume.data["1"]
  values = { id = "vol-0a0000000000000a1" }
}
override_resource {
  target = module.nodes.aws_ebs_volume.data["2"]
  values = { id = "vol-0a0000000000000a2" }
}

override_resource {
  target = module.fdb[0].aws_network_interface.server["0"]
  values = { private_ip = "10.0.1.20" }
}
override_resource {
  target = module.fdb[0].aws_network_interface.server["1"]
  values = { private_ip = "10.0.2.20" }
}
override_resource {
  target = module.fdb[0].aws_network_interface.server["2"]
  values = { private_ip = "10.0.3.20" }
}
override_resource {
  target = module.fdb[0].aws_ebs_volume.data["0"]
  values = { id = "vol-0f0000000000000f0" }
}
override_resource {
  target = module.fdb[0].aws_ebs_volume.data["1"]
  values = { id = "vol-0f0000000000000f1" }
}
override_resource {
  target = module.fdb[0].aws_ebs_volume.data["2"]
  values = { id = "vol-0f0000000000000f2" }
}

variables {
  name                = "strata-test"
  vpc_id              = "vpc-0123456789abcdef0"
  subnet_ids          = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"]
  strata_artifact_url = "s3://acme-artifacts/strata/0.1.0/strata.jar"
  client_cidr_blocks  = ["10.0.0.0/16"]
}

run "three_nodes_and_three_coordinators_in_three_azs" {
  command = apply

  assert {
    condition     = output.bootstrap_brokers == "10.0.1.10:9092,10.0.2.10:9092,10.0.3.10:9092"
    error_message = "unexpected bootstrap_brokers: ${output.bootstrap_brokers}"
  }
  assert {
    condition     = output.bootstrap_brokers_nlb == "strata-test-nlb-0123456789.elb.eu-west-1.amazonaws.com:9092"
    error_message = "unexpected bootstrap_brokers_nlb: ${output.bootstrap_brokers_nlb}"
  }
  assert {
    condition     = output.admin_urls == ["http://10.0.1.10:9644", "http://10.0.2.10:9644", "http://10.0.3.10:9644"]
    error_message = "unexpected admin_urls"
  }
  assert {
    condition     = [for k in ["0", "1", "2"] : output.nodes[k].az] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    error_message = "the nodes must be spread over the three AZs in order"
  }
  assert {
    condition     = output.fdb_cluster_string == "strata_test:a1B2c3D4e5F6g7H8@10.0.1.20:4500,10.0.2.20:4500,10.0.3.20:4500"
    error_message = "unexpected cluster file: ${output.fdb_cluster_string}"
  }
  assert {
    condition     = output.fdb_cluster_file_parameter == "/strata/strata-test/fdb.cluster"
    error_message = "unexpected parameter name"
  }
  assert {
    condition     = output.bucket_name == "strata-test-segments-0001" && output.object_store_url == "s3://strata-test-segments-0001/strata?region=eu-west-1"
    error_message = "unexpected object store: ${output.object_store_url}"
  }
  assert {
    condition     = [for t in yamldecode(output.prometheus_scrape_config).scrape_configs[0].static_configs : t.targets[0]] == ["10.0.1.10:9644", "10.0.2.10:9644", "10.0.3.10:9644"]
    error_message = "the scrape config must target every node's admin port"
  }
  assert {
    condition     = yamldecode(output.prometheus_scrape_config).scrape_configs[0].static_configs[2].labels == { node_id = "2", az = "eu-west-1c", cluster = "strata-test" }
    error_message = "the scrape targets must carry node_id, az and cluster"
  }
  assert {
    condition     = output.fdb_security_group_id != null && output.nlb_security_group_id != null
    error_message = "FoundationDB and the load balancer get their security groups"
  }
}

run "one_node_with_an_external_metastore" {
  command = apply

  variables {
    subnet_ids                 = ["subnet-0aaaaaaaaaaaaaaaa"]
    node_count                 = 1
    default_replication_factor = 1
    min_insync_replicas        = 1
    metastore_type             = "external"
    metastore_secret_arn       = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:strata-test/metastore-url-AbCdEf"
    create_nlb                 = false
  }

  assert {
    condition     = output.bootstrap_brokers == "10.0.1.10:9092" && output.bootstrap_brokers_nlb == null
    error_message = "one node, no load balancer"
  }
  assert {
    condition     = output.fdb_cluster_file_parameter == null && output.fdb_security_group_id == null && length(output.fdb_servers) == 0
    error_message = "no FoundationDB with an external MetaStore"
  }
}

run "rejects_node_count_below_replication_factor" {
  command = plan
  variables {
    node_count = 2
  }
  expect_failures = [var.node_count]
}

run "rejects_even_coordinator_count" {
  command = plan
  variables {
    fdb_coordinator_count = 2
  }
  expect_failures = [var.fdb_coordinator_count]
}

run "rejects_external_metastore_without_secret" {
  command = plan
  variables {
    metastore_type = "external"
  }
  expect_failures = [var.metastore_secret_arn]
}

run "rejects_existing_bucket_without_name" {
  command = plan
  variables {
    create_bucket = false
  }
  expect_failures = [var.bucket_name]
}
