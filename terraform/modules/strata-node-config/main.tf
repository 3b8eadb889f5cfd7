# Renders everything one Strata node needs, without touching any provider: its strata.yaml, the
# systemd unit that runs `strata broker`, the script that fetches a secret MetaStore URL at start,
# and the cloud-init document that installs Java, the FoundationDB client and strata.jar, prepares
# the data volume and starts the unit. The AWS module feeds it instance facts; the local test
# fixture feeds it loopback ports and directories, so both run the very same text.

locals {
  uses_fdb     = startswith(var.metastore, "fdb:")
  uses_secret  = var.metastore_secret != null
  advertised   = coalesce(var.advertised_port, var.kafka_port)
  secret_arn   = local.uses_secret ? var.metastore_secret.arn : ""
  secret_kind  = local.uses_secret ? (strcontains(local.secret_arn, ":secretsmanager:") ? "secretsmanager" : "ssm") : ""
  secret_json  = local.uses_secret ? var.metastore_secret.json_key : null
  secret_parts = split(":", local.secret_arn)

  # With a secret, strata.yaml names the secret instead of a URL: STRATA_METASTORE (from the
  # environment file written by ExecStartPre) overrides it, and if that file were ever missing
  # the broker would stop on this unsupported URL instead of silently opening a local SQLite file.
  metastore_value = local.uses_secret ? "secret:${local.secret_arn}" : var.metastore

  # Ordered: what identifies the node, where it listens, where its state lives, replication.
  rendered_settings = concat(
    [
      { key = "node.id", value = tostring(var.node_id), quoted = false },
      { key = "cluster.name", value = var.cluster_name, quoted = true },
      { key = "data.dir", value = var.data_dir, quoted = true },
      { key = "metastore", value = local.metastore_value, quoted = true },
      { key = "object.store", value = var.object_store, quoted = true },
      { key = "host", value = var.bind_host, quoted = true },
      { key = "port", value = tostring(var.kafka_port), quoted = false },
      { key = "advertised.host", value = var.advertised_host, quoted = true },
      { key = "advertised.port", value = tostring(local.advertised), quoted = false },
      { key = "admin.port", value = tostring(var.admin_port), quoted = false },
    ],
    var.rack == "" ? [] : [{ key = "broker.rack", value = var.rack, quoted = true }],
    [
      { key = "default.replication.factor", value = tostring(var.default_replication_factor), quoted = false },
      { key = "min.insync.replicas", value = tostring(var.min_insync_replicas), quoted = false },
      { key = "controlled.shutdown.timeout.ms", value = tostring(var.controlled_shutdown_timeout_ms), quoted = false },
    ],
    [for k in sort(keys(var.extra_settings)) : { key = k, value = var.extra_settings[k], quoted = true }],
  )

  # Strings are YAML double-quoted scalars (only \ and " need escaping: values are single-line);
  # Strata parses every value from its text, so numbers may stay bare.
  strata_yaml = join("", concat(
    [
      "# strata.yaml of node ${var.node_id} in cluster ${var.cluster_name}: rendered by Terraform (module strata-node-config).\n",
      "# Every key is a Strata broker setting (docs/configuration.md); STRATA_* environment variables override them.\n",
    ],
    local.uses_secret ? [
      "# metastore: the URL holds a password, so it is not here; ExecStartPre fetches it from the secret\n",
      "# named below into STRATA_METASTORE (readable only by the strata user), which overrides this value.\n",
    ] : [],
    [for s in local.rendered_settings : "${s.key}: ${s.quoted ? "\"${replace(replace(s.value, "\\", "\\\\"), "\"", "\\\"")}\"" : s.value}\n"],
  ))

  # Give controlled shutdown (leaderships moving away) its full time, plus margin to flush and exit.
  stop_timeout_sec = ceil(var.controlled_shutdown_timeout_ms / 1000) + 30

  java_memory_opts = var.java_heap == null ? "-XX:MaxRAMPercentage=50" : "-Xms${var.java_heap} -Xmx${var.java_heap}"
  java_command = join(" ", compact([
    "/usr/bin/java",
    local.java_memory_opts,
    trimspace(var.java_performance_opts),
    "-XX:+ExitOnOutOfMemoryError",
    trimspace(var.java_opts),
    "-jar ${var.install_dir}/strata.jar broker --config ${var.config_path}",
  ]))

  env_file           = "/run/strata/metastore.env"
  fetch_script_path  = "/usr/local/libexec/strata/fetch-metastore-url"
  bootstrap_path     = "/usr/local/sbin/strata-bootstrap"
  systemd_unit_path  = "/etc/systemd/system/strata.service"
  fdb_cluster_file   = "/etc/foundationdb/fdb.cluster"
  fdb_cluster_in_url = local.uses_fdb ? (var.metastore == "fdb:" ? local.fdb_cluster_file : trimprefix(var.metastore, "fdb:")) : ""

  systemd_unit = templatefile("${path.module}/templates/strata.service.tftpl", {
    node_id          = var.node_id
    cluster_name     = var.cluster_name
    data_dir         = var.data_dir
    home             = var.data_mount_point
    uses_secret      = local.uses_secret
    uses_fdb         = local.uses_fdb
    fdb_cluster_dir  = dirname(local.fdb_cluster_in_url == "" ? local.fdb_cluster_file : local.fdb_cluster_in_url)
    fetch_script     = local.fetch_script_path
    env_file         = local.env_file
    java_command     = local.java_command
    stop_timeout_sec = local.stop_timeout_sec
  })

  fetch_metastore_script = local.uses_secret ? templatefile("${path.module}/templates/fetch-metastore-url.sh.tftpl", {
    arn      = local.secret_arn
    kind     = local.secret_kind
    region   = try(local.secret_parts[3], "")
    json_key = local.secret_json
    env_file = local.env_file
  }) : null

  java_package = coalesce(var.java_package, var.os_family == "al2023" ? "java-17-amazon-corretto-headless" : "openjdk-17-jre-headless")

  fdb_clients_package_url = local.uses_fdb ? (
    var.os_family == "al2023"
    ? "${var.fdb_package_base_url}/${var.fdb_version}/foundationdb-clients-${var.fdb_version}-1.el7.x86_64.rpm"
    : "${var.fdb_package_base_url}/${var.fdb_version}/foundationdb-clients_${var.fdb_version}-1_amd64.deb"
  ) : null

  bootstrap_script = var.artifact_url == null ? null : templatefile("${path.module}/templates/bootstrap.sh.tftpl", {
    strata_uid              = var.strata_uid
    node_id                 = var.node_id
    cluster_name            = var.cluster_name
    os_family               = var.os_family
    java_package            = local.java_package
    fdb_clients_package_url = local.fdb_clients_package_url
    fdb_cluster_parameter   = local.uses_fdb ? var.fdb_cluster_file_parameter : null
    fdb_cluster_file        = local.fdb_cluster_in_url
    aws_region              = var.aws_region == null ? "" : var.aws_region
    data_volume_id          = var.data_volume_id
    data_mount_point        = var.data_mount_point
    data_dir                = var.data_dir
    install_dir             = var.install_dir
    artifact_url            = var.artifact_url
    artifact_from_s3        = startswith(var.artifact_url, "s3://")
    artifact_sha256         = var.artifact_sha256
    unit_name               = basename(local.systemd_unit_path)
    admin_port              = var.admin_port
  })

  cloud_init = var.artifact_url == null ? null : "#cloud-config\n${yamlencode({
    write_files = concat(
      [
        { path = var.config_path, permissions = "0644", owner = "root:root", content = local.strata_yaml },
        { path = local.systemd_unit_path, permissions = "0644", owner = "root:root", content = local.systemd_unit },
      ],
      local.uses_secret ? [
        { path = local.fetch_script_path, permissions = "0755", owner = "root:root", content = local.fetch_metastore_script },
      ] : [],
      [
        { path = local.bootstrap_path, permissions = "0700", owner = "root:root", content = local.bootstrap_script },
      ],
    )
    runcmd = [[local.bootstrap_path]]
  })}"
}
