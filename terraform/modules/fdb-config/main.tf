# Renders a FoundationDB cluster without touching any provider: the one fdb.cluster file
# (description:id@coordinators), each server's foundationdb.conf (one fdbserver per core, with its
# AZ as locality), the guarded `configure new` script, and each server's cloud-init.

locals {
  coordinators = [for s in slice(var.servers, 0, var.coordinator_count) : "${s.address}:${var.port}"]

  # The text of /etc/foundationdb/fdb.cluster, one line; the file carries a trailing newline.
  cluster_string = "${var.cluster_description}:${var.cluster_id}@${join(",", local.coordinators)}"

  ports = [for i in range(var.processes_per_host) : var.port + i]

  configure_command = "configure new ${var.redundancy_mode} ${var.storage_engine}"

  data_dir     = "/var/lib/foundationdb/data"
  conf_staging = "/etc/strata-fdb/foundationdb.conf"
  unit_path    = "/etc/systemd/system/foundationdb.service"
  bootstrap    = "/usr/local/sbin/fdb-bootstrap"
  configure    = "/usr/local/sbin/fdb-configure-database"
  marker       = "${local.data_dir}/.strata-database-configured"

  # Replicas are spread over zones. With double and triple the zone is the AZ, so no two replicas
  # share an AZ. three_data_hall spreads over data halls (the AZ) and needs two zones (hosts) per
  # hall for its logs, so there the zone is the host.
  servers = [for i, s in var.servers : merge(s, {
    index       = i
    coordinator = i < var.coordinator_count
    zone_id     = var.redundancy_mode == "three_data_hall" ? s.name : s.az
    data_hall   = s.az
  })]

  foundationdb_conf = {
    for s in local.servers : tostring(s.index) => templatefile("${path.module}/templates/foundationdb.conf.tftpl", {
      name            = s.name
      az              = s.az
      coordinator     = s.coordinator
      description     = var.cluster_description
      redundancy_mode = var.redundancy_mode
      machine_id      = s.name
      zone_id         = s.zone_id
      data_hall       = s.data_hall
      data_dir        = local.data_dir
      memory          = var.memory_per_process
      ports           = local.ports
      classes         = [for i in range(var.processes_per_host) : try(var.process_classes[i], "unset")]
    })
  }

  configure_script = templatefile("${path.module}/templates/configure-database.sh.tftpl", {
    command     = local.configure_command
    marker      = local.marker
    description = var.cluster_description
  })

  systemd_unit = file("${path.module}/templates/foundationdb.service")

  # The guarded `configure new` as a unit that retries until it succeeds (every boot too: the
  # guard makes a second run a no-op), so a slow start of the coordinators never leaves the
  # database uncreated with nothing to try again.
  configure_unit_path = "/etc/systemd/system/fdb-configure-database.service"
  configure_unit      = <<-EOT
    # Rendered by Terraform (module fdb-config): creates the database of ${var.cluster_description} once.
    [Unit]
    Description=Create the FoundationDB database once (guarded; see ${local.configure})
    Wants=foundationdb.service
    After=foundationdb.service network-online.target
    StartLimitIntervalSec=0

    [Service]
    Type=oneshot
    ExecStart=${local.configure}
    Restart=on-failure
    RestartSec=60

    [Install]
    WantedBy=multi-user.target
  EOT

  package_files = var.os_family == "al2023" ? {
    clients = "foundationdb-clients-${var.fdb_version}-1.el7.x86_64.rpm"
    server  = "foundationdb-server-${var.fdb_version}-1.el7.x86_64.rpm"
    } : {
    clients = "foundationdb-clients_${var.fdb_version}-1_amd64.deb"
    server  = "foundationdb-server_${var.fdb_version}-1_amd64.deb"
  }
  package_urls = { for k, f in local.package_files : k => "${var.fdb_package_base_url}/${var.fdb_version}/${f}" }

  render_cloud_init = var.cluster_file_parameter != null

  bootstrap_scripts = {
    for s in local.servers : tostring(s.index) => templatefile("${path.module}/templates/fdb-bootstrap.sh.tftpl", {
      foundationdb_uid   = var.foundationdb_uid
      name               = s.name
      az                 = s.az
      description        = var.cluster_description
      fdb_version        = var.fdb_version
      os_family          = var.os_family
      clients_url        = local.package_urls.clients
      server_url         = local.package_urls.server
      data_volume_id     = s.data_volume_id
      data_dir           = local.data_dir
      conf_staging       = local.conf_staging
      cluster_parameter  = var.cluster_file_parameter
      aws_region         = var.aws_region == null ? "" : var.aws_region
      configure_database = s.index == 0
    }) if local.render_cloud_init
  }

  cloud_init = {
    for s in local.servers : tostring(s.index) => "#cloud-config\n${yamlencode({
      write_files = [
        { path = local.conf_staging, permissions = "0644", owner = "root:root", content = local.foundationdb_conf[tostring(s.index)] },
        { path = local.unit_path, permissions = "0644", owner = "root:root", content = local.systemd_unit },
        { path = local.configure, permissions = "0755", owner = "root:root", content = local.configure_script },
        { path = local.configure_unit_path, permissions = "0644", owner = "root:root", content = local.configure_unit },
        { path = local.bootstrap, permissions = "0700", owner = "root:root", content = local.bootstrap_scripts[tostring(s.index)] },
      ]
      runcmd = [[local.bootstrap]]
    })}" if local.render_cloud_init
  }
}
