package io.strata.ingest.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The resolved settings of one broker. Sources, later ones winning: defaults, the YAML file,
 * environment variables ({@link Setting#envName()}), command-line flags. Unknown keys and bad
 * values are rejected with the key named.
 */
public final class BrokerConfig {
    public static final List<Setting> SETTINGS = List.of(
            Setting.ofInt("node.id", 0, 0, Integer.MAX_VALUE, "This node's id in the cluster."),
            Setting.ofString("cluster.name", "strata", "Name of the cluster; all its state lives under it in the MetaStore."),
            Setting.ofString("data.dir", "./data", "Directory for partition logs and the embedded SQLite MetaStore."),
            Setting.ofString("metastore", "", "MetaStore URL: sqlite:/path/file.db, postgresql://user@host:port/db or fdb:[/path/fdb.cluster]. Empty: SQLite under data.dir."),
            Setting.ofLong("metastore.startup.timeout.ms", 30_000, 0, Long.MAX_VALUE, "How long start-up waits for an unreachable MetaStore (retrying) before the node exits."),
            Setting.ofString("host", "0.0.0.0", "Address the Kafka listener binds to."),
            Setting.ofInt("port", 9092, 0, 65535, "Kafka listener port (0 picks a free port)."),
            Setting.ofString("advertised.host", "localhost", "Host name clients are told to connect to."),
            Setting.ofInt("advertised.port", 0, 0, 65535, "Port clients are told to connect to (0: the listener port)."),
            Setting.ofString("listeners", "", "Kafka listeners, NAME://host:port separated by commas (e.g. PLAINTEXT://:9092,SASL_SSL://:9093; an empty host binds every interface); when set, it replaces host and port."),
            Setting.ofString("advertised.listeners", "", "What clients of each listener are told to connect to, NAME://host:port separated by commas; a listener left out advertises its own host, or advertised.host when it binds every interface."),
            Setting.ofString("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL", "The security protocol of each listener name, NAME:PROTOCOL separated by commas."),
            Setting.ofString("inter.broker.listener.name", "", "The listener other nodes use to reach this one (replication); empty: the first of listeners. Must be PLAINTEXT or SSL for now."),
            Setting.ofChoice("ssl.keystore.type", "PKCS12", List.of("PKCS12", "JKS", "PEM"), "Format of the key store: a PKCS12 or JKS file, or PEM (a file, or ssl.keystore.certificate.chain and ssl.keystore.key)."),
            Setting.ofString("ssl.keystore.location", "", "The key store with this node's certificate and private key (TLS listeners). Reloaded when the file changes."),
            Setting.ofString("ssl.keystore.password", "", "Password of the key store file (PEM: of the encrypted private key, if any)."),
            Setting.ofString("ssl.key.password", "", "Password of the private key in the key store, if it differs from the store's."),
            Setting.ofString("ssl.keystore.certificate.chain", "", "The certificate chain in PEM, given inline instead of a key store file."),
            Setting.ofString("ssl.keystore.key", "", "The private key in PEM (PKCS#8), given inline instead of a key store file."),
            Setting.ofChoice("ssl.truststore.type", "PKCS12", List.of("PKCS12", "JKS", "PEM"), "Format of the trust store."),
            Setting.ofString("ssl.truststore.location", "", "The trust store: certificate authorities accepted for client certificates (and for other nodes' TLS listeners and an https sasl.oauthbearer.jwks.endpoint.url). Reloaded when the file changes."),
            Setting.ofString("ssl.truststore.password", "", "Password of the trust store file."),
            Setting.ofString("ssl.truststore.certificates", "", "Trusted certificates in PEM, given inline instead of a trust store file."),
            Setting.ofChoice("ssl.client.auth", "none", List.of("none", "requested", "required"), "Client certificates on TLS listeners: required (mutual TLS), requested (used when given) or none."),
            Setting.ofString("ssl.enabled.protocols", "TLSv1.2,TLSv1.3", "TLS versions accepted (only TLSv1.2 and TLSv1.3 are allowed)."),
            Setting.ofString("ssl.cipher.suites", "", "Cipher suites accepted, separated by commas; empty: the JVM's defaults for the enabled protocols."),
            Setting.ofString("ssl.principal.mapping.rules", "DEFAULT", "Rules mapping a client certificate's distinguished name to a user name (Kafka's syntax, e.g. RULE:^CN=(.*?),.*$/$1/,DEFAULT)."),
            Setting.ofString("ssl.endpoint.identification.algorithm", "https", "How a node checks the host name of another node's TLS certificate (https; empty: not checked)."),
            Setting.ofString("sasl.enabled.mechanisms", "SCRAM-SHA-256,SCRAM-SHA-512", "SASL mechanisms offered on SASL listeners: SCRAM-SHA-256, SCRAM-SHA-512, PLAIN, OAUTHBEARER."),
            Setting.ofString("sasl.oauthbearer.jwks.endpoint.url", "", "OAUTHBEARER: where the identity provider's signing keys are (https://…/jwks.json, or file:/path/jwks.json, re-read when it changes)."),
            Setting.ofString("sasl.oauthbearer.expected.audience", "", "OAUTHBEARER: audiences a token must name one of (aud claim), separated by commas; required with OAUTHBEARER."),
            Setting.ofString("sasl.oauthbearer.expected.issuer", "", "OAUTHBEARER: the issuer a token must name (iss claim); required with OAUTHBEARER."),
            Setting.ofString("sasl.oauthbearer.sub.claim.name", "sub", "OAUTHBEARER: the claim whose value is the principal's name (User:<value>)."),
            Setting.ofString("sasl.oauthbearer.scope.claim.name", "scope", "OAUTHBEARER: the claim that holds the token's scopes."),
            Setting.ofBoolean("sasl.plain.allow.plaintext", false, "Offer PLAIN on SASL_PLAINTEXT listeners too (the password then crosses the network in the clear)."),
            Setting.ofLong("connections.max.reauth.ms", 0L, 0, Long.MAX_VALUE, "The longest a SASL session lasts before the client must authenticate again on its connection (KIP-368); 0: for the connection's life."),
            Setting.ofLong("connections.authentication.timeout.ms", 10_000L, 100, Long.MAX_VALUE, "A connection to a SASL listener that has not authenticated within this time is closed."),
            Setting.ofBoolean("authorizer.enabled", false, "Enforce ACLs: every request is checked against the ACLs in the MetaStore (managed with kafka-acls, Admin or ./strata acls)."),
            Setting.ofString("authorizer.class.name", "", "Accepted for Kafka configs: naming Kafka's standard authorizer (org.apache.kafka.metadata.authorizer.StandardAuthorizer or kafka.security.authorizer.AclAuthorizer) is the same as authorizer.enabled=true."),
            Setting.ofString("super.users", "", "Principals allowed everything, separated by semicolons (e.g. User:admin;User:CN=broker-1,O=acme). Nodes reach each other as the principal of the inter-broker listener (User:ANONYMOUS over PLAINTEXT), which must be here when ACLs are enforced."),
            Setting.ofBoolean("allow.everyone.if.no.acl.found", false, "With ACLs enforced, let everyone use a resource that has no ACL at all (Kafka's default: false)."),
            Setting.ofString("sasl.mechanism.inter.broker.protocol", "", "The SASL mechanism nodes log in to each other with when inter.broker.listener.name is a SASL listener: SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN (empty: the first of these in sasl.enabled.mechanisms)."),
            Setting.ofString("sasl.inter.broker.user", "", "The user nodes log in to each other as on a SASL inter-broker listener (a SCRAM user; a super user, or one with ClusterAction, when ACLs are on)."),
            Setting.ofString("sasl.inter.broker.password", "", "Password of sasl.inter.broker.user (better given as the environment variable STRATA_SASL_INTER_BROKER_PASSWORD)."),
            Setting.ofString("sasl.bootstrap.user", "", "A SCRAM user created at start-up when it has no credentials yet (the first admin); its password from sasl.bootstrap.password."),
            Setting.ofString("sasl.bootstrap.password", "", "Password of sasl.bootstrap.user (better given as the environment variable STRATA_SASL_BOOTSTRAP_PASSWORD)."),
            Setting.ofInt("admin.port", 9644, 0, 65535, "Admin HTTP port (/health, /ready, /metrics, /api/…); 0 picks a free port."),
            Setting.ofBoolean("admin.ssl.enabled", false, "Serve the admin HTTP API over HTTPS with the node's ssl.* settings (or listener.name.admin.ssl.*); with ssl.client.auth requested or required there, a client certificate the trust store vouches for authenticates like admin.auth.token."),
            Setting.ofString("admin.auth.token", "", "When set, the admin HTTP API wants 'Authorization: Bearer <token>' on every path but admin.auth.open.paths (better given as STRATA_ADMIN_AUTH_TOKEN)."),
            Setting.ofString("admin.auth.open.paths", "/health,/ready,/metrics", "Admin HTTP paths served without the token, separated by commas (load balancers and Prometheus need no secret)."),
            Setting.ofString("broker.rack", "", "This node's rack or availability zone; replicas of a partition are spread over racks."),
            Setting.ofLong("broker.session.timeout.ms", 9000, 1000, Long.MAX_VALUE, "How long a node (and the controller) stays registered without renewing its lease (Kafka's default)."),
            Setting.ofLong("broker.heartbeat.interval.ms", 2000, 100, Long.MAX_VALUE, "How often a node renews its lease in the MetaStore, and the controller its controller lease (Kafka's default)."),
            Setting.ofBoolean("auto.create.topics.enable", true, "Create a topic when a client first asks for it."),
            Setting.ofInt("num.partitions", 1, 1, 100_000, "Partition count of auto-created topics."),
            Setting.ofInt("min.insync.replicas", 1, 1, Short.MAX_VALUE, "Default min.insync.replicas of topics: in-sync replicas an acks=all produce needs."),
            Setting.ofLong("replica.lag.time.max.ms", 30_000L, 100, Long.MAX_VALUE, "A follower that has not caught up with its leader for this long leaves the ISR."),
            Setting.ofBoolean("unclean.leader.election.enable", false, "Let a replica outside the ISR lead when no in-sync replica is live (records may be lost)."),
            Setting.ofBoolean("auto.leader.rebalance.enable", true, "Give partitions back to their preferred replica (the first) when it is live and in sync."),
            Setting.ofLong("leader.imbalance.check.interval.seconds", 300L, 1, Long.MAX_VALUE, "How often the controller checks for partitions led by a replica other than the preferred one."),
            Setting.ofLong("controlled.shutdown.timeout.ms", 30_000L, 0, Long.MAX_VALUE, "On SIGTERM, wait at most this long for this node's leaderships to move to other replicas."),
            Setting.ofInt("default.replication.factor", 3, 1, Short.MAX_VALUE, "Replication factor of topics created without one (auto-created topics, replication factor -1); capped at the live node count, so one on a single node."),
            Setting.ofInt("log.segment.bytes", 1 << 30, 1024, Integer.MAX_VALUE, "Default segment.bytes of topics."),
            Setting.ofLong("log.roll.ms", 7L * 24 * 3600 * 1000, 1, Long.MAX_VALUE, "Default segment.ms of topics."),
            Setting.ofLong("log.retention.ms", 7L * 24 * 3600 * 1000, -1, Long.MAX_VALUE, "Default retention.ms of topics (-1: forever)."),
            Setting.ofLong("log.retention.bytes", -1, -1, Long.MAX_VALUE, "Default retention.bytes of topics (-1: unlimited)."),
            Setting.ofLong("log.flush.interval.messages", Long.MAX_VALUE, 1, Long.MAX_VALUE, "Default flush.messages of topics: an acks=0 or acks=1 produce leaving this many records unsynced is fsynced before it is answered (acks=all always is)."),
            Setting.ofLong("log.flush.interval.ms", 1000, 0, Long.MAX_VALUE, "Default flush.ms of topics: a log holding unsynced records (acks=0 or acks=1) is fsynced once it has not been for this long (Kafka's default: never)."),
            Setting.ofLong("log.flush.scheduler.interval.ms", 100, 10, Long.MAX_VALUE, "How often the log flusher looks for logs due an fsync by flush.ms."),
            Setting.ofBoolean("log.cleaner.enable", true, "Run the log cleaner, which compacts topics with cleanup.policy=compact (keeps the latest record of each key)."),
            Setting.ofLong("log.cleaner.backoff.ms", 15_000, 10, Long.MAX_VALUE, "How often the log cleaner looks for compacted partitions due a pass."),
            Setting.ofLong("log.retention.check.interval.ms", 300_000, 100, Long.MAX_VALUE, "How often retention runs."),
            Setting.ofInt("message.max.bytes", 1024 * 1024 + 12, 0, Integer.MAX_VALUE, "Default max.message.bytes of topics."),
            Setting.ofInt("log.index.interval.bytes", 4096, 0, Integer.MAX_VALUE, "Bytes between offset index entries."),
            Setting.ofChoice("log.message.timestamp.type", "CreateTime", List.of("CreateTime", "LogAppendTime"), "Default message.timestamp.type of topics."),
            Setting.ofLong("log.message.timestamp.before.max.ms", Long.MAX_VALUE, 0, Long.MAX_VALUE, "Default message.timestamp.before.max.ms of topics."),
            Setting.ofLong("log.message.timestamp.after.max.ms", 3_600_000L, 0, Long.MAX_VALUE, "Default message.timestamp.after.max.ms of topics (Kafka 4: one hour)."),
            Setting.ofInt("transaction.max.timeout.ms", 900_000, 1, Integer.MAX_VALUE, "The longest transaction.timeout.ms a transactional producer may ask for (InitProducerId answers INVALID_TRANSACTION_TIMEOUT above it)."),
            Setting.ofLong("transactional.id.expiration.ms", 604_800_000L, 1, Long.MAX_VALUE, "How long a transactional id without a transaction is remembered after its last use (Kafka's default: 7 days); then its producer id and epoch are forgotten."),
            Setting.ofLong("transaction.abort.timed.out.transaction.cleanup.interval.ms", 10_000L, 10, Long.MAX_VALUE, "How often the transaction coordinator aborts transactions open past their timeout and finishes ones a previous coordinator left half-done."),
            Setting.ofLong("producer.id.expiration.ms", 86_400_000L, 1, Long.MAX_VALUE, "How long a partition remembers an idle idempotent producer (Kafka's default: one day)."),
            Setting.ofInt("fetch.max.bytes", 55 * 1024 * 1024, 1024, Integer.MAX_VALUE, "Most bytes one Fetch response carries, whatever the client asks (Kafka's default: 55 MiB)."),
            Setting.ofInt("max.incremental.fetch.session.cache.slots", 1000, 0, Integer.MAX_VALUE,
                    "Incremental fetch sessions (KIP-227) the broker keeps; 0 answers every fetch in full (Kafka's default: 1000)."),
            Setting.ofInt("socket.request.max.bytes", 100 * 1024 * 1024, 1024, Integer.MAX_VALUE, "Largest request frame accepted; a larger one closes the connection."),
            Setting.ofInt("num.io.threads", 8, 1, 1024, "Threads that handle requests."),
            Setting.ofInt("group.initial.rebalance.delay.ms", 0, 0, Integer.MAX_VALUE, "How long an empty group waits for more members before its first rebalance (0, as in Kafka's shipped server.properties; Kafka's built-in default is 3000)."),
            Setting.ofInt("group.min.session.timeout.ms", 6000, 1, Integer.MAX_VALUE, "Smallest session.timeout.ms a consumer may ask for."),
            Setting.ofInt("group.max.session.timeout.ms", 1_800_000, 1, Integer.MAX_VALUE, "Largest session.timeout.ms a consumer may ask for."),
            Setting.ofString("object.store", "", "Object store for sealed segments: s3://bucket/prefix?endpoint=…&region=… or file:/path; none (or empty, except for dev) turns tiering off."),
            Setting.ofLong("log.local.retention.ms", -2, -2, Long.MAX_VALUE, "Default local.retention.ms of topics (-2: retention.ms)."),
            Setting.ofLong("log.local.retention.bytes", -2, -2, Long.MAX_VALUE, "Default local.retention.bytes of topics (-2: retention.bytes)."),
            Setting.ofInt("tiering.upload.concurrency", 4, 1, 256, "Segments uploaded at once."),
            Setting.ofLong("tiering.max.untiered.bytes", 10L << 30, 1, Long.MAX_VALUE, "Local bytes not yet in object storage beyond which produce is refused (retriably) until uploads catch up."),
            Setting.ofLong("tiering.orphan.grace.ms", 3_600_000, 60_000, Long.MAX_VALUE, "Age after which an object no manifest entry names is deleted (at least 60 s: uploads commit only within half of it, so clocks that differ cannot make the sweep take a committed object)."),
            Setting.ofLong("tiering.check.interval.ms", 500, 10, Long.MAX_VALUE, "How often sealed segments are looked for."),
            Setting.ofLong("tiering.cache.bytes", io.strata.tiering.segment.RemoteSegmentReader.DEFAULT_CACHE_BYTES, 1 << 20, Long.MAX_VALUE, "Memory for cached object-store reads (at most a quarter of the heap is used)."),
            Setting.ofInt("tiering.read.chunk.bytes", io.strata.tiering.segment.RemoteSegmentReader.DEFAULT_CHUNK_BYTES,
                    io.strata.tiering.segment.RemoteSegmentReader.MIN_CHUNK_BYTES, 64 << 20,
                    "Size of the ranged GETs remote reads fetch segment objects with, and the unit of their cache (at most a sixteenth"
                    + " of tiering.cache.bytes, which a larger value is cut to): larger means fewer requests (less CPU and request cost"
                    + " per byte) for consumers reading history, smaller less over-read for random reads."),
            Setting.ofLong("tiering.read.prefetch.bytes", io.strata.tiering.segment.RemoteSegmentReader.PREFETCH_BYTES,
                    io.strata.tiering.segment.RemoteSegmentReader.MIN_CHUNK_BYTES, 1L << 30,
                    "Data a remote read keeps fetched ahead of a consumer reading forward at the least, within a segment object and"
                    + " into the next (whole chunks, at least one; at most a quarter of tiering.cache.bytes, which a larger value is"
                    + " cut to). Each partition's prefetch grows from there while a consumer reading on from its last fetch waits on"
                    + " GETs, up to a quarter of tiering.cache.bytes (8 chunks at most) and its share of half the cache (32 chunks at"
                    + " most) among the partitions being read, and halves when chunks fetched ahead are dropped from the cache unread:"
                    + " a larger tiering.cache.bytes lets more partitions go deeper."));

    private static final Map<String, Setting> BY_KEY = new LinkedHashMap<>();

    static {
        SETTINGS.forEach(s -> BY_KEY.put(s.key(), s));
    }

    /** STRATA_* variables the launcher and fault injection read that name no setting. */
    private static final java.util.Set<String> OTHER_VARIABLES = java.util.Set.of("STRATA_JAVA_OPTS", "STRATA_HEAP_OPTS", "STRATA_JVM_PERFORMANCE_OPTS", "STRATA_BENCH_OPTS", "STRATA_FAULT_HALT_AFTER_PUT");

    private final Map<String, Object> values;
    private final List<String> warnings;

    private BrokerConfig(Map<String, Object> values, List<String> warnings) {
        this.values = values;
        this.warnings = List.copyOf(warnings);
    }

    /** What the node should warn about at start-up: environment variables that look like settings but name none. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * Resolves the settings: {@code file} may be null; {@code env} is the process environment;
     * {@code overrides} are command-line values keyed by setting key.
     */
    public static BrokerConfig resolve(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, Object> values = new TreeMap<>();
        SETTINGS.forEach(s -> values.put(s.key(), s.defaultValue()));
        if (file != null) {
            readYaml(file).forEach((k, v) -> values.put(k, setting(k, "in " + file).parse(v)));
        }
        for (Setting s : SETTINGS) {
            String v = env.get(s.envName());
            if (v != null) {
                values.put(s.key(), s.parse(v));
            }
        }
        overrides.forEach((k, v) -> values.put(k, setting(k, "on the command line").parse(v)));
        return new BrokerConfig(values, unknownVariables(env));
    }

    /** A misspelled STRATA_* variable is ignored by the resolution above; say so, with the closest real one. */
    private static List<String> unknownVariables(Map<String, String> env) {
        Map<String, String> byEnvName = new LinkedHashMap<>();
        SETTINGS.forEach(s -> byEnvName.put(s.envName(), s.key()));
        List<String> out = new java.util.ArrayList<>();
        for (String name : new java.util.TreeSet<>(env.keySet())) {
            if (!name.startsWith("STRATA_") || byEnvName.containsKey(name) || OTHER_VARIABLES.contains(name)) {
                continue;
            }
            Optional<String> near = byEnvName.keySet().stream().min(Comparator.comparingInt(k -> distance(k, name)))
                    .filter(k -> distance(k, name) <= Math.max(2, name.length() / 4));
            out.add("environment variable " + name + " names no setting and is ignored"
                    + near.map(n -> "; did you mean " + n + " (" + byEnvName.get(n) + ")?").orElse(""));
        }
        return out;
    }

    private static Map<String, Object> readYaml(Path file) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> raw = new ObjectMapper(new YAMLFactory()).readValue(file.toFile(), Map.class);
            Map<String, Object> flat = new LinkedHashMap<>();
            if (raw != null) {
                flatten("", raw, flat);
            }
            return flat;
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
    }

    /** Accepts both {@code log: {segment.bytes: 1}} and {@code log.segment.bytes: 1}. */
    @SuppressWarnings("unchecked")
    private static void flatten(String prefix, Map<String, Object> in, Map<String, Object> out) {
        in.forEach((k, v) -> {
            String key = prefix.isEmpty() ? k : prefix + "." + k;
            if (v instanceof Map<?, ?> m) {
                flatten(key, (Map<String, Object>) m, out);
            } else {
                out.put(key, v);
            }
        });
    }

    /** Settings a listener may override with Kafka's {@code listener.name.<name>.<setting>} (the name in lower case). */
    private static boolean perListener(String key) {
        return key.startsWith("ssl.") || key.startsWith("sasl.oauthbearer.") || key.equals("sasl.enabled.mechanisms")
                || key.equals("connections.max.reauth.ms");
    }

    private static final String LISTENER_PREFIX = "listener.name.";

    /**
     * These settings as {@code listener} sees them: each {@code listener.name.<listener>.<key>}
     * given replaces {@code <key>}, as in Kafka.
     */
    public BrokerConfig forListener(String listener) {
        String prefix = LISTENER_PREFIX + listener.toLowerCase(java.util.Locale.ROOT) + ".";
        Map<String, Object> view = new TreeMap<>(values);
        values.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                view.put(k.substring(prefix.length()), v);
            }
        });
        return new BrokerConfig(view, warnings);
    }

    /** The listener names that {@code listener.name.<name>.*} settings were given for, in lower case. */
    public java.util.Set<String> listenerOverrideNames() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (String k : values.keySet()) {
            if (k.startsWith(LISTENER_PREFIX)) {
                String rest = k.substring(LISTENER_PREFIX.length());
                out.add(rest.substring(0, Math.max(0, rest.indexOf('.'))));
            }
        }
        return out;
    }

    private static Setting setting(String key, String where) {
        if (key.startsWith(LISTENER_PREFIX)) {
            String rest = key.substring(LISTENER_PREFIX.length());
            int dot = rest.indexOf('.');
            String base = dot < 0 ? "" : rest.substring(dot + 1);
            if (dot > 0 && perListener(base) && BY_KEY.containsKey(base)) {
                return BY_KEY.get(base);
            }
            throw new ConfigException("unknown setting '" + key + "' " + where + ": a listener may override the ssl.*, sasl.enabled.mechanisms, "
                    + "sasl.oauthbearer.* and connections.max.reauth.ms settings, as listener.name.<name in lower case>.<setting>");
        }
        Setting s = BY_KEY.get(key);
        if (s == null) {
            String hint = closest(key).map(c -> "; did you mean '" + c + "'?").orElse("");
            throw new ConfigException("unknown setting '" + key + "' " + where + hint);
        }
        return s;
    }

    private static Optional<String> closest(String key) {
        // A topic config given where the broker wants its default (segment.bytes for log.segment.bytes).
        Optional<String> broader = BY_KEY.keySet().stream().filter(k -> k.endsWith("." + key)).findFirst();
        if (broader.isPresent()) {
            return broader;
        }
        return BY_KEY.keySet().stream().min(Comparator.comparingInt(k -> distance(k, key)))
                .filter(k -> distance(k, key) <= Math.max(2, key.length() / 4));
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    public int getInt(String key) {
        return (Integer) get(key);
    }

    public long getLong(String key) {
        return (Long) get(key);
    }

    public boolean getBoolean(String key) {
        return (Boolean) get(key);
    }

    public String getString(String key) {
        return (String) get(key);
    }

    private Object get(String key) {
        if (!values.containsKey(key)) {
            throw new IllegalArgumentException("no setting " + key);
        }
        return values.get(key);
    }

    /** The data directory, absolute and normalised ({@code ./data} must not leak a {@code /./} into object keys). */
    public Path dataDir() {
        return Path.of(getString("data.dir")).toAbsolutePath().normalize();
    }

    public String metastoreUrl() {
        String url = getString("metastore");
        return url.isEmpty() ? "sqlite:" + dataDir().resolve("metastore.db") : url;
    }

    /** The object store URL, unless tiering is off ({@code object.store} empty or {@code none}). */
    public Optional<String> objectStoreUrl() {
        String url = getString("object.store");
        return url.isEmpty() || url.equals("none") ? Optional.empty() : Optional.of(url);
    }

    public Map<String, Object> asMap() {
        return Map.copyOf(values);
    }
}
