# examples/dev against mocked providers (scripts/test.sh runs it where the providers install):
# the secret's ARN, unknown until apply, flows into the module; with an existing secret no
# database is created.

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
  mock_data "aws_ssm_parameter" {
    defaults = { value = "ami-0123456789abcdef0" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_subnet" {
    defaults = { vpc_id = "vpc-0123456789abcdef0", availability_zone = "eu-west-1a" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { id = "strata-dev-segments-1", arn = "arn:aws:s3:::strata-dev-segments-1", region = "eu-west-1" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:strata-dev/metastore-url-AbCdEf" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/x" }
  }
  mock_resource "aws_network_interface" {
    defaults = { private_ip = "10.0.1.10" }
  }
  mock_resource "aws_ebs_volume" {
    defaults = { id = "vol-0123456789abcdef0" }
  }
  mock_resource "aws_db_instance" {
    defaults = { address = "db.example.internal", port = 5432 }
  }
}

variables {
  vpc_id              = "vpc-0123456789abcdef0"
  private_subnet_ids  = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  strata_artifact_url = "s3://acme/strata.jar"
  client_cidr_blocks  = ["10.0.0.0/16"]
}
run "plans_with_the_secret_arn_unknown" {
  command = plan
}
run "one_node_and_a_new_database" {
  command = apply
  assert {
    condition     = output.bootstrap_brokers == "10.0.1.10:9092" && output.metastore_endpoint == "db.example.internal"
    error_message = "got ${output.bootstrap_brokers}"
  }
  assert {
    condition     = output.metastore_secret_arn == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:strata-dev/metastore-url-AbCdEf"
    error_message = "the node must read the secret created here"
  }
}
run "existing_secret_creates_no_database" {
  command = apply
  variables {
    metastore_secret_arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/strata/url"
  }
  assert {
    condition     = output.metastore_endpoint == null && output.metastore_secret_arn == "arn:aws:ssm:eu-west-1:123456789012:parameter/strata/url"
    error_message = "an existing secret needs no database"
  }
}
