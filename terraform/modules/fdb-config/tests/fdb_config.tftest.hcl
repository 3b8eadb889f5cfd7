# terraform test (plan mode): the cluster file, foundationdb.conf, the guarded `configure new` and
# the servers' cloud-init for given inputs, and the inputs the module refuses.

variables {
  cluster_description = "strata_prod"
  cluster_id          = "a1B2c3D4e5F6g7H8"
  servers = [
    { name = "prod-fdb-0", address = "10.0.1.10", az = "eu-west-1a", data_volume_id = "vol-0aaaaaaaaaaaaaaa0" },
    { name = "prod-fdb-1", address = "10.0.2.10", az = "eu-west-1b", data_volume_id = "vol-0bbbbbbbbbbbbbbb1" },
    { name = "prod-fdb-2", address = "10.0.3.10", az = "eu-west-1c", data_volume_id = "vol-0ccccccccccccccc2" },
  ]
  processes_per_host = 2
}

run "cluster_file_names_the_coordinators" {
  command = plan

  assert {
    condition     = output.cluster_file == "strata_prod:a1B2c3D4e5F6g7H8@10.0.1.10:4500,10.0.2.10:4500,10.0.3.10:4500\n"
    error_message = "unexpected cluster file: ${output.cluster_file}"
  }
  assert {
    condition     = output.cluster_string == trimsuffix(output.cluster_file, "\n")
    error_message = "the SSM value is the file's line"
  }
  assert {
    condition     = output.ports == { from = 4500, to = 4501 }
    error_message = "two processes per host use ports 4500 and 4501"
  }
  assert {
    condition     = length(output.cloud_init) == 0
    error_message = "without cluster_file_parameter no cloud-init is rendered"
  }
}

run "only_the_first_servers_are_coordinators" {
  command = plan

  variables {
    servers = [
      { name = "f0", address = "10.0.1.10", az = "eu-west-1a" },
      { name = "f1", address = "10.0.2.10", az = "eu-west-1b" },
      { name = "f2", address = "10.0.3.10", az = "eu-west-1c" },
      { name = "f3", address = "10.0.1.11", az = "eu-west-1a" },
      { name = "f4", address = "10.0.2.11", az = "eu-west-1b" },
    ]
    coordinator_count = 3
    port              = 4600
  }

  assert {
    condition     = output.coordinators == ["10.0.1.10:4600", "10.0.2.10:4600", "10.0.3.10:4600"]
    error_message = "unexpected coordinators: ${jsonencode(output.coordinators)}"
  }
  assert {
    condition     = length(output.foundationdb_conf) == 5
    error_message = "every server gets a foundationdb.conf"
  }
  assert {
    condition     = strcontains(output.foundationdb_conf["0"], "(eu-west-1a, coordinator)") && !strcontains(output.foundationdb_conf["3"], "coordinator")
    error_message = "the header says which servers coordinate"
  }
}

run "foundationdb_conf_has_one_process_per_core_and_the_az" {
  command = plan

  variables {
    processes_per_host = 4
    process_classes    = ["storage", "storage", "log"]
    memory_per_process = "6144MiB"
  }

  assert {
    condition     = output.foundationdb_conf["1"] == <<-EOT
      ## foundationdb.conf of server prod-fdb-1 (eu-west-1b, coordinator) in cluster strata_prod:
      ## rendered by Terraform (module fdb-config), redundancy mode double.
      ## Reference: https://apple.github.io/foundationdb/configuration.html#the-configuration-file

      [fdbmonitor]
      user = foundationdb
      group = foundationdb

      [general]
      cluster-file = /etc/foundationdb/fdb.cluster
      restart-delay = 60
      kill-on-configuration-change = true

      ## Defaults of every fdbserver process on this host.
      [fdbserver]
      command = /usr/sbin/fdbserver
      public-address = auto:$ID
      listen-address = public
      datadir = /var/lib/foundationdb/data/$ID
      logdir = /var/log/foundationdb
      memory = 6144MiB
      locality-machineid = prod-fdb-1
      locality-zoneid = eu-west-1b
      locality-data-hall = eu-west-1b

      ## One process per core.
      [fdbserver.4500]
      class = storage
      [fdbserver.4501]
      class = storage
      [fdbserver.4502]
      class = log
      [fdbserver.4503]
    EOT
    error_message = "unexpected foundationdb.conf:\n${output.foundationdb_conf["1"]}"
  }
}

