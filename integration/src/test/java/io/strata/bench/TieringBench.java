package io.strata.bench;

import io.strata.ingest.cli.JsonLinesWriter;
import io.strata.it.Clients;
import io.strata.it.StrataNode;
import io.strata.sdk.replay.ReplayRecord;
import io.strata.tiering.store.S3Location;
import io.strata.tiering.store.S3ObjectStore;
import io.strata.tiering.store.S3ProxyServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tiering and reading history against the raw speed of the same S3 server (s3proxy on this
 * machine): segment upload against PUTs; SDK replay against GETs of the same size with as many in
 * flight as it keeps; remote reads through the broker against GETs of the broker's chunk size
 * with as many in flight as its prefetch keeps; {@code strata replay --out} against a
 * kafka-clients consumer writing the same JSON lines, each its own process; and the JSON writer
 * alone, to show it is not what limits the replay.
 */
final class TieringBench {
    static final int SEGMENT = 8 * 1024 * 1024;
    static final int PARTITIONS = 6;
    static final int VALUE = 1000;
    static final long BYTES = 300L * 1000 * 1000;
    static final long RECORDS = BYTES / VALUE;
    /**
     * Four, not three: each round reverses the order of the one before, and the machine keeps speeding up over a run
     * (the raw GETs 900, 1114 and 1296 MiB/s in one run's three rounds), so an odd count gives one order a round more.
     */
    static final int ROUNDS = Integer.getInteger("strata.bench.rounds", 4);
    /** The reads of each round; {@code -Dstrata.bench.steps=sdk,raw-8MiB} measures the SDK replay alone (to profile it, say). */
    static final List<String> STEPS = List.of(System.getProperty("strata.bench.steps",
            "sdk,raw-8MiB,broker,raw-chunk,consumer-json,replay-json,broker-kcat").split(","));
    /** The SDK replay and the raw 8 MiB GETs run as alternating pairs at the "sdk" step when both are measured. */
    static final boolean PAIRED = STEPS.contains("sdk") && STEPS.contains("raw-8MiB");
    /** Pairs of an SDK replay and the raw GETs in each round ({@code -Dstrata.bench.sdkPairs}). */
    static final int SDK_PAIRS = Integer.getInteger("strata.bench.sdkPairs", 5);
    /**
     * {@code -Dstrata.bench.profileRemoteReads=true}: after the rounds, profile the node while kcat reads the topic
     * ({@code bench-results/flame-remote-read-kcat.html} and {@code remote-read-profile.md}).
     */
    static final boolean PROFILE_REMOTE_READS = Boolean.getBoolean("strata.bench.profileRemoteReads");
    /** Untimed passes before the rounds (SDK replay, raw GETs of both sizes, kcat through the node): see where they run. */
    static final int WARMUPS = Integer.getInteger("strata.bench.warmups", 10);
    /** What the SDK replay keeps in flight: {@code Replay.readAhead} default per partition. */
    static final int REPLAY_READ_AHEAD = 3;
    /** The GETs a broker reads segment objects with ({@code tiering.read.chunk.bytes} as the node has it): the raw GETs it is compared with. */
    static final int CHUNK = io.strata.tiering.segment.RemoteSegmentReader.DEFAULT_CHUNK_BYTES;
    /**
     * A second topic, a quarter larger than the node's default cache, read through the node (untimed) before each timed read
     * through it: every timed read starts with the chunk cache holding none of the topic read, as a consumer reading months-old
     * history finds it, and as the raw GETs it is compared with, which have no cache, always do. The objects' indexes, a few
     * KiB each, stay in the node's index cache.
     */
    static final String FLUSH_TOPIC = "flush";
    static final long FLUSH_RECORDS = io.strata.tiering.segment.RemoteSegmentReader.DEFAULT_CACHE_BYTES * 5 / 4 / VALUE;
    /**
     * The GETs a node with the default settings keeps in flight, nominally, for the partitions of the topic read forward
     * together (each one's read and the chunks prefetched for it at the depth its share of the cache allows), and for one
     * partition read alone: the raw GETs it is compared with run at these. Nominal: a read that spans two chunks, an index
     * GET at an object's start, or a depth not yet grown makes the node's real count differ from moment to moment.
     */
    static final int BROKER_GETS_IN_FLIGHT = defaultReader().forwardGetsInFlight(PARTITIONS);
    static final int BROKER_GETS_IN_FLIGHT_ONE_PARTITION = defaultReader().forwardGetsInFlight(1);
    static final String CHUNK_SIZE = (CHUNK >> 20) + " MiB";
    /**
     * {@code -Dstrata.bench.s3Shaped=false} leaves out the last part: kcat through the node and the raw GETs again, with
     * the bucket reached through a {@link ShapedLink} answering as S3 does ({@value #SHAPE_FIRST_BYTE_MS} ms to a
     * response's first byte, {@value #SHAPE_BYTES_PER_SECOND} bytes a second per connection).
     */
    static final boolean S3_SHAPED = Boolean.parseBoolean(System.getProperty("strata.bench.s3Shaped", "true"));
    /** AWS gives median latencies of tens of milliseconds for small S3 requests: the low end, with no slow tail, is kind to a reader. */
    static final long SHAPE_FIRST_BYTE_MS = 30;
    /** AWS's sizing rule for S3 throughput: one request in flight for each 85–90 MB/s wanted. */
    static final long SHAPE_BYTES_PER_SECOND = 90_000_000;

    private TieringBench() {
    }

    /** A reader as a node with the default settings has (no store: only its limits are asked for). */
    private static io.strata.tiering.segment.RemoteSegmentReader defaultReader() {
        return new io.strata.tiering.segment.RemoteSegmentReader(null, io.strata.tiering.segment.RemoteSegmentReader.DEFAULT_CACHE_BYTES,
                CHUNK, io.strata.tiering.segment.RemoteSegmentReader.PREFETCH_BYTES, new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                Runnable::run);
    }

    /**
     * One SDK replay of the topic in this JVM, started at {@code t}, its handler doing nothing: adds its MiB/s of record values
     * and its milliseconds from {@code run()} to the first record; returns when it ended.
     */
    private static long sdkReplay(StrataNode node, long t, List<Double> mibs, List<Double> toFirst) {
        java.util.concurrent.atomic.AtomicLong first = new java.util.concurrent.atomic.AtomicLong();
        io.strata.sdk.replay.Replay.Result rr = io.strata.sdk.replay.Replay.of("bench").parallelism(PARTITIONS)
                .adminUrl("http://127.0.0.1:" + node.adminPort()).bootstrap(node.bootstrap()).run(rec -> {
                    if (first.get() == 0) {
                        first.compareAndSet(0, System.nanoTime());
                    }
                });
        if (rr.records() != RECORDS) {
            throw new IllegalStateException("SDK replay delivered " + rr.records() + " records");
        }
        long end = System.nanoTime();
        mibs.add(rr.bytes() / ((end - t) / 1e9) / (1 << 20));
        toFirst.add((first.get() - t) / 1e6);
        return end;
    }

