# terraform test (plan mode): what the module renders for given inputs, and the inputs it refuses.

variables {
  node_id         = 1
  node_count      = 3
  cluster_name    = "prod"
  advertised_host = "10.0.2.15"
  rack            = "eu-west-1b"
  metastore       = "fdb:/etc/foundationdb/fdb.cluster"
  object_store    = "s3://acme-segments/strata?region=eu-west-1"
}

run "strata_yaml_of_an_fdb_node" {
  command = plan

  assert {
    condition     = output.strata_yaml == <<-EOT
      # strata.yaml of node 1 in cluster prod: rendered by Terraform (module strata-node-config).
      # Every key is a Strata broker setting (docs/configuration.md); STRATA_* environment variables override them.
      node.id: 1
      cluster.name: "prod"
      data.dir: "/var/lib/strata/data"
      metastore: "fdb:/etc/foundationdb/fdb.cluster"
      object.store: "s3://acme-segments/strata?region=eu-west-1"
      host: "0.0.0.0"
      port: 9092
      advertised.host: "10.0.2.15"
      advertised.port: 9092
      admin.port: 9644
      broker.rack: "eu-west-1b"
      default.replication.factor: 3
      min.insync.replicas: 2
      controlled.shutdown.timeout.ms: 30000
    EOT
    error_message = "unexpected strata.yaml:\n${output.strata_yaml}"
  }

  assert {
    condition     = yamldecode(output.strata_yaml)["node.id"] == 1 && yamldecode(output.strata_yaml)["broker.rack"] == "eu-west-1b"
    error_message = "strata.yaml is not the YAML map it should be"
  }

  assert {
    condition     = output.settings["advertised.host"] == "10.0.2.15" && output.settings["metastore"] == "fdb:/etc/foundationdb/fdb.cluster"
    error_message = "settings map does not match strata.yaml"
  }

  assert {
    condition     = output.cloud_init == null && output.bootstrap_script == null
    error_message = "without artifact_url no cloud-init is rendered"
  }
}

run "systemd_unit_runs_strata_broker" {
  command = plan

  assert {
    condition     = strcontains(output.systemd_unit, "\nExecStart=/usr/bin/java -XX:MaxRAMPercentage=50 -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -jar /opt/strata/strata.jar broker --config /etc/strata/strata.yaml\n")
    error_message = "unexpected ExecStart:\n${output.systemd_unit}"
  }
  assert {
    condition     = strcontains(output.systemd_unit, "\nTimeoutStopSec=60\n") && strcontains(output.systemd_unit, "\nKillSignal=SIGTERM\n")
    error_message = "TimeoutStopSec must exceed controlled.shutdown.timeout.ms (30 s)"
  }
  assert {
    condition     = strcontains(output.systemd_unit, "\nUser=strata\n") && strcontains(output.systemd_unit, "\nRestart=on-failure\n")
    error_message = "the unit must run as strata and restart on failure"
  }
  assert {
    condition     = !strcontains(output.systemd_unit, "ExecStartPre") && !strcontains(output.systemd_unit, "EnvironmentFile")
    error_message = "no secret, so no ExecStartPre nor EnvironmentFile"
  }
  assert {
    condition     = strcontains(output.systemd_unit, "\nReadWritePaths=-/etc/foundationdb\n")
    error_message = "the FoundationDB client must be able to rewrite its cluster file"
  }
}

run "stop_timeout_follows_controlled_shutdown_and_heap" {
  command = plan

  variables {
    controlled_shutdown_timeout_ms = 45500
    java_heap                      = "4g"
    java_performance_opts          = "-XX:+UseZGC"
    java_opts                      = "-Dfoo=bar"
  }

  assert {
    condition     = strcontains(output.systemd_unit, "\nTimeoutStopSec=76\n")
    error_message = "TimeoutStopSec must be ceil(45.5 s) + 30 s"
  }
  assert {
    condition     = strcontains(output.systemd_unit, "java -Xms4g -Xmx4g -XX:+UseZGC -XX:+ExitOnOutOfMemoryError -Dfoo=bar -jar")
    error_message = "unexpected java options:\n${output.systemd_unit}"
  }
  assert {
    condition     = strcontains(output.strata_yaml, "\ncontrolled.shutdown.timeout.ms: 45500\n")
    error_message = "the setting and the unit must agree"
  }
}