run "three_data_hall_uses_the_az_as_hall_and_the_host_as_zone" {
  command = plan

  variables {
    servers = [
      { name = "f0", address = "10.0.1.10", az = "eu-west-1a" },
      { name = "f1", address = "10.0.2.10", az = "eu-west-1b" },
      { name = "f2", address = "10.0.3.10", az = "eu-west-1c" },
      { name = "f3", address = "10.0.1.11", az = "eu-west-1a" },
      { name = "f4", address = "10.0.2.11", az = "eu-west-1b" },
      { name = "f5", address = "10.0.3.11", az = "eu-west-1c" },
    ]
    redundancy_mode = "three_data_hall"
    storage_engine  = "ssd-redwood-1"
  }

  assert {
    condition     = strcontains(output.foundationdb_conf["4"], "\nlocality-zoneid = f4\nlocality-data-hall = eu-west-1b\n")
    error_message = "three_data_hall: zone = host, data hall = AZ"
  }
  assert {
    condition     = output.configure_command == "configure new three_data_hall ssd-redwood-1"
    error_message = "unexpected configure command: ${output.configure_command}"
  }
}

run "configure_new_runs_once_on_the_first_coordinator" {
  command = plan

  variables {
    cluster_file_parameter = "/strata/prod/fdb.cluster"
    aws_region             = "eu-west-1"
  }

  assert {
    condition     = output.configure_command == "configure new double ssd-2"
    error_message = "unexpected configure command: ${output.configure_command}"
  }
  assert {
    condition     = strcontains(output.configure_script, "if [ -e \"$MARKER\" ]; then") && strcontains(output.configure_script, "MARKER='/var/lib/foundationdb/data/.strata-database-configured'")
    error_message = "the script must stop when the marker on the data volume exists"
  }
  assert {
    condition     = strcontains(output.configure_script, "    configuration_never_created)\n") && strcontains(output.configure_script, "--exec 'configure new double ssd-2'")
    error_message = "configure new must run only when status json reports configuration_never_created"
  }
  assert {
    condition     = strcontains(output.bootstrap_scripts["0"], "\nsystemctl enable --now --no-block fdb-configure-database.service\n")
    error_message = "the first coordinator must create the database"
  }
  assert {
    condition     = !strcontains(output.bootstrap_scripts["1"], "fdb-configure-database") && !strcontains(output.bootstrap_scripts["2"], "fdb-configure-database")
    error_message = "only the first coordinator may run configure new"
  }
}

run "server_cloud_init" {
  command = plan

  variables {
    cluster_file_parameter = "/strata/prod/fdb.cluster"
    aws_region             = "eu-west-1"
  }

  assert {
    condition     = startswith(output.cloud_init["2"], "#cloud-config\n")
    error_message = "user data must be a cloud-config document"
  }
  assert {
    condition = [for f in yamldecode(output.cloud_init["2"]).write_files : f.path] == [
      "/etc/strata-fdb/foundationdb.conf",
      "/etc/systemd/system/foundationdb.service",
      "/usr/local/sbin/fdb-configure-database",
      "/etc/systemd/system/fdb-configure-database.service",
      "/usr/local/sbin/fdb-bootstrap",
    ]
    error_message = "unexpected write_files"
  }
  assert {
    condition     = yamldecode(output.cloud_init["2"]).write_files[0].content == output.foundationdb_conf["2"]
    error_message = "cloud-init must carry the server's own foundationdb.conf"
  }
  assert {
    condition     = strcontains(output.bootstrap_scripts["2"], "retry dnf install -y /tmp/foundationdb-clients.rpm /tmp/foundationdb-server.rpm")
    error_message = "foundationdb-server must be installed with dnf on Amazon Linux 2023"
  }
  assert {
    condition     = output.package_urls.server == "https://github.com/apple/foundationdb/releases/download/7.3.68/foundationdb-server-7.3.68-1.el7.x86_64.rpm"
    error_message = "unexpected server package: ${output.package_urls.server}"
  }
  assert {
    condition     = strcontains(output.bootstrap_scripts["2"], "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0ccccccccccccccc2 ")
    error_message = "the data volume must be found by its stable NVMe id"
  }
  assert {
    condition     = strcontains(output.bootstrap_scripts["2"], "aws --region eu-west-1 ssm get-parameter --name '/strata/prod/fdb.cluster'") && strcontains(output.bootstrap_scripts["2"], "install -d -o foundationdb -g foundationdb -m 0775 /etc/foundationdb\n") && strcontains(output.bootstrap_scripts["2"], "useradd --system --uid 2502 --gid foundationdb")
    error_message = "the cluster file must come from the SSM parameter"
  }
  assert {
    condition     = strcontains(output.bootstrap_scripts["2"], "if ! mountpoint -q /var/lib/foundationdb/data; then\n  find /var/lib/foundationdb/data -mindepth 1 -delete")
    error_message = "the package's throw-away database may only be removed while the data volume is not mounted"
  }
}

