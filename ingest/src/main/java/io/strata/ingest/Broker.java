package io.strata.ingest;

import io.strata.ingest.admin.AdminHttpServer;
import io.strata.ingest.api.BrokerIdentity;
import io.strata.ingest.api.GroupApis;
import io.strata.ingest.api.RequestDispatcher;
import io.strata.ingest.config.BrokerConfig;
import io.strata.ingest.config.ConfigException;
import io.strata.ingest.group.GroupCoordinator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.strata.ingest.security.AclAuthorizer;
import io.strata.ingest.security.CertificatePrincipals;
import io.strata.ingest.security.ConnectionSecurity;
import io.strata.ingest.security.SaslMechanisms;
import io.strata.ingest.security.ScramCredentials;
import io.strata.ingest.security.SslEngines;
import io.strata.ingest.server.KafkaServer;
import io.strata.ingest.server.Listener;
import io.strata.ingest.server.ListenerConfig;
import io.strata.metastore.store.ScramCredentialStore;
import io.strata.tiering.service.TieringService;
import io.strata.metastore.store.SegmentManifestStore;
import io.strata.tiering.store.ObjectStore;
import io.strata.tiering.store.ObjectStores;
import io.strata.tiering.store.S3ObjectStore;
import io.strata.ingest.topic.TopicConfigs;
import io.strata.ingest.topic.TopicManager;
import io.strata.metastore.Keyspace;
import io.strata.metastore.MetaStore;
import io.strata.metastore.MetaStores;
import io.strata.metastore.StartupStoppedException;
import io.strata.metastore.StartupWait;
import io.strata.metastore.store.ClusterIdentity;
import io.strata.metastore.store.GroupStore;
import io.strata.metastore.store.ProducerIdStore;
import io.strata.metastore.store.TopicCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One Strata node: opens the MetaStore, recovers the partition logs, then serves the Kafka
 * protocol and the admin HTTP API. {@link #close()} stops accepting requests first, then flushes
 * and closes the logs, so a clean stop leaves nothing to recover.
 */
public final class Broker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Broker.class);

    private final BrokerConfig config;
    private io.strata.ingest.log.DataDirectory dataDirectory;
    private MetaStore metaStore;
    private TopicManager topics;
    private GroupCoordinator groups;
    private io.strata.ingest.txn.TransactionCoordinator transactions;
    private io.strata.ingest.replication.NodeRequests nodeRequests;
    private KafkaServer server;
    private AdminHttpServer admin;
    private ScheduledExecutorService scheduler;
    private InetSocketAddress kafkaAddress;
    private TieringService tiering;
    private RequestDispatcher dispatcher;
    private io.strata.ingest.cluster.ClusterNode clusterNode;
    private io.strata.ingest.replication.ReplicationManager replication;
    private io.strata.ingest.metrics.ScrapeTimeMetrics scrapeTime;
    private ScramCredentials credentials;
    /** The log cleaner's thread (cleanup.policy=compact), when log.cleaner.enable. */
    private java.util.concurrent.ScheduledExecutorService cleaner;
    /** The log flusher's thread (flush.ms). */
    private java.util.concurrent.ScheduledExecutorService flusher;
    /** TLS engines by listener name. */
    private final java.util.Map<String, SslEngines> tlsEngines = new java.util.concurrent.ConcurrentHashMap<>();
    private AclAuthorizer aclAuthorizer;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** Set by a stop asked for while {@link #start} runs: a wait for the MetaStore ends. */
    private volatile boolean stopping;

    public Broker(BrokerConfig config) {
        this.config = config;
    }

    /** A stop asked for (SIGTERM) while the broker may still be starting: start-up gives up waiting for its MetaStore. */
    public void stopStarting() {
        stopping = true;
    }

    public void start() throws Exception {
        long t0 = System.nanoTime();
        // Locked before anything opens it (the embedded MetaStore lives there too).
        dataDirectory = io.strata.ingest.log.DataDirectory.lock(config.dataDir());
        MetaStore opened;
        StartupWait untilReachable = new StartupWait(config.getLong("metastore.startup.timeout.ms"), () -> stopping);
        try {
            opened = MetaStores.open(config.metastoreUrl(), untilReachable);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("metastore: " + e.getMessage());
        }
        metaStore = new io.strata.ingest.metrics.MeteredMetaStore(opened, metrics);
        Keyspace keyspace = new Keyspace(config.getString("cluster.name"));
        String clusterId = untilReachable.attempt(() -> ClusterIdentity.getOrCreate(metaStore, keyspace));
        if (stopping) {
            // Asked to stop while it waited: it stops here rather than registering and serving for a moment.
            throw new StartupStoppedException("start-up stopped once the metastore answered", null);
        }
        dataDirectory.claim(io.strata.ingest.log.fs.DiskFileSystem.INSTANCE, clusterId, config.getInt("node.id"));
        scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "broker-scheduler");
            t.setDaemon(true);
            return t;
        });
        topics = new TopicManager(new TopicCatalog(metaStore, keyspace), new TopicConfigs(config), config.dataDir(),
                System::currentTimeMillis);
        if (config.objectStoreUrl().isPresent()) {
            ObjectStore objects = ObjectStores.open(config.objectStoreUrl().get());
            if (objects instanceof S3ObjectStore s3) {
                s3.ensureBucket().exceptionally(t -> {
                    log.warn("cannot check or create bucket of {}: {}", s3.describe(), t.getMessage());
                    return null;
                });
            }
            tiering = new TieringService(objects, new SegmentManifestStore(metaStore, keyspace), new TopicCatalog(metaStore, keyspace),
                    topics, clusterId,
                    System::currentTimeMillis, config.getInt("tiering.upload.concurrency"), config.getLong("tiering.max.untiered.bytes"),
                    config.getLong("tiering.orphan.grace.ms"),
                    // The cache must leave the heap room for requests and responses in flight.
                    Math.min(config.getLong("tiering.cache.bytes"), Runtime.getRuntime().maxMemory() / 4),
                    config.getInt("tiering.read.chunk.bytes"), config.getLong("tiering.read.prefetch.bytes"), metrics);
            topics.setTiering(tiering::remoteRange, tiering::topicDeleted);
        }
        topics.start();
        long retentionEvery = config.getLong("log.retention.check.interval.ms");
        if (tiering != null) {
            tiering.start(config.getLong("tiering.check.interval.ms"), retentionEvery);
        }
        scheduler.scheduleWithFixedDelay(this::refreshTopics, 2, 2, TimeUnit.SECONDS);
        // Its own thread: the scheduler's tasks can block on the MetaStore, and flush.ms must hold through an outage.
        long flushEvery = config.getLong("log.flush.scheduler.interval.ms");
        flusher = io.strata.ingest.util.NamedThreads.scheduled("log-flusher");
        flusher.scheduleWithFixedDelay(guard("log flusher", topics::flushDue), flushEvery, flushEvery, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(guard("retention", topics::applyRetention), retentionEvery, retentionEvery, TimeUnit.MILLISECONDS);

        if (config.getBoolean("log.cleaner.enable")) {
            long cleanEvery = config.getLong("log.cleaner.backoff.ms");
            cleaner = io.strata.ingest.util.NamedThreads.scheduled("log-cleaner");
            cleaner.scheduleWithFixedDelay(guard("log cleaner", topics::cleanCompactedLogs), cleanEvery, cleanEvery, TimeUnit.MILLISECONDS);
            if (tiering != null) {
                io.strata.tiering.service.TieringService t = tiering;
                cleaner.scheduleWithFixedDelay(guard("tiered compaction", t::compactTiered), cleanEvery, cleanEvery, TimeUnit.MILLISECONDS);
            }
        }

        GroupStore groupStore = new GroupStore(metaStore, keyspace);
        // Offsets are keyed by topic name; they go with the topic (by id, so a recreated topic's stay).
        topics.addDeletionListener(t -> groupStore.deleteOffsetsOfTopic(t.name(), t.id().toString()));
        groups = new GroupCoordinator(groupStore, System::currentTimeMillis, scheduler,
                config.getInt("group.initial.rebalance.delay.ms"), config.getInt("group.min.session.timeout.ms"),
                config.getInt("group.max.session.timeout.ms"));
        groups.start();

        ListenerConfig listenerConfig = ListenerConfig.of(config);
        credentials = new ScramCredentials(new ScramCredentialStore(metaStore, keyspace));
        bootstrapUser();
        java.util.Map<String, ConnectionSecurity> security = connectionSecurity(listenerConfig);
        server = new KafkaServer(config.getInt("num.io.threads"));
        // The ports are bound before the identity is known when port 0 asks for a free one.
        List<Listener> listeners = bindListeners(listenerConfig, security);
        Listener interBroker = listeners.stream().filter(l -> l.name().equals(listenerConfig.interBrokerListener())).findFirst().orElseThrow();
        kafkaAddress = new InetSocketAddress(interBroker.bindHost(), interBroker.bindPort());
        java.util.Map<String, io.strata.metastore.store.NodeRecord.Endpoint> advertised = new java.util.LinkedHashMap<>();
        listeners.forEach(l -> advertised.put(l.name(), new io.strata.metastore.store.NodeRecord.Endpoint(l.advertisedHost(), l.advertisedPort())));
        BrokerIdentity self = new BrokerIdentity(config.getInt("node.id"), clusterId, interBroker.advertisedHost(),
                interBroker.advertisedPort(), advertised);
        clusterNode = new io.strata.ingest.cluster.ClusterNode(new io.strata.metastore.store.NodeRegistry(metaStore, keyspace),
                new io.strata.metastore.store.ClusterControl(metaStore, keyspace), new TopicCatalog(metaStore, keyspace),
                self.nodeId(), self.advertisedHost(), self.advertisedPort(), config.getString("broker.rack"),
                config.getLong("broker.session.timeout.ms"), config.getLong("broker.heartbeat.interval.ms"), System::currentTimeMillis);
        // Only a listener list beyond the one PLAINTEXT listener is registered, so older nodes see what they always saw.
        if (listeners.size() > 1 || !listeners.get(0).name().equals("PLAINTEXT")) {
            clusterNode.setListeners(advertised);
        }
        clusterNode.start();
        io.strata.ingest.cluster.ClusterNode cn = clusterNode;
        topics.setReplicationLimits(() -> Math.max(1, cn.view().liveNodes().size()), config.getInt("default.replication.factor"));
        clusterNode.setUncleanLeaderElection(config.getBoolean("unclean.leader.election.enable"));
        clusterNode.setPreferredLeaderRebalance(config.getBoolean("auto.leader.rebalance.enable")
                ? config.getLong("leader.imbalance.check.interval.seconds") * 1000 : 0);
        replication = new io.strata.ingest.replication.ReplicationManager(topics, clusterNode,
                new io.strata.metastore.store.ClusterControl(metaStore, keyspace), System::currentTimeMillis,
                config.getLong("replica.lag.time.max.ms"));
        if (interBroker.usesTls()) {
            replication.setConnector(tlsEngines.get(interBroker.name())::connect);
        }
        if (interBroker.usesSasl()) {
            replication.setLogin(interBrokerLogin(interBroker));
        }
        replication.start();
        if (tiering != null) {
            io.strata.ingest.replication.ReplicationManager rm = replication;
            tiering.setLeadership(rm::leads);
            io.strata.metastore.store.ClusterControl control = new io.strata.metastore.store.ClusterControl(metaStore, keyspace);
            int me = self.nodeId();
            tiering.setLeaderCheck((tx, topicId, partition, epoch) -> control.checkLeader(tx, topicId, partition, me, epoch));
        }
        ProducerIdStore producerIds = new ProducerIdStore(metaStore, keyspace, 1000);
        io.strata.metastore.store.TransactionStore transactionStore = new io.strata.metastore.store.TransactionStore(metaStore, keyspace);
        io.strata.ingest.txn.MarkerAppender markerAppender = new io.strata.ingest.txn.MarkerAppender(topics, replication);
        nodeRequests = new io.strata.ingest.replication.NodeRequests(replication, clusterNode);
        transactions = new io.strata.ingest.txn.TransactionCoordinator(transactionStore, producerIds, clusterNode,
                new io.strata.ingest.txn.TxnMarkers(topics, clusterNode, markerAppender, nodeRequests), System::currentTimeMillis,
                config.getInt("transaction.max.timeout.ms"), config.getLong("transactional.id.expiration.ms"));
        transactions.start(config.getLong("transaction.abort.timed.out.transaction.cleanup.interval.ms"));
        dispatcher = new RequestDispatcher(self, topics, producerIds,
                new GroupApis(groups, topics, clusterNode, transactionStore), config.getInt("fetch.max.bytes"), config.getInt("max.incremental.fetch.session.cache.slots"),
                config.getBoolean("auto.create.topics.enable"), config.getInt("num.partitions"), tiering, clusterNode, replication, metrics,
                credentials, authorizer(keyspace), transactions, markerAppender);
        server.serve(dispatcher, metrics);
        io.micrometer.core.instrument.Gauge.builder("strata.connections.active", server.connections(),
                c -> c.open()).description("Open Kafka client connections").register(metrics);
        io.micrometer.core.instrument.Gauge.builder("strata.connections.paused", server.connections(),
                c -> c.paused()).description("Connections whose reads are paused: too many of their requests unanswered").register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("strata.connections.pauses", server.connections(),
                c -> c.pauses()).description("Times a connection's reads were paused by backpressure").register(metrics);
        io.strata.ingest.log.GroupCommit commits = topics.groupCommit();
        io.micrometer.core.instrument.FunctionTimer.builder("strata.log.fsync", commits, c -> c.fsyncs(), c -> c.fsyncSeconds(),
                java.util.concurrent.TimeUnit.SECONDS).description("fsyncs of partition logs: before acknowledging acks=all produces, for flush.ms and flush.messages, and of rolled segments (count and time)")
                .register(metrics);
        io.micrometer.core.instrument.FunctionCounter.builder("strata.log.fsync.bytes", commits, c -> c.fsyncBytes()).baseUnit("bytes")
                .description("Bytes those fsyncs made durable").register(metrics);
        scrapeTime = new io.strata.ingest.metrics.ScrapeTimeMetrics(metrics, topics, groups);

        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(metrics);
        admin = new AdminHttpServer();
        boolean adminCertificates = false;
        if (config.getBoolean("admin.ssl.enabled")) {
            BrokerConfig adminTls = config.forListener("admin");
            admin.setTls(tlsEngines("admin", adminTls));
            adminCertificates = !adminTls.getString("ssl.client.auth").equals("none");
        }
        admin.setAuth(io.strata.ingest.admin.AdminAuth.of(config.getString("admin.auth.token"), config.getString("admin.auth.open.paths"),
                adminCertificates));
        InetSocketAddress adminAddress = bindOrExplain("admin.port", config.getInt("admin.port"),
                () -> admin.start(config.getString("host"), config.getInt("admin.port")));
        java.util.Map<String, Object> info = new java.util.LinkedHashMap<>();
        info.put("clusterId", clusterId);
        info.put("nodeId", self.nodeId());
        info.put("version", "0.1.0");
        info.put("kafkaListener", self.advertisedHost() + ":" + self.advertisedPort());
        java.util.Map<String, String> listenerInfo = new java.util.LinkedHashMap<>();
        advertised.forEach((name, at) -> listenerInfo.put(name, at.host() + ":" + at.port()));
        info.put("listeners", listenerInfo);
        info.put("adminPort", adminAddress.getPort());
        info.put("metastore", metaStore.describe());
        info.put("objectStore", config.objectStoreUrl().orElse(null));
        info.put("dataDir", config.dataDir().toAbsolutePath().toString());
        io.strata.ingest.admin.AdminApi adminApi = new io.strata.ingest.admin.AdminApi(info, topics, groups, metaStore, tiering,
                tiering == null ? null : new SegmentManifestStore(metaStore, keyspace), () -> {
                    scrapeTime.refresh();
                    return metrics.scrape();
                }, () -> true);
        adminApi.setLeadership(replication::leads);
        adminApi.setClusterState(() -> io.strata.ingest.cluster.ClusterStatus.of(cn.view(), System.currentTimeMillis()),
                (topicId, partition) -> io.strata.ingest.cluster.ClusterStatus.partition(cn.view(), topicId, partition));
        admin.serve(adminApi);
        log.info("Strata node {} of cluster {} ready in {} ms: Kafka listeners {}, admin http port {}, metastore {}, object store {}, data {}",
                self.nodeId(), clusterId, (System.nanoTime() - t0) / 1_000_000, listeners, adminAddress.getPort(), metaStore.describe(),
                tiering == null ? "none" : tiering.store().describe(), config.dataDir().toAbsolutePath());
    }

    /**
     * TLS engines, certificate principals and SASL mechanisms of each listener that uses them,
     * from the node's settings as that listener sees them ({@code listener.name.<name>.*}
     * overrides); a bad setting fails start-up.
     */
    private java.util.Map<String, ConnectionSecurity> connectionSecurity(ListenerConfig listeners) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        listeners.listeners().forEach(l -> names.add(l.name().toLowerCase(java.util.Locale.ROOT)));
        if (config.getBoolean("admin.ssl.enabled")) {
            names.add("admin"); // the admin HTTP API's TLS settings: listener.name.admin.ssl.*
        }
        for (String named : config.listenerOverrideNames()) {
            if (!names.contains(named)) {
                throw new ConfigException("listener.name." + named + ".* settings name no listener; the listeners are " + names);
            }
        }
        java.util.Map<String, ConnectionSecurity> out = new java.util.HashMap<>();
        for (Listener l : listeners.listeners()) {
            BrokerConfig seen = config.forListener(l.name());
            SslEngines engines = l.usesTls() ? tlsEngines(l.name(), seen) : null;
            SaslMechanisms sasl = l.usesSasl() ? SaslMechanisms.of(seen, credentials) : null;
            out.put(l.name(), new ConnectionSecurity(engines, new CertificatePrincipals(seen.getString("ssl.principal.mapping.rules")), sasl,
                    seen.getLong("connections.max.reauth.ms"), seen.getLong("connections.authentication.timeout.ms")));
        }
        return out;
    }

    /** TLS engines for {@code name} (a listener, or the admin API) from its settings, their stores re-read every 5 s. */
    private SslEngines tlsEngines(String name, BrokerConfig seen) {
        SslEngines engines = SslEngines.of(seen);
        tlsEngines.put(name, engines);
        scheduler.scheduleWithFixedDelay(guard("TLS store reload", engines::reloadIfChanged), 5, 5, TimeUnit.SECONDS);
        return engines;
    }

    /** The login of followers on a SASL inter-broker listener: Kafka's sasl.mechanism.inter.broker.protocol and a SCRAM or PLAIN user. */
    private io.strata.ingest.replication.SaslLogin interBrokerLogin(Listener interBroker) {
        List<String> enabled = java.util.Arrays.stream(config.getString("sasl.enabled.mechanisms").split(",")).map(String::trim)
                .filter(m -> !m.isEmpty()).toList();
        String mechanism = config.getString("sasl.mechanism.inter.broker.protocol").trim();
        if (mechanism.isEmpty()) {
            mechanism = enabled.stream().filter(io.strata.ingest.replication.SaslLogin.MECHANISMS::contains).findFirst().orElseThrow(() ->
                    new ConfigException("inter.broker.listener.name " + interBroker.name() + " uses SASL, but sasl.enabled.mechanisms "
                            + enabled + " has none nodes can log in with (SCRAM-SHA-256, SCRAM-SHA-512, PLAIN)"));
        }
        if (!io.strata.ingest.replication.SaslLogin.MECHANISMS.contains(mechanism) || !enabled.contains(mechanism)) {
            throw new ConfigException("sasl.mechanism.inter.broker.protocol " + mechanism + " must be one of "
                    + io.strata.ingest.replication.SaslLogin.MECHANISMS + " and enabled in sasl.enabled.mechanisms " + enabled);
        }
        String user = config.getString("sasl.inter.broker.user").trim();
        String password = config.getString("sasl.inter.broker.password");
        if (user.isEmpty() || password.isEmpty()) {
            throw new ConfigException("inter.broker.listener.name " + interBroker.name() + " uses SASL: set sasl.inter.broker.user and "
                    + "sasl.inter.broker.password (or STRATA_SASL_INTER_BROKER_PASSWORD), the user nodes log in to each other as");
        }
        return new io.strata.ingest.replication.SaslLogin(mechanism, user, password);
    }

    private static final java.util.Set<String> KAFKA_AUTHORIZERS = java.util.Set.of("org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "kafka.security.authorizer.AclAuthorizer", "kafka.security.auth.SimpleAclAuthorizer");

    /** The ACL authorizer when ACLs are enforced, else null (everything allowed, the ACL APIs answer SECURITY_DISABLED). */
    private AclAuthorizer authorizer(Keyspace keyspace) {
        String className = config.getString("authorizer.class.name").trim();
        if (!className.isEmpty() && !KAFKA_AUTHORIZERS.contains(className)) {
            throw new ConfigException("authorizer.class.name " + className + " is not supported: Strata has its own ACL authorizer;"
                    + " set authorizer.enabled=true (or name org.apache.kafka.metadata.authorizer.StandardAuthorizer)");
        }
        if (!config.getBoolean("authorizer.enabled") && className.isEmpty()) {
            return null;
        }
        java.util.Set<org.apache.kafka.common.security.auth.KafkaPrincipal> superUsers;
        try {
            superUsers = AclAuthorizer.superUsers(config.getString("super.users"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        aclAuthorizer = new AclAuthorizer(new io.strata.metastore.store.AclStore(metaStore, keyspace), superUsers,
                config.getBoolean("allow.everyone.if.no.acl.found"));
        aclAuthorizer.start();
        // Stores without push notifications (SQLite), and missed signals: poll as well.
        scheduler.scheduleWithFixedDelay(aclAuthorizer::reloadQuietly, 2, 2, TimeUnit.SECONDS);
        log.info("ACLs enforced: {} ACL(s), super users {}, allow.everyone.if.no.acl.found={}", aclAuthorizer.aclCount(), superUsers,
                config.getBoolean("allow.everyone.if.no.acl.found"));
        return aclAuthorizer;
    }

    /** The first admin: created with SCRAM credentials for both mechanisms when the user has none yet. */
    private void bootstrapUser() {
        String user = config.getString("sasl.bootstrap.user");
        if (user.isEmpty()) {
            return;
        }
        String password = config.getString("sasl.bootstrap.password");
        if (password.isEmpty()) {
            throw new ConfigException("sasl.bootstrap.user is set but sasl.bootstrap.password is empty (set STRATA_SASL_BOOTSTRAP_PASSWORD)");
        }
        for (String mechanism : ScramCredentials.MECHANISMS) {
            if (credentials.store().putIfAbsent(user, ScramCredentials.fromPassword(mechanism, password, ScramCredentials.DEFAULT_ITERATIONS))) {
                log.info("created {} credentials of bootstrap user {}", mechanism, user);
            }
        }
    }

    private List<Listener> bindListeners(ListenerConfig listenerConfig, java.util.Map<String, ConnectionSecurity> security) throws Exception {
        try {
            return server.bind(listenerConfig.listeners(), l -> security.get(l.name()), config.getInt("socket.request.max.bytes"));
        } catch (Exception e) {
            Throwable cause = e;
            while (cause != null && !(cause instanceof java.net.BindException)
                    && !String.valueOf(cause.getMessage()).contains("Address already in use")) {
                cause = cause.getCause();
            }
            if (cause == null) {
                throw e;
            }
            if (config.getString("listeners").isEmpty()) {
                throw new ConfigException("cannot listen on port " + config.getInt("port") + ": " + cause.getMessage()
                        + " (another process has it; choose another with --port or --set port=…)");
            }
            throw new ConfigException("cannot bind listeners " + config.getString("listeners") + ": " + cause.getMessage()
                    + " (another process has one of their ports)");
        }
    }

    private interface Bind {
        InetSocketAddress bind() throws Exception;
    }

    /** Binds a listener; a port in use is a configuration problem that names the setting and the port, not a stack trace. */
    private static InetSocketAddress bindOrExplain(String setting, int port, Bind bind) throws Exception {
        try {
            return bind.bind();
        } catch (Exception e) {
            Throwable cause = e;
            // java.net.BindException from NIO; Netty's native transports say it in an IOException's message.
            while (cause != null && !(cause instanceof java.net.BindException)
                    && !String.valueOf(cause.getMessage()).contains("Address already in use")) {
                cause = cause.getCause();
            }
            if (cause != null) {
                throw new ConfigException("cannot listen on " + setting + " " + port + ": " + cause.getMessage()
                        + " (another process has it; choose another with --" + (setting.equals("port") ? "port" : "admin-port")
                        + " or --set " + setting + "=…)");
            }
            throw e;
        }
    }

    private volatile boolean metaStoreDown;

    /** A periodic task that logs its failures instead of silently ending its schedule. */
    private static Runnable guard(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("{} failed", what, e);
            }
        };
    }

    /** Picks up topics changed through other nodes; logs an outage once, and its end. */
    private void refreshTopics() {
        try {
            topics.refresh();
            if (metaStoreDown) {
                metaStoreDown = false;
                log.info("metastore {} is reachable again", metaStore.describe());
            }
        } catch (io.strata.metastore.MetaStoreUnavailableException e) {
            if (!metaStoreDown) {
                metaStoreDown = true;
                log.warn("metastore unavailable: {}; produce and fetch on existing partitions continue", e.getMessage());
            }
        } catch (RuntimeException e) {
            log.error("topic refresh failed", e);
        }
    }

    public InetSocketAddress kafkaAddress() {
        return kafkaAddress;
    }

    public int adminPort() {
        return admin.port();
    }

    @Override
    public void close() {
        log.info("shutting down");
        if (clusterNode != null) {
            // Controlled shutdown: other replicas take over this node's partitions while it still answers.
            clusterNode.handOff(config.getLong("controlled.shutdown.timeout.ms"));
        }
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (tiering != null) {
            // Before the logs close: no upload, roll or retention pass may touch a log after it has.
            tiering.stopSchedules();
        }
        if (flusher != null) {
            flusher.shutdownNow();
        }
        if (cleaner != null) {
            cleaner.shutdownNow();
        }
        if (dispatcher != null) {
            dispatcher.close();
        }
        if (transactions != null) {
            transactions.close();
        }
        if (nodeRequests != null) {
            nodeRequests.close();
        }
        if (replication != null) {
            replication.close();
        }
        if (clusterNode != null) {
            clusterNode.close();
        }
        if (groups != null) {
            groups.close();
        }
        if (topics != null) {
            topics.close();
        }
        if (tiering != null) {
            tiering.close();
        }
        tlsEngines.values().forEach(SslEngines::close);
        if (aclAuthorizer != null) {
            aclAuthorizer.close();
        }
        if (metaStore != null) {
            metaStore.close();
        }
        if (dataDirectory != null) {
            dataDirectory.close();
        }
        log.info("shut down cleanly");
    }
}