run "extra_settings_are_rendered_sorted_and_quoted" {
  command = plan

  variables {
    extra_settings = {
      "num.partitions"   = "6"
      "log.retention.ms" = "86400000"
    }
    advertised_port = 19092
  }

  assert {
    condition     = yamldecode(output.strata_yaml)["num.partitions"] == "6" && yamldecode(output.strata_yaml)["advertised.port"] == 19092
    error_message = "strata.yaml must parse back to the values given"
  }

  assert {
    condition     = endswith(output.strata_yaml, "controlled.shutdown.timeout.ms: 30000\nlog.retention.ms: \"86400000\"\nnum.partitions: \"6\"\n")
    error_message = "unexpected extra settings:\n${output.strata_yaml}"
  }
  assert {
    condition     = strcontains(output.strata_yaml, "\nport: 9092\nadvertised.host: \"10.0.2.15\"\nadvertised.port: 19092\n")
    error_message = "advertised.port must follow the variable"
  }
}

run "cloud_init_of_an_aws_node" {
  command = plan

  variables {
    artifact_url               = "s3://acme-artifacts/strata/0.1.0/strata.jar"
    aws_region                 = "eu-west-1"
    fdb_cluster_file_parameter = "/strata/prod/fdb.cluster"
    data_volume_id             = "vol-0123456789abcdef0"
  }

  assert {
    condition     = startswith(output.cloud_init, "#cloud-config\n")
    error_message = "user data must be a cloud-config document"
  }
  assert {
    condition = [for f in yamldecode(output.cloud_init).write_files : f.path] == [
      "/etc/strata/strata.yaml",
      "/etc/systemd/system/strata.service",
      "/usr/local/sbin/strata-bootstrap",
    ]
    error_message = "unexpected write_files"
  }
  assert {
    condition     = yamldecode(output.cloud_init).write_files[0].content == output.strata_yaml && yamldecode(output.cloud_init).write_files[1].content == output.systemd_unit
    error_message = "cloud-init must carry strata.yaml and the unit unchanged"
  }
  assert {
    condition     = yamldecode(output.cloud_init).runcmd == [["/usr/local/sbin/strata-bootstrap"]]
    error_message = "cloud-init must run the bootstrap script"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "retry dnf install -y java-17-amazon-corretto-headless python3\n")
    error_message = "Java must be installed with dnf on Amazon Linux 2023"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "'https://github.com/apple/foundationdb/releases/download/7.3.68/foundationdb-clients-7.3.68-1.el7.x86_64.rpm'")
    error_message = "the FoundationDB 7.3 client package must be installed"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0 ")
    error_message = "the data volume must be found by its stable NVMe id"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "if [ \"$probe\" -eq 2 ]; then") && strcontains(output.bootstrap_script, "mkfs.ext4 -q -m 0 -L strata-data \"$DEVICE\"")
    error_message = "the data volume must be formatted only when blank"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "aws --region eu-west-1 ssm get-parameter --name '/strata/prod/fdb.cluster'")
    error_message = "the cluster file must come from the SSM parameter"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "retry aws --region eu-west-1 s3 cp --only-show-errors 's3://acme-artifacts/strata/0.1.0/strata.jar' /opt/strata/strata.jar.download\n")
    error_message = "an s3:// artifact must be copied with the AWS CLI"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "useradd --system --user-group --uid 2501 --gid strata") && strcontains(output.bootstrap_script, "systemctl enable strata.service")
    error_message = "the strata user must be created with its fixed id and the unit enabled"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "install -d -o strata -g strata -m 0755 /etc/foundationdb\n")
    error_message = "strata must own the cluster file's directory (the client rewrites the file through a temporary file beside it)"
  }
  assert {
    condition     = length(output.config_hash) == 64
    error_message = "config_hash must be a SHA-256"
  }
}

