# terraform test (plan mode): the object.store URL and the IAM patterns for given inputs, and
# the inputs the module refuses.

variables {
  bucket_name = "acme-strata-segments"
  region      = "eu-west-1"
}

run "prefix_and_region" {
  command = plan

  variables {
    key_prefix = "prod/strata/"
  }

  assert {
    condition     = output.url == "s3://acme-strata-segments/prod/strata?region=eu-west-1"
    error_message = "unexpected url: ${output.url}"
  }
  assert {
    condition     = output.object_arn_pattern == "arn:aws:s3:::acme-strata-segments/prod/strata/*"
    error_message = "unexpected object ARN pattern: ${output.object_arn_pattern}"
  }
  assert {
    condition     = output.list_prefix_condition == "prod/strata/*"
    error_message = "unexpected list prefix: ${output.list_prefix_condition}"
  }
  assert {
    condition     = output.bucket_arn == "arn:aws:s3:::acme-strata-segments"
    error_message = "unexpected bucket ARN"
  }
}

run "whole_bucket_and_endpoint" {
  command = plan

  variables {
    key_prefix = ""
    endpoint   = "http://127.0.0.1:9000"
    region     = "us-east-1"
    partition  = "aws-cn"
  }

  assert {
    condition     = output.url == "s3://acme-strata-segments?endpoint=http://127.0.0.1:9000&region=us-east-1"
    error_message = "unexpected url: ${output.url}"
  }
  assert {
    condition     = output.object_arn_pattern == "arn:aws-cn:s3:::acme-strata-segments/*"
    error_message = "unexpected object ARN pattern: ${output.object_arn_pattern}"
  }
}

run "rejects_empty_bucket_name" {
  command = plan
  variables {
    bucket_name = ""
  }
  expect_failures = [var.bucket_name]
}

run "rejects_invalid_bucket_name" {
  command = plan
  variables {
    bucket_name = "Acme_Segments"
  }
  expect_failures = [var.bucket_name]
}

run "rejects_leading_slash_prefix" {
  command = plan
  variables {
    key_prefix = "/strata"
  }
  expect_failures = [var.key_prefix]
}

run "rejects_bad_region" {
  command = plan
  variables {
    region = "Ireland"
  }
  expect_failures = [var.region]
}