run "ubuntu_packages" {
  command = plan

  variables {
    os_family              = "ubuntu"
    fdb_version            = "7.3.63"
    cluster_file_parameter = "/strata/prod/fdb.cluster"
    aws_region             = "eu-west-1"
  }

  assert {
    condition     = output.package_urls.clients == "https://github.com/apple/foundationdb/releases/download/7.3.63/foundationdb-clients_7.3.63-1_amd64.deb"
    error_message = "unexpected clients package: ${output.package_urls.clients}"
  }
  assert {
    condition     = strcontains(output.bootstrap_scripts["0"], "retry apt-get install -y -q /tmp/foundationdb-clients.deb /tmp/foundationdb-server.deb")
    error_message = "foundationdb-server must be installed with apt on Ubuntu"
  }
}

# ---- inputs the module refuses ----

run "rejects_even_coordinator_count" {
  command = plan
  variables {
    coordinator_count = 2
  }
  expect_failures = [var.coordinator_count]
}

run "rejects_more_coordinators_than_servers" {
  command = plan
  variables {
    coordinator_count = 5
  }
  expect_failures = [var.coordinator_count]
}

run "rejects_coordinators_in_one_az" {
  command = plan
  variables {
    servers = [
      { name = "f0", address = "10.0.1.10", az = "eu-west-1a" },
      { name = "f1", address = "10.0.1.11", az = "eu-west-1a" },
      { name = "f2", address = "10.0.2.10", az = "eu-west-1b" },
      { name = "f3", address = "10.0.3.10", az = "eu-west-1c" },
    ]
  }
  expect_failures = [var.coordinator_count]
}

run "rejects_bad_description" {
  command = plan
  variables {
    cluster_description = "strata-prod"
  }
  expect_failures = [var.cluster_description]
}

run "rejects_bad_cluster_id" {
  command = plan
  variables {
    cluster_id = "abc$def!"
  }
  expect_failures = [var.cluster_id]
}

run "rejects_unknown_redundancy_mode" {
  command = plan
  variables {
    redundancy_mode = "single"
  }
  expect_failures = [var.redundancy_mode]
}

run "rejects_triple_in_two_azs" {
  command = plan
  variables {
    servers = [
      { name = "f0", address = "10.0.1.10", az = "eu-west-1a" },
      { name = "f1", address = "10.0.2.10", az = "eu-west-1b" },
      { name = "f2", address = "10.0.1.11", az = "eu-west-1a" },
    ]
    coordinator_count = 1
    redundancy_mode   = "triple"
  }
  expect_failures = [var.redundancy_mode]
}

run "rejects_three_data_hall_with_one_host_per_az" {
  command = plan
  variables {
    redundancy_mode = "three_data_hall"
  }
  expect_failures = [var.redundancy_mode]
}

run "rejects_zero_processes" {
  command = plan
  variables {
    processes_per_host = 0
  }
  expect_failures = [var.processes_per_host]
}

run "rejects_duplicate_addresses" {
  command = plan
  variables {
    servers = [
      { name = "f0", address = "10.0.1.10", az = "eu-west-1a" },
      { name = "f1", address = "10.0.1.10", az = "eu-west-1b" },
      { name = "f2", address = "10.0.3.10", az = "eu-west-1c" },
    ]
  }
  expect_failures = [var.servers]
}

run "rejects_unknown_storage_engine" {
  command = plan
  variables {
    storage_engine = "rocksdb"
  }
  expect_failures = [var.storage_engine]
}

run "rejects_parameter_without_region" {
  command = plan
  variables {
    cluster_file_parameter = "/strata/prod/fdb.cluster"
  }
  expect_failures = [var.aws_region]
}