run "https_artifact_with_checksum_on_ubuntu" {
  command = plan

  variables {
    metastore       = "postgresql://strata@db.internal:5432/strata"
    artifact_url    = "https://artifacts.example.com/strata/0.1.0/strata.jar"
    artifact_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    os_family       = "ubuntu"
  }

  assert {
    condition     = strcontains(output.bootstrap_script, "retry curl -fsSL -o /opt/strata/strata.jar.download 'https://artifacts.example.com/strata/0.1.0/strata.jar'\n")
    error_message = "an https artifact must be fetched with curl"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "echo '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  /opt/strata/strata.jar.download' | sha256sum -c -\n")
    error_message = "the checksum must be verified before the jar is installed"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "apt-get install -y -q openjdk-17-jre-headless")
    error_message = "Java must be installed with apt on Ubuntu"
  }
  assert {
    condition     = !strcontains(output.bootstrap_script, "foundationdb-clients") && !strcontains(output.systemd_unit, "ReadWritePaths")
    error_message = "without an fdb: MetaStore no FoundationDB client is installed"
  }
  assert {
    condition     = strcontains(output.bootstrap_script, "# 3. No data volume: data stays on the root volume.")
    error_message = "without data_volume_id no volume is prepared"
  }
}

run "secret_metastore_is_fetched_at_start" {
  command = plan

  variables {
    metastore = ""
    metastore_secret = {
      arn      = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:strata/dev/metastore-AbCdEf"
      json_key = "url"
    }
    artifact_url = "https://artifacts.example.com/strata.jar"
  }

  assert {
    condition     = strcontains(output.systemd_unit, "\nExecStartPre=/usr/local/libexec/strata/fetch-metastore-url\nEnvironmentFile=-/run/strata/metastore.env\n")
    error_message = "the unit must fetch the secret before starting and read it as an environment file"
  }
  assert {
    condition     = strcontains(output.systemd_unit, "\nRuntimeDirectory=strata\nRuntimeDirectoryMode=0700\n")
    error_message = "the environment file must live in a directory only the strata user can read"
  }
  assert {
    condition     = output.settings["metastore"] == "secret:arn:aws:secretsmanager:eu-west-1:123456789012:secret:strata/dev/metastore-AbCdEf"
    error_message = "strata.yaml must name the secret (a URL Strata refuses), never a URL"
  }
  assert {
    condition     = strcontains(output.fetch_metastore_script, "aws --region \"$REGION\" secretsmanager get-secret-value --secret-id \"$ARN\" --query SecretString --output text")
    error_message = "the secret must be read from Secrets Manager"
  }
  assert {
    condition     = strcontains(output.fetch_metastore_script, "REGION='eu-west-1'") && strcontains(output.fetch_metastore_script, "json.load(sys.stdin)[sys.argv[1]])' 'url'")
    error_message = "the region comes from the ARN and the URL from the JSON key"
  }
  assert {
    condition     = strcontains(output.fetch_metastore_script, "umask 077") && strcontains(output.fetch_metastore_script, "printf \"STRATA_METASTORE='%s'\\n\" \"$VALUE\" >\"$OUT.tmp\"")
    error_message = "the environment file must be written with mode 0600"
  }
  assert {
    condition     = [for f in yamldecode(output.cloud_init).write_files : f.path if f.path == "/usr/local/libexec/strata/fetch-metastore-url"] == ["/usr/local/libexec/strata/fetch-metastore-url"]
    error_message = "cloud-init must install the fetch script"
  }
}

run "ssm_secure_string_metastore" {
  command = plan

  variables {
    metastore = ""
    metastore_secret = {
      arn = "arn:aws:ssm:us-east-2:123456789012:parameter/strata/dev/metastore-url"
    }
  }

  assert {
    condition     = strcontains(output.fetch_metastore_script, "aws --region \"$REGION\" ssm get-parameter --name \"$ARN\" --with-decryption --query Parameter.Value --output text")
    error_message = "an SSM SecureString must be read with decryption"
  }
  assert {
    condition     = strcontains(output.fetch_metastore_script, "REGION='us-east-2'") && !strcontains(output.fetch_metastore_script, "python3")
    error_message = "unexpected fetch script"
  }
}