    /** MiB/s of GETs of {@code size} bytes over the raw objects, {@code inFlight} at a time. */
    private static double rawGets(S3ObjectStore raw, int objects, int size, int inFlight) throws Exception {
        Semaphore permits = new Semaphore(inFlight);
        List<CompletableFuture<byte[]>> all = new ArrayList<>();
        long t0 = System.nanoTime();
        long bytes = 0;
        for (int i = 0; i < objects; i++) {
            for (long off = 0; off < SEGMENT; off += size) {
                permits.acquire();
                all.add(raw.getRange("o" + i, off, size).whenComplete((b, e) -> permits.release()));
                bytes += size;
            }
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get();
        return bytes / ((System.nanoTime() - t0) / 1e9) / (1 << 20);
    }

    /** Printable values: the JSON lines hold text, as most topics' values are. */
    private static byte[] value(Random random) {
        byte[] v = new byte[VALUE];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) (' ' + 1 + random.nextInt(90));
        }
        return v;
    }

    /** A client process's run: {@code seconds} from start to exit, {@code reading} from its first record to its last. */
    private record Timed(long records, long bytes, double seconds, double reading, double cpu) {
        double mibPerSec() {
            return bytes / seconds / (1 << 20);
        }

        double readingMibPerSec() {
            return bytes / reading / (1 << 20);
        }

        Timed reading(double r) {
            return new Timed(records, bytes, seconds, r, cpu);
        }

        Timed cpu(double c) {
            return new Timed(records, bytes, seconds, reading, c);
        }
    }

    private static Timed process(List<String> cmd, Path log) throws Exception {
        return process(cmd, log, Map.of());
    }

    private static Timed process(List<String> cmd, Path log, Map<String, String> env) throws Exception {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        // The bucket's credentials, as a user's environment would give them to strata replay.
        pb.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
                "AWS_REGION", "us-east-1"));
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(cmd + " did not finish: " + Files.readString(log));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " exited " + p.exitValue() + ": " + Files.readString(log));
        }
        return new Timed(RECORDS, RECORDS * VALUE, seconds, Double.NaN, Double.NaN);
    }

    private static List<String> javaWith(String... args) {
        List<String> cmd = new ArrayList<>(List.of(KafkaBroker.java()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String classesDir() throws Exception {
        return Path.of(JsonConsumer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** The benchmark's client classes in a jar: a class-data archive takes no directory on the class path. */
    private static Path clientsJar(Path dir) throws Exception {
        Path jar = dir.resolve("bench-clients.jar");
        if (Files.exists(jar)) {
            return jar;
        }
        Path classes = Path.of(classesDir());
        Path pkg = classes.resolve(JsonConsumer.class.getPackageName().replace('.', '/'));
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar)); var files = Files.list(pkg)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                out.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString().replace(java.io.File.separatorChar, '/')));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }

    /**
     * kcat (librdkafka, C) reading the topic from offset 0 through the broker, as its users run it, printing only each record's
     * partition: the same remote reads as the kafka-clients consumer's with a reading client that costs far less CPU per byte,
     * so on this machine's two cores it shows how fast the broker's path itself goes. Its CPU comes from the shell's
     * {@code times}, which reports the children's.
     */
    private static Timed kcat(StrataNode node, Path log) throws Exception {
        return kcat(node, log, -1);
    }

    /** As {@link #kcat(StrataNode, Path)}, reading only {@code partition} (all when negative): its share of the records. */
    private static Timed kcat(StrataNode node, Path log, int partition) throws Exception {
        return kcat(node, log, "bench", partition, partition < 0 ? RECORDS : RECORDS / PARTITIONS);
    }

    /** kcat reading {@code records} of {@code topic} (of {@code partition} only, unless negative) from offset 0. */
    private static Timed kcat(StrataNode node, Path log, String topic, int partition, long records) throws Exception {
        // -c: it stops at the last record, as the kafka-clients consumer does. With -e alone it stops when every partition has
        // answered a fetch at its end with nothing, and the broker holds such a fetch for fetch.wait.max.ms (500 ms) waiting
        // for records, as Kafka's does: half a second of waiting on the protocol, not reading, counted in a one-second read.
        // -e stays, so a read short of the count ends at the partitions' ends and fails below instead of waiting forever.
        Timed t = process(List.of("bash", "-c", "kcat -C -b " + node.bootstrap() + " -t " + topic + (partition < 0 ? "" : " -p " + partition)
                + " -o beginning -c " + records + " -e -q -f '%p\\n' | wc -l; times"), log);
        t = new Timed(records, records * VALUE, t.seconds(), t.reading(), t.cpu());
        List<String> lines = Files.readAllLines(log);
        long read = Long.parseLong(lines.get(0).trim());
        if (read < records) {
            throw new IllegalStateException("kcat read " + read + " of " + records + " records: " + lines);
        }
        // times: the shell's own user and system time, then its children's.
        Matcher m = Pattern.compile("(\\d+)m([0-9.]+)s (\\d+)m([0-9.]+)s").matcher(lines.get(lines.size() - 1));
        double cpu = Double.NaN;
        if (m.find()) {
            cpu = Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2)) + Integer.parseInt(m.group(3)) * 60
                    + Double.parseDouble(m.group(4));
        }
        return t.cpu(cpu);
    }

    /**
     * Reads {@link #FLUSH_TOPIC} through the node, untimed, so that its chunk cache holds none of the bench topic: the MB
     * the node fetches from its bucket during the timed read that follows, reported with the rows, show it did. With kcat
     * when it is installed, in its own process: a consumer in this JVM would leave its garbage to the SDK replays and raw
     * GETs timed here.
     */
    private static void flushCache(StrataNode node, Path tmp, boolean kcat) throws Exception {
        flushRead(node, tmp, kcat);
        // The node counts a partition as being read for a quarter second after its last read (its share of the cache for
        // prefetch is divided among those): the timed read starts once the flush's partitions no longer count.
        Thread.sleep(1000);
    }

    private static void flushRead(StrataNode node, Path tmp, boolean kcat) throws Exception {
        if (kcat) {
            kcat(node, tmp.resolve("kcat-flush.log"), FLUSH_TOPIC, -1, FLUSH_RECORDS);
            return;
        }
        try (KafkaConsumer<byte[], byte[]> c = Clients.consumer(node, Map.of("max.partition.fetch.bytes", 4 << 20))) {
            List<org.apache.kafka.common.TopicPartition> parts = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                parts.add(new org.apache.kafka.common.TopicPartition(FLUSH_TOPIC, p));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            long read = 0;
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (read < FLUSH_RECORDS) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the cache flush read " + read + " of " + FLUSH_RECORDS + " records in 120 s");
                }
                read += c.poll(java.time.Duration.ofMillis(500)).count();
            }
        }
    }

    private static boolean kcatInstalled() {
        try {
            return new ProcessBuilder("kcat", "-V").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor(10, TimeUnit.SECONDS);
        } catch (java.io.IOException | InterruptedException e) {
            return false;
        }
    }

    /**
     * The JVM options the launcher ({@code strata}) gives {@code strata replay} and its other
     * one-shot commands, copied from it: the consumer it is compared with runs with them too, so
     * that the comparison is of the two ways of reading, not of JVM settings. Kafka's own tools
     * run a consumer on G1; a user's consumer runs on whatever its owner chose.
     */
    static List<String> oneShotJvm() {
        return List.of("-XX:+UseParallelGC");
    }

    /**
     * The consumer process, started as {@code strata replay} is by its launcher: with its JVM
     * options ({@link #oneShotJvm}) and from an application class-data archive, which its first
     * (untimed) run writes, so that neither client is charged for class loading the other is spared.
     */
    private static Timed consumer(StrataNode node, Path out, Path log, Path cds) throws Exception {
        Path archive = cds.resolve("consumer.jsa");
        String cdsFlag = Files.exists(archive) ? "-XX:SharedArchiveFile=" + archive : "-XX:ArchiveClassesAtExit=" + archive;
        List<String> jvm = new ArrayList<>(oneShotJvm());
        jvm.addAll(List.of(cdsFlag, "-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-cp",
                StrataNode.jar() + java.io.File.pathSeparator + clientsJar(cds), JsonConsumer.class.getName(),
                node.bootstrap(), "bench", Integer.toString(PARTITIONS), Long.toString(RECORDS), out == null ? "-" : out.toString()));
        Timed t = process(javaWith(jvm.toArray(String[]::new)), log);
        Matcher m = Pattern.compile("consumed records=(\\d+) .* reading=([0-9.]+) cpu=([0-9.]+|NaN)").matcher(Files.readString(log));
        if (!m.find() || Long.parseLong(m.group(1)) < RECORDS) {
            throw new IllegalStateException("the consumer did not read every record: " + Files.readString(log));
        }
        return t.reading(Double.parseDouble(m.group(2))).cpu(Double.parseDouble(m.group(3)));
    }

    /** {@code strata replay} as a user runs it, through the launcher (which keeps its class-data archive in {@code cds}). */
    private static Timed replayCli(StrataNode node, Path out, Path log, Path cds) throws Exception {
        return replayCli(node, out, log, cds, new ArrayList<>(), new ArrayList<>());
    }

    /**
     * As above; adds to {@code startUp} the seconds from the process's start to the replay's (the launcher, JVM start, the command
     * line) and to {@code toFirst} those from there to the first record (manifests, the S3 client, the broker's metadata).
     */
    private static Timed replayCli(StrataNode node, Path out, Path log, Path cds, List<Double> startUp, List<Double> toFirst) throws Exception {
        Files.deleteIfExists(out);
        Path launcher = Path.of(System.getProperty("strata.root", ".")).resolve("strata");
        Timed t = process(List.of("bash", launcher.toString(), "replay", "--topic", "bench", "--admin-url",
                "http://127.0.0.1:" + node.adminPort(), "--bootstrap-server", node.bootstrap(), "--parallelism",
                Integer.toString(PARTITIONS), "--out", out.toString()), log, Map.of("STRATA_CDS_DIR", cds.toString(),
                // The java the consumer runs on, first.
                "PATH", Path.of(KafkaBroker.java()).getParent() + java.io.File.pathSeparator + System.getenv("PATH")));
        long lines;
        try (var s = Files.lines(out)) {
            lines = s.count();
        }
        if (lines != RECORDS) {
            throw new IllegalStateException("strata replay wrote " + lines + " lines, expected " + RECORDS + ": " + Files.readString(log));
        }
        Matcher m = Pattern.compile(" in ([0-9.]+) s: first record after ([0-9.]+) s").matcher(Files.readString(log));
        if (!m.find()) {
            throw new IllegalStateException("strata replay did not report its timing: " + Files.readString(log));
        }
        startUp.add(t.seconds() - Double.parseDouble(m.group(1)));
        toFirst.add(Double.parseDouble(m.group(2)));
        return t.reading(Double.parseDouble(m.group(1)) - Double.parseDouble(m.group(2)));
    }

    /** The JSON writer alone, from records in memory of the replayed shape, to a discarding stream, on as many threads. */
    private static double jsonWriterMibPerSec(Random random) throws Exception {
        int perThread = 50_000;
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            values.add(value(random));
        }
        ExecutorService pool = Executors.newFixedThreadPool(PARTITIONS);
        try (JsonLinesWriter w = new JsonLinesWriter(OutputStream.nullOutputStream())) {
            for (int warm = 0; warm < 2; warm++) {
                long t0 = System.nanoTime();
                List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < PARTITIONS; t++) {
                    int part = t;
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            w.write(new ReplayRecord("bench", part, i, 1_700_000_000_000L + i, null,
                                    java.nio.ByteBuffer.wrap(values.get(i & 63)), List.of()));
                        }
                        return null;
                    }));
                }
                for (var f : fs) {
                    f.get();
                }
                if (warm == 1) {
                    return (double) PARTITIONS * perThread * VALUE / ((System.nanoTime() - t0) / 1e9) / (1 << 20);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        throw new IllegalStateException("unreachable");
    }

    /** The middle one, or the mean of the middle two. */
    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (a.length == 0) {
            return Double.NaN;
        }
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /**
     * The node's JVM as {@code ./strata broker} starts it (the launcher's heap and G1 settings, which its remote-read cache is
     * a quarter of), not the tests' smaller default; {@code -Dstrata.it.jvmArgs} replaces it.
     */
    static final String NODE_JVM = System.getenv().getOrDefault("STRATA_HEAP_OPTS", "-Xms1G -Xmx1G") + " "
            + System.getenv().getOrDefault("STRATA_JVM_PERFORMANCE_OPTS", "-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20"
            + " -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true");

    static String run() throws Exception {
        String jvmArgs = System.getProperty("strata.it.jvmArgs");
        if (jvmArgs == null) {
            System.setProperty("strata.it.jvmArgs", NODE_JVM);
        }
        try {
            return runWithNodeJvm();
        } finally {
            // The other benchmarks of this JVM start their nodes as they always did.
            if (jvmArgs == null) {
                System.clearProperty("strata.it.jvmArgs");
            }
        }
    }

    private static String runWithNodeJvm() throws Exception {
        System.setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
        Path tmp = Files.createTempDirectory("strata-bench-tiering");
        Random random = new Random(2);
        // As many bytes as the replays read (286 MiB of values), so both pay their start once over the same amount.
        int rawObjects = (int) Math.round((double) BYTES / SEGMENT);
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            double rawPut;
            List<Double> rawOne = new ArrayList<>();
            List<Double> rawReplayShape = new ArrayList<>();
            List<Double> rawBrokerShape = new ArrayList<>();
            // CPU seconds per 100 MB read: the S3 server, the GET client (this JVM), and through the broker the node too.
            List<Double> rawCpuServer = new ArrayList<>();
            List<Double> rawCpuClient = new ArrayList<>();
            List<Double> brokerCpuServer = new ArrayList<>();
            List<Double> brokerCpuNode = new ArrayList<>();
            List<Double> brokerCpuClient = new ArrayList<>();
            double upload;
            List<Double> sdkReplay = new ArrayList<>();
            List<Double> sdkToFirst = new ArrayList<>();
            // From the end of one SDK replay to the start of the next: under a minute, the next reuses its S3 client.
            long lastSdkEnd = 0;
            double longestSdkGap = 0;
            List<Double> throughBroker = new ArrayList<>();
            List<Double> throughKcat = new ArrayList<>();
            List<Double> kcatCpuServer = new ArrayList<>();
            List<Double> kcatCpuNode = new ArrayList<>();
            List<Double> kcatCpuClient = new ArrayList<>();
            boolean kcat = kcatInstalled();
            if (!kcat) {
                System.err.println("kcat is not installed (apt-get install kcat): its row is left out");
            }
            List<Double> throughBrokerReading = new ArrayList<>();
            List<Double> consumerJson = new ArrayList<>();
            List<Double> replayJson = new ArrayList<>();
            List<Double> consumerJsonReading = new ArrayList<>();
            List<Double> replayJsonReading = new ArrayList<>();
            List<Double> replayStartUp = new ArrayList<>();
            List<Double> replayToFirst = new ArrayList<>();
            List<String> order = new ArrayList<>();
            // MB the node fetched from its bucket during each timed read through it, by step: what its cache did not hold.
            Map<String, List<Long>> fetchedByNode = new java.util.TreeMap<>();
            // Through the link shaped like S3: kcat through the node, all partitions and one, and raw GETs at the node's concurrency.
            List<Double> shapedKcat = new ArrayList<>();
            List<Double> shapedKcatOne = new ArrayList<>();
            List<Double> shapedRaw = new ArrayList<>();
            List<Double> shapedRawOne = new ArrayList<>();
            // Bytes the link carried to the node during each timed kcat read, all partitions then one (what its cache did not hold).
            List<Long> shapedLinkBytes = new ArrayList<>();
            // Open until the end: the raw GETs the reads through Strata are compared with run in the same rounds, beside them.
            try (S3ObjectStore raw = new S3ObjectStore(S3Location.parse(s3.url("raw", "")))) {
                raw.ensureBucket().get();
                byte[] data = new byte[SEGMENT];
                new Random(1).nextBytes(data);
                Path file = tmp.resolve("object");
                Files.write(file, data);
                Semaphore inFlight = new Semaphore(4);
                List<CompletableFuture<Void>> puts = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int i = 0; i < rawObjects; i++) {
                    inFlight.acquire();
                    puts.add(raw.put("o" + i, file).whenComplete((v, e) -> inFlight.release()));
                }
                CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get();
                rawPut = (double) rawObjects * SEGMENT / ((System.nanoTime() - t0) / 1e9) / (1 << 20);
                rawGets(raw, rawObjects, SEGMENT, PARTITIONS); // warm-up
                for (int round = 0; round < ROUNDS; round++) {
                    rawOne.add(rawGets(raw, rawObjects, SEGMENT, 1));
                }

                try (StrataNode node = StrataNode.startWithEnv(tmp.resolve("node"), Map.of("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY,
                                "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY, "AWS_REGION", "us-east-1"),
                        "object.store=" + s3.url("bench", "strata"), "metastore=sqlite:" + tmp.resolve("meta.db"),
                        "log.segment.bytes=" + SEGMENT, "log.roll.ms=10000", "log.local.retention.bytes=0", "log.retention.check.interval.ms=500",
                        "tiering.check.interval.ms=50", "tiering.max.untiered.bytes=1000000000000");
                     Admin admin = Clients.admin(node)) {
                    admin.createTopics(List.of(new NewTopic("bench", PARTITIONS, (short) 1), new NewTopic(FLUSH_TOPIC, PARTITIONS, (short) 1)))
                            .all().get();
                    s3.stopProcess();
                    List<byte[]> values = new ArrayList<>();
                    for (int i = 0; i < 64; i++) {
                        values.add(value(random));
                    }
                    try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("linger.ms", 5, "batch.size", 131072))) {
                        for (long i = 0; i < RECORDS; i++) {
                            p.send(new ProducerRecord<>("bench", (int) (i % PARTITIONS), null, values.get((int) (i & 63))));
                        }
                        p.flush();
                    }
                    double before = node.metric("strata_tiering_upload_bytes_total");
                    s3.startProcess();
                    long uploadStart = System.nanoTime();
                    double last = before;
                    long lastChange = System.nanoTime();
                    // The catch-up is the burst of segments sealed while the store was down: it ends at the first second
                    // without an upload finishing (four in flight finish every few tenths of a second). The segments
                    // still active roll 10 s after they began and tier later: counting them, with the pause before them,
                    // made this row depend on where that roll fell (38-91 MiB/s).
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    while (System.nanoTime() < deadline && (last == before || System.nanoTime() - lastChange < 1_000_000_000L)) {
                        Thread.sleep(50);
                        double now = node.metric("strata_tiering_upload_bytes_total");
                        if (now > last) {
                            last = now;
                            lastChange = System.nanoTime();
                        }
                    }
                    upload = (last - before) / ((lastChange - uploadStart) / 1e9) / (1 << 20);
                    try (KafkaProducer<byte[], byte[]> p = Clients.producer(node, Map.of("linger.ms", 5, "batch.size", 131072))) {
                        for (long i = 0; i < FLUSH_RECORDS; i++) {
                            p.send(new ProducerRecord<>(FLUSH_TOPIC, (int) (i % PARTITIONS), null, values.get((int) (i & 63))));
                        }
                        p.flush();
                    }
                    // History, as replay is for: the active segments roll (log.roll.ms) and tier too before anything is read.
                    long tiered = System.currentTimeMillis() + 60_000;
                    while (node.metric("strata_tiering_untiered_bytes") > 0) {
                        if (System.currentTimeMillis() > tiered) {
                            // Untiered data would be read from the node's disk, and the flush topic would not empty the cache.
                            throw new IllegalStateException("the topics were not all tiered in 60 s: "
                                    + node.metric("strata_tiering_untiered_bytes") + " bytes still local");
                        }
                        Thread.sleep(200);
                    }
                    Path out = tmp.resolve("out.jsonl");
                    // Warm-up, untimed, to a steady state on every side: the S3 server was restarted for the upload row, and a
                    // fresh JVM serves its first gigabytes at up to four times the CPU per byte it settles at (JIT). Measured
                    // here on a fresh node, kcat's 300 MB reads took 2.83, 1.88, 1.68, 1.41 … 0.70 node CPU-seconds, flat
                    // from about the tenth read: with only one read before the rounds, the node was timed while its S3
                    // client ran in profiled C1 code and its compilers took 29 % of its CPU. The raw GETs and the SDK replay,
                    // in this JVM, warm up as many times.
                    Path kcatWarmLog = tmp.resolve("kcat-warmup.log");
                    for (int w = 0; w < WARMUPS; w++) {
                        io.strata.sdk.replay.Replay.of("bench").parallelism(PARTITIONS).adminUrl("http://127.0.0.1:" + node.adminPort())
                                .bootstrap(node.bootstrap()).run(rec -> { });
                        lastSdkEnd = System.nanoTime();
                        rawGets(raw, rawObjects, SEGMENT, PARTITIONS * REPLAY_READ_AHEAD); // the first: its connections were to the old server
                        rawGets(raw, rawObjects, CHUNK, BROKER_GETS_IN_FLIGHT);
                        if (kcat) {
                            kcat(node, kcatWarmLog);
                        }
                    }
                    // Each client process's first run also writes the class-data archive its later runs start from.
                    Path cds = Files.createDirectories(tmp.resolve("cds"));
                    consumer(node, out, tmp.resolve("warmup.log"), cds);
                    replayCli(node, out, tmp.resolve("warmup-replay.log"), cds);
                    try (var archives = Files.list(cds)) {
                        List<String> names = archives.map(f -> f.getFileName().toString()).toList();
                        if (!names.contains("consumer.jsa") || names.stream().noneMatch(n -> n.startsWith("replay-") && n.endsWith(".jsa"))) {
                            throw new IllegalStateException("a client's untimed run wrote no class-data archive: " + names);
                        }
                    }
                    for (int round = 1; round <= ROUNDS; round++) {
                        // Each read through Strata next to the raw GETs it is compared with.
                        List<String> steps = new ArrayList<>(STEPS);
                        if (round % 2 == 0) {
                            java.util.Collections.reverse(steps);
                        }
                        for (String step : steps) {
                            boolean throughNode = step.equals("broker") || step.equals("broker-kcat") && kcat || step.equals("consumer-json");
                            double downloadedBefore = 0;
                            if (throughNode) {
                                flushCache(node, tmp, kcat);
                                downloadedBefore = node.metric("strata_tiering_download_bytes_total");
                            }
                            // The JSON lines the steps before wrote (600 MB a round) are written back now, not by the kernel
                            // in the middle of the next timed read.
                            DirtyPages.writeBack();
                            switch (step) {
                                case "sdk" -> {
                                    // Paired with the raw GETs it is compared with, SDK_PAIRS times, each pair's order the reverse
                                    // of the one before: a pair takes under a second, and one pair a round left the ratio's
                                    // median swinging from 0.61 to 0.89 between two runs of this machine.
                                    for (int pair = 0; pair < (PAIRED ? SDK_PAIRS : 1); pair++) {
                                        boolean rawFirst = PAIRED && (pair % 2 == 0) == (round % 2 == 0);
                                        if (rawFirst) {
                                            rawReplayShape.add(rawGets(raw, rawObjects, SEGMENT, PARTITIONS * REPLAY_READ_AHEAD));
                                        }
                                        long t = System.nanoTime();
                                        longestSdkGap = Math.max(longestSdkGap, (t - lastSdkEnd) / 1e9);
                                        lastSdkEnd = sdkReplay(node, t, sdkReplay, sdkToFirst);
                                        if (PAIRED && !rawFirst) {
                                            rawReplayShape.add(rawGets(raw, rawObjects, SEGMENT, PARTITIONS * REPLAY_READ_AHEAD));
                                        }
                                    }
                                }
                                case "raw-8MiB" -> {
                                    if (!PAIRED) {
                                        rawReplayShape.add(rawGets(raw, rawObjects, SEGMENT, PARTITIONS * REPLAY_READ_AHEAD));
                                    }
                                }
                                case "raw-chunk" -> {
                                    double s3Before = HostLoad.cpuSeconds(s3.pid());
                                    double selfBefore = HostLoad.cpuSeconds(ProcessHandle.current().pid());
                                    rawBrokerShape.add(rawGets(raw, rawObjects, CHUNK, BROKER_GETS_IN_FLIGHT));
                                    // Per 100 MB read, as the rows through the broker are.
                                    double per100 = 100e6 / ((double) rawObjects * SEGMENT);
                                    rawCpuServer.add((HostLoad.cpuSeconds(s3.pid()) - s3Before) * per100);
                                    rawCpuClient.add((HostLoad.cpuSeconds(ProcessHandle.current().pid()) - selfBefore) * per100);
                                }
                                case "broker" -> {
                                    double s3Before = HostLoad.cpuSeconds(s3.pid());
                                    double nodeBefore = HostLoad.cpuSeconds(node.pid());
                                    Timed t = consumer(node, null, tmp.resolve("count.log"), cds);
                                    throughBroker.add(t.mibPerSec());
                                    throughBrokerReading.add(t.readingMibPerSec());
                                    double per100 = 100e6 / t.bytes();
                                    brokerCpuServer.add((HostLoad.cpuSeconds(s3.pid()) - s3Before) * per100);
                                    brokerCpuNode.add((HostLoad.cpuSeconds(node.pid()) - nodeBefore) * per100);
                                    brokerCpuClient.add(t.cpu() * per100);
                                }
                                case "broker-kcat" -> {
                                    if (kcat) {
                                        double s3Before = HostLoad.cpuSeconds(s3.pid());
                                        double nodeBefore = HostLoad.cpuSeconds(node.pid());
                                        Timed t = kcat(node, tmp.resolve("kcat.log"));
                                        throughKcat.add(t.mibPerSec());
                                        double per100 = 100e6 / t.bytes();
                                        kcatCpuServer.add((HostLoad.cpuSeconds(s3.pid()) - s3Before) * per100);
                                        kcatCpuNode.add((HostLoad.cpuSeconds(node.pid()) - nodeBefore) * per100);
                                        kcatCpuClient.add(t.cpu() * per100);
                                    }
                                }
                                case "consumer-json" -> {
                                    Timed t = consumer(node, out, tmp.resolve("consumer.log"), cds);
                                    consumerJson.add(t.mibPerSec());
                                    consumerJsonReading.add(t.readingMibPerSec());
                                }
                                default -> {
                                    Timed t = replayCli(node, out, tmp.resolve("replay.log"), cds, replayStartUp, replayToFirst);
                                    replayJson.add(t.mibPerSec());
                                    replayJsonReading.add(t.readingMibPerSec());
                                }
                            }
                            if (throughNode) {
                                fetchedByNode.computeIfAbsent(step, k -> new ArrayList<>())
                                        .add(Math.round((node.metric("strata_tiering_download_bytes_total") - downloadedBefore) / 1e6));
                            }
                            order.add(step);
                        }
                    }
                    if (PROFILE_REMOTE_READS && kcat) {
                        // After the timed rounds, never during them: where the node's CPU goes while kcat reads history.
                        String top = ProfileBench.profile(node.pid(), "cpu", "remote-read-kcat", () -> {
                            for (int i = 0; i < 3; i++) {
                                kcat(node, tmp.resolve("kcat-profiled.log"));
                            }
                        }, Path.of("bench-results"), remoteReadParts());
                        Files.writeString(Path.of("bench-results", "remote-read-profile.md"), "## Where a Strata node spends its CPU"
                                + " serving remote reads (async-profiler, 1 ms CPU samples)\n\n`STRATA_BENCH_OPTS=-Dstrata.bench.profileRemoteReads=true"
                                + " ./strata bench tiering`: after its timed rounds, the node profiled while kcat reads the " + BYTES / 1_000_000
                                + " MB topic from offset 0 three times, every segment in the bucket and none on the node's disk. Flame graph:"
                                + " `flame-remote-read-kcat.html`. Samples cover the node's process only; the S3 server and kcat share the"
                                + " same cores.\n\n" + top);
                    }
                    if (S3_SHAPED && kcat) {
                        shapedReads(s3, node, tmp, kcat, rawObjects, shapedKcat, shapedKcatOne, shapedRaw, shapedRawOne, shapedLinkBytes);
                    }
                }
            }
            double json = jsonWriterMibPerSec(random);
            double one = median(rawOne);
            double replayShape = median(rawReplayShape);
            double brokerShape = median(rawBrokerShape);
            return "## Reading history: tiering, replay and remote reads (s3proxy on this machine, " + SEGMENT / (1 << 20)
                    + " MiB segments, " + BYTES / 1_000_000 + " MB of " + VALUE + "-byte text values on " + PARTITIONS + " partitions)\n\n"
                    + ROUNDS + " rounds, alternating order (" + String.join(", ", order.subList(0, Math.min(8, order.size())))
                    + ", …), after " + WARMUPS + " untimed passes to a steady state (each an SDK replay, raw 8 MiB and " + CHUNK_SIZE + " GETs and a kcat read"
                    + " through the node, whose CPU per byte falls fourfold over its first reads as its JIT compiles) and an untimed consumer"
                    + " read and `strata replay`, medians; MiB/s of record values. Everything is tiered before the reads start (segments roll after 10 s)."
                    + " The node's JVM is the launcher's (`" + System.getProperty("strata.it.jvmArgs") + "`)."
                    + " Clients other than the SDK run as their own processes and are timed from start to exit (JVM start included), each"
                    + " started from an application class-data archive its untimed run wrote (`strata replay` through its launcher, which"
                    + " does this for every user; the consumer with -XX:SharedArchiveFile), and with the JVM options the launcher gives"
                    + " `strata replay` on this machine (`" + String.join(" ", oneShotJvm()) + "`, the consumers too, so that they"
                    + " compare ways of reading, not JVM settings). Every timed read starts after the page cache's dirty data is"
                    + " written back (`sync`), so none pays for the JSON lines written by the step before. The SDK replay and the raw GETs run in the"
                    + " benchmark's warm JVM, in the same rounds, over the same number of bytes: the raw GETs timed from the first request"
                    + " to the last answer on an S3 client already open, the SDK replay from `run()` to its return (its manifests and the"
                    + " segments' footers and indexes included; the S3 client is the one the process's previous replay left open,"
                    + " as the replays of one process share it for a minute; the longest gap between two SDK replays here was"
                    + String.format(" %.0f s).", longestSdkGap)
                    + (PAIRED ? " In each round the SDK replay and its raw GETs run as " + SDK_PAIRS + " pairs, each pair in the reverse order of"
                    + " the one before (a pair takes under a second, and the machine's speed moves between rounds)." : "") + "\n\n"
                    + "Strata / raw is the median of the rounds' ratios (each round's read over the raw GETs of the same round; for the SDK"
                    + " replay, of its pairs' ratios), not the ratio of the medians, which may pair rounds far apart in the machine's speed.\n\n"
                    + "| measure | Strata | raw S3 server | Strata / raw |\n|---|---|---|---|\n"
                    + String.format("| segment upload (catch-up after an outage) vs 8 MiB PUTs, 4 in flight | %.1f MiB/s | %.1f MiB/s | %.2f |%n",
                    upload, rawPut, upload / rawPut)
                    + String.format("| SDK replay, handler does nothing (%d partitions, %d GETs of 8 MiB in flight each) vs 8 MiB GETs, %d in flight | %.1f MiB/s | %.1f MiB/s | %.2f |%n",
                    PARTITIONS, REPLAY_READ_AHEAD, PARTITIONS * REPLAY_READ_AHEAD, median(sdkReplay), replayShape, ratio(sdkReplay, rawReplayShape))
                    + String.format("| remote read through the broker (a kafka-clients consumer from offset 0) vs " + CHUNK_SIZE + " GETs, %d in flight | %.1f MiB/s | %.1f MiB/s | %.2f |%n",
                    BROKER_GETS_IN_FLIGHT, median(throughBroker), brokerShape, ratio(throughBroker, rawBrokerShape))
                    + String.format("| the same, the consumer's first record to its last (its JVM start and first fetch not counted) | %.1f MiB/s | %.1f MiB/s | %.2f |%n",
                    median(throughBrokerReading), brokerShape, ratio(throughBrokerReading, rawBrokerShape))
                    + (throughKcat.isEmpty() ? "" : String.format("| remote read through the broker, kcat (librdkafka) from offset 0, process start to"
                    + " exit at its last record (`-c`), vs " + CHUNK_SIZE + " GETs, %d in flight | %.1f MiB/s | %.1f MiB/s | %.2f |%n", BROKER_GETS_IN_FLIGHT,
                    median(throughKcat), brokerShape, ratio(throughKcat, rawBrokerShape)))
                    + String.format("%nThe SDK replay's time from `run()` to its first record (the topic's manifests from the node, the S3 client"
                            + " leased, the first spans' GETs), median: %.1f ms of its %.1f ms; rounds %s.%n", median(sdkToFirst),
                    BYTES / (1024.0 * 1024) / median(sdkReplay) * 1000,
                    sdkToFirst.stream().map(ms -> String.format("%.1f", ms)).toList())
                    + String.format("%nOne stream of sequential 8 MiB GETs: %.1f MiB/s.%n%n", one)
                    + "Before each timed read through the node it read another topic of " + FLUSH_RECORDS * VALUE / 1_000_000
                    + " MB, untimed, a quarter more than its default cache of " + (io.strata.tiering.segment.RemoteSegmentReader.DEFAULT_CACHE_BYTES >> 20)
                    + " MiB, then waited a second: every timed read found none of its topic's data in the cache (the objects' indexes stay"
                    + " in the node's index cache), as the raw GETs, which have no cache, never find any. MB the node fetched from the"
                    + " bucket during each timed read: " + fetchedByNode + ".\n\n"
                    + "CPU seconds per 100 MB read (medians; the processes share the machine's "
                    + Runtime.getRuntime().availableProcessors() + " cores, so a path that costs more CPU per byte reads slower here):\n\n"
                    + "| path | S3 server | Strata node | reading client (process, JVM start included) | total |\n|---|---|---|---|---|\n"
                    + String.format("| " + CHUNK_SIZE + " GETs, %d in flight | %.2f | | %.2f | %.2f |%n", BROKER_GETS_IN_FLIGHT,
                    median(rawCpuServer), median(rawCpuClient), median(rawCpuServer) + median(rawCpuClient))
                    + String.format("| a kafka-clients consumer through the broker | %.2f | %.2f | %.2f | %.2f |%n", median(brokerCpuServer),
                    median(brokerCpuNode), median(brokerCpuClient), median(brokerCpuServer) + median(brokerCpuNode) + median(brokerCpuClient))
                    + (throughKcat.isEmpty() ? "" : String.format("| kcat through the broker | %.2f | %.2f | %.2f | %.2f |%n", median(kcatCpuServer),
                    median(kcatCpuNode), median(kcatCpuClient), median(kcatCpuServer) + median(kcatCpuNode) + median(kcatCpuClient)))
                    + "\n"
                    + "| JSON lines to a file | MiB/s, process start to exit | MiB/s, first record to last |\n|---|---|---|\n"
                    + String.format("| `strata replay --out FILE` (process) | %.1f | %.1f |%n", median(replayJson), median(replayJsonReading))
                    + String.format("| kafka-clients consumer through the broker writing the same lines with the same writer (process) | %.1f | %.1f |%n",
                    median(consumerJson), median(consumerJsonReading))
                    + String.format("| replay / consumer | %.2f | %.2f |%n", median(replayJson) / median(consumerJson),
                    median(replayJsonReading) / median(consumerJsonReading))
                    + String.format("| the JSON writer alone, %d threads, records in memory | %.1f | |%n", PARTITIONS, json)
                    + String.format("%n`strata replay --out`'s time, medians: %.2f s from the process's start to the replay's (launcher, JVM start,"
                            + " command line), %.2f s from there to the first record (manifests, S3 client, the broker's metadata), %.2f s"
                            + " from the first record to the last; %.2f s in all.%n", median(replayStartUp), median(replayToFirst),
                    BYTES / (1024.0 * 1024) / median(replayJsonReading), BYTES / (1024.0 * 1024) / median(replayJson))
                    + "\nRaw runs (MiB/s): SDK replay " + sdkReplay + "; through the broker " + throughBroker + "; kcat through the broker " + throughKcat
                    + "; through the broker first record to last "
                    + throughBrokerReading + "; replay --out " + replayJson
                    + "; consumer JSON " + consumerJson + "; replay --out first record to last " + replayJsonReading
                    + "; consumer JSON first record to last " + consumerJsonReading + "; raw 8 MiB GETs x" + PARTITIONS * REPLAY_READ_AHEAD + " " + rawReplayShape
                    + "; raw " + CHUNK_SIZE + " GETs x" + BROKER_GETS_IN_FLIGHT + " " + rawBrokerShape + "; raw one stream " + rawOne + ".\n"
                    + "\nEach round's ratio to the raw GETs of the same round (the machine's speed moves between rounds): SDK replay (each pair's) "
                    + roundRatios(sdkReplay, rawReplayShape) + "; kafka-clients consumer through the broker " + roundRatios(throughBroker, rawBrokerShape)
                    + "; kcat through the broker " + roundRatios(throughKcat, rawBrokerShape) + ".\n"
                    + (shapedKcat.isEmpty() ? "" : shapedReport(shapedKcat, shapedKcatOne, shapedRaw, shapedRawOne, shapedLinkBytes));
        }
    }

    /**
     * The node restarted with its bucket reached through a {@link ShapedLink}, then kcat through it and raw GETs through
     * the same link, alternating, after as many untimed passes of each as the rows above had (the restarted node's JIT
     * starts cold again): on this machine the S3 server answers at once and the reads are bound by CPU, where S3 makes a
     * reader wait for every GET and only GETs kept in flight hide it. {@code linkBytes} gets what the link carried to the
     * node during each timed kcat read: all of the data read, as the node's chunk cache is emptied before each
     * ({@link #flushCache}) and as the raw GETs, which have no cache, always fetch it.
     */
    private static void shapedReads(S3ProxyServer s3, StrataNode node, Path tmp, boolean kcat, int rawObjects, List<Double> kcatAll,
                                    List<Double> kcatOnePartition, List<Double> rawAll, List<Double> rawOnePartition,
                                    List<Long> linkBytes) throws Exception {
        int s3Port = java.net.URI.create(s3.endpoint()).getPort();
        try (ShapedLink link = ShapedLink.start(s3Port, SHAPE_FIRST_BYTE_MS, SHAPE_BYTES_PER_SECOND);
             S3ObjectStore raw = new S3ObjectStore(S3Location.parse(linked(link, "raw", "")))) {
            node.stop();
            node.set("object.store=" + linked(link, "bench", "strata"));
            node.launch();
            Path log = tmp.resolve("kcat-shaped.log");
            for (int w = 0; w < WARMUPS; w++) {
                kcat(node, log);
                kcat(node, log, 0);
                rawGets(raw, rawObjects, CHUNK, BROKER_GETS_IN_FLIGHT);
                rawGets(raw, rawObjects / PARTITIONS, CHUNK, BROKER_GETS_IN_FLIGHT_ONE_PARTITION);
            }
            for (int round = 1; round <= ROUNDS; round++) {
                // Odd rounds read through the node first, even rounds the raw GETs first.
                boolean nodeFirst = round % 2 == 1;
                for (int turn = 0; turn < 2; turn++) {
                    if ((turn == 0) == nodeFirst) {
                        flushCache(node, tmp, kcat);
                        long before = link.bytesDelivered();
                        kcatAll.add(kcat(node, log).mibPerSec());
                        linkBytes.add(link.bytesDelivered() - before);
                        flushCache(node, tmp, kcat);
                        before = link.bytesDelivered();
                        kcatOnePartition.add(kcat(node, log, 0).mibPerSec());
                        linkBytes.add(link.bytesDelivered() - before);
                    } else {
                        rawAll.add(rawGets(raw, rawObjects, CHUNK, BROKER_GETS_IN_FLIGHT));
                        // One partition's share of the objects, at one partition's concurrency through the node.
                        rawOnePartition.add(rawGets(raw, rawObjects / PARTITIONS, CHUNK, BROKER_GETS_IN_FLIGHT_ONE_PARTITION));
                    }
                }
            }
        }
    }

    private static String linked(ShapedLink link, String bucket, String prefix) {
        return "s3://" + bucket + "/" + prefix + "?endpoint=http://127.0.0.1:" + link.port() + "&region=us-east-1";
    }

    private static String shapedReport(List<Double> kcatAll, List<Double> kcatOnePartition, List<Double> rawAll,
                                       List<Double> rawOnePartition, List<Long> linkBytes) {
        List<Long> allBytes = new ArrayList<>();
        List<Long> oneBytes = new ArrayList<>();
        for (int i = 0; i < linkBytes.size(); i++) {
            (i % 2 == 0 ? allBytes : oneBytes).add(linkBytes.get(i) / 1_000_000);
        }
        return String.format("%n### The same bucket through a link modelled on S3: %d ms to a response's first byte, %.0f MB/s per connection%n%n",
                SHAPE_FIRST_BYTE_MS, SHAPE_BYTES_PER_SECOND / 1e6)
                + "The S3 server on this machine answers a GET at once, so the rows above are bound by CPU. AWS gives S3 median"
                + " latencies of tens of milliseconds for small requests and sizes its throughput at one request in flight for each"
                + " 85–90 MB/s. Here the node was restarted with its bucket reached through a TCP link (`ShapedLink`) that holds every"
                + " response's first byte " + SHAPE_FIRST_BYTE_MS + " ms after its request (a fixed latency with no slow tail, kinder"
                + " to a reader than S3) and paces each connection to that rate. kcat read through the node, timed from process start"
                + " to exit as above, its chunk cache emptied before each read as above, alternating with raw " + CHUNK_SIZE + " GETs through the same link, timed from the first request"
                + " to the last answer, " + ROUNDS + " rounds after " + WARMUPS + " untimed passes of each; medians. Both baselines run"
                + " at the GETs the node nominally keeps in flight (each partition's read and the chunks prefetched for it, a depth"
                + " that grows while reads wait on GETs, within a share of half the cache among the partitions being read: "
                + BROKER_GETS_IN_FLIGHT + " for " + PARTITIONS + " partitions, " + BROKER_GETS_IN_FLIGHT_ONE_PARTITION + " for one, with"
                + " the default settings), so they show how well it keeps its GETs busy, not whether it keeps enough.\n\n"
                + "| measure | Strata | raw GETs through the link | Strata / raw (median of the rounds' ratios) |\n|---|---|---|---|\n"
                + String.format("| kcat through the broker, %d partitions, vs %s GETs, %d in flight | %.1f MiB/s | %.1f MiB/s | %.2f |%n",
                PARTITIONS, CHUNK_SIZE, BROKER_GETS_IN_FLIGHT, median(kcatAll), median(rawAll), ratio(kcatAll, rawAll))
                + String.format("| kcat through the broker, one partition, vs %s GETs, %d in flight (the node's for one partition read alone) | %.1f MiB/s | %.1f MiB/s | %.2f |%n",
                CHUNK_SIZE, BROKER_GETS_IN_FLIGHT_ONE_PARTITION, median(kcatOnePartition), median(rawOnePartition),
                ratio(kcatOnePartition, rawOnePartition))
                + String.format("%nMB the link carried to the node per timed read (the records: %d MB for all partitions, %d MB for one):"
                        + " all partitions %s, one partition %s.%n", BYTES / 1_000_000, BYTES / PARTITIONS / 1_000_000, allBytes, oneBytes)
                + "\nRaw runs (MiB/s): kcat " + kcatAll + "; kcat one partition " + kcatOnePartition + "; raw GETs x" + BROKER_GETS_IN_FLIGHT
                + " " + rawAll + "; raw GETs x" + BROKER_GETS_IN_FLIGHT_ONE_PARTITION + " " + rawOnePartition + ". Each round's ratio: all partitions "
                + roundRatios(kcatAll, rawAll) + ", one partition " + roundRatios(kcatOnePartition, rawOnePartition) + ".\n";
    }

    /** What a node does serving remote reads, told apart by the frames of each stack (async-profiler's collapsed form). */
    private static LinkedHashMap<String, java.util.function.Predicate<String>> remoteReadParts() {
        LinkedHashMap<String, java.util.function.Predicate<String>> parts = new LinkedHashMap<>();
        parts.put("the JIT compilers", s -> s.contains("CompileBroker") || s.contains("C2Compiler") || s.contains("Compilation::"));
        // A GC thread's stack holds no Java frame; an application thread allocating (a humongous array, say) does, and is not GC.
        parts.put("the garbage collector", s -> !s.contains("java/") && !s.contains("io/")
                && (s.contains("G1") || s.contains("WorkerThread::run") || s.contains("ConcurrentGCThread")));
        parts.put("socket writes of the bytes served (`BufferRegion`, the response's frames)",
                s -> s.contains("BufferRegion") || s.contains("ConnectionHandler.writeReady") || s.contains("ConnectionHandler.answered"));
        parts.put("S3 bodies read from their connections into arrays (`BlockingGets.body`)", s -> s.contains("BlockingGets.body"));
        parts.put("the reader: spans, cutting batches, CRC checks", s -> s.contains("RemoteSegmentReader")
                && (s.contains("batchesFrom") || s.contains("Span") || s.contains("readFrom")));
        parts.put("the S3 client's request path (the SDK, its HTTP client)", s -> s.contains("software/amazon") || s.contains("org/apache/hc"));
        parts.put("Netty socket reads and selecting, outside both (nearly all of it the S3 responses' bytes coming in)", s -> s.contains("io/netty/channel/nio"));
        parts.put("request handling (Kafka protocol, fetch sessions)", s -> s.contains("io/strata") || s.contains("org/apache/kafka"));
        return parts;
    }

    /** {@code reads[i] / raw[i]}, each round's read over the raw GETs of the same round, for the rounds both have. */
    private static List<Double> ratios(List<Double> reads, List<Double> raw) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < Math.min(reads.size(), raw.size()); i++) {
            out.add(reads.get(i) / raw.get(i));
        }
        return out;
    }

    /** The median of the rounds' {@link #ratios}. */
    private static double ratio(List<Double> reads, List<Double> raw) {
        return median(ratios(reads, raw));
    }

    /** The rounds' {@link #ratios}, to two places. */
    private static String roundRatios(List<Double> reads, List<Double> raw) {
        return ratios(reads, raw).stream().map(r -> String.format("%.2f", r)).toList().toString();
    }
}