run "inline_credentials_only_when_allowed" {
  command = plan

  variables {
    metastore                          = "postgresql://strata:secret@127.0.0.1:5432/strata"
    allow_inline_metastore_credentials = true
  }

  assert {
    condition     = output.settings["metastore"] == "postgresql://strata:secret@127.0.0.1:5432/strata"
    error_message = "a fixture may render a local URL with a password"
  }
}

# ---- inputs the module refuses ----

run "rejects_node_count_below_replication_factor" {
  command = plan
  variables {
    node_id    = 0
    node_count = 2
  }
  expect_failures = [var.default_replication_factor]
}

run "rejects_min_insync_above_replication_factor" {
  command = plan
  variables {
    min_insync_replicas = 4
  }
  expect_failures = [var.min_insync_replicas]
}

run "rejects_node_id_outside_the_set" {
  command = plan
  variables {
    node_id = 3
  }
  expect_failures = [var.node_count]
}

run "quotes_and_backslashes_survive_yaml" {
  command = plan

  variables {
    extra_settings = { "log.message.timestamp.type" = "a \"quoted\" \\ value: #1" }
  }

  assert {
    condition     = yamldecode(output.strata_yaml)["log.message.timestamp.type"] == "a \"quoted\" \\ value: #1"
    error_message = "a value with quotes, a backslash, a colon and a hash must read back unchanged:\n${output.strata_yaml}"
  }
}

run "rejects_unknown_setting" {
  command = plan
  variables {
    extra_settings = { "log.retention.hours" = "24" }
  }
  expect_failures = [var.extra_settings]
}

run "rejects_setting_rendered_by_the_module" {
  command = plan
  variables {
    extra_settings = { "node.id" = "7" }
  }
  expect_failures = [var.extra_settings]
}

run "rejects_empty_bucket_name" {
  command = plan
  variables {
    object_store = "s3:///strata?region=eu-west-1"
  }
  expect_failures = [var.object_store]
}

run "rejects_password_in_metastore_url" {
  command = plan
  variables {
    metastore = "postgresql://strata:hunter2@db.internal:5432/strata"
  }
  expect_failures = [var.metastore]
}

run "rejects_both_url_and_secret" {
  command = plan
  variables {
    metastore_secret = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf" }
  }
  expect_failures = [var.metastore]
}

run "rejects_no_metastore" {
  command = plan
  variables {
    metastore = ""
  }
  expect_failures = [var.metastore]
}

run "rejects_bad_secret_arn" {
  command = plan
  variables {
    metastore        = ""
    metastore_secret = { arn = "strata/dev/metastore" }
  }
  expect_failures = [var.metastore_secret]
}

run "rejects_same_kafka_and_admin_port" {
  command = plan
  variables {
    admin_port = 9092
  }
  expect_failures = [var.admin_port]
}

run "rejects_empty_advertised_host" {
  command = plan
  variables {
    advertised_host = ""
  }
  expect_failures = [var.advertised_host]
}

run "rejects_bad_checksum" {
  command = plan
  variables {
    metastore       = "postgresql://strata@db.internal/strata"
    artifact_url    = "https://example.com/strata.jar"
    artifact_sha256 = "abc"
  }
  expect_failures = [var.artifact_sha256]
}

run "rejects_fdb_without_cluster_file_parameter" {
  command = plan
  variables {
    artifact_url = "https://example.com/strata.jar"
  }
  expect_failures = [var.fdb_cluster_file_parameter]
}

run "rejects_s3_artifact_without_region" {
  command = plan
  variables {
    metastore    = "postgresql://strata@db.internal/strata"
    artifact_url = "s3://acme-artifacts/strata.jar"
  }
  expect_failures = [var.aws_region]
}

run "rejects_bad_heap" {
  command = plan
  variables {
    java_heap = "half"
  }
  expect_failures = [var.java_heap]
}

run "rejects_unknown_os" {
  command = plan
  variables {
    os_family = "windows"
  }
  expect_failures = [var.os_family]
}
