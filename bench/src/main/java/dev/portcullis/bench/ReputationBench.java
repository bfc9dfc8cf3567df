package dev.portcullis.bench;

import dev.portcullis.events.EventCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.events.UnreadableEventException;
import dev.portcullis.testkit.InfinispanCluster;
import dev.portcullis.testkit.KafkaBroker;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.infinispan.AdvancedCache;
import org.infinispan.commons.marshall.WrappedByteArray;
import org.infinispan.container.entries.InternalCacheEntry;
import org.infinispan.protostream.ImmutableSerializationContext;
import org.infinispan.protostream.ProtobufUtil;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How fast the reputation-service ingests session events, how its REST API answers while it
 * does, and what one tracked client costs in its heap and in the grid. Everything on this
 * host, loopback only: a real Kafka broker (testkit, a child JVM), a real 2-node clustered
 * Infinispan with Hot Rod servers (testkit, in this JVM), the service's runnable jar (a child
 * JVM, configured as shipped). Prints a Markdown report on standard output and progress on
 * standard error; exits 1 when the service did not apply every event in time, skipped or
 * failed any, or the REST API answered anything but 200 while idle.
 *
 * <ol>
 * <li><b>Fill.</b> {@code portcullis.events} ({@code partitions} partitions) gets exactly
 *     {@code events} session events over {@code ips} client IPs from {@link EventGenerator},
 *     JSON by {@link EventCodec}, key = client IP, through a batching producer with the
 *     edge's compression (lz4, acks=1, linger 20 ms, 256 KiB batches).</li>
 * <li><b>Raw.</b> A plain {@code KafkaConsumer} (byte[] keys and values, partitions assigned,
 *     from the beginning, {@code max.poll.records=2000} like the service, other settings
 *     default) reads all of them, twice (the first warms this JVM), then once more decoding
 *     every value with {@link EventCodec#decode}. Rate = records after the first batch / time
 *     after the first batch.</li>
 * <li><b>Baselines.</b> This JVM's live heap (the grid holds nothing yet); then a twin of the
 *     service (same jar, options and settings, its consumer on an empty topic) is started,
 *     asked a few REST queries, and its live heap taken ({@code jcmd GC.class_histogram}),
 *     then stopped.</li>
 * <li><b>Ingest.</b> The service starts with a fresh consumer group. Its readiness check
 *     ({@code eventsApplied}) is polled every 100 ms; the clock starts at the first poll that
 *     shows events applied and stops at the one that shows all of them; rate = events applied
 *     in between / time. Meanwhile one client thread asks {@code GET /api/v1/reputation/{ip}}
 *     for random known IPs at {@code rest-rate} per second ({@link RestLatency}); CPU of each
 *     process over the interval, and of each service thread ({@code jcmd Thread.print}).</li>
 * <li><b>Idle.</b> The same client for {@code idle-seconds} once ingest is done.</li>
 * <li><b>Memory.</b> The service's live heap minus the twin's, per tracked state and per IP;
 *     the grid's entries read from node 0's data container (stored key and value bytes of the
 *     {@code ip:} entries), and this JVM's live heap growth per grid entry (both owners are in
 *     this JVM: every entry is held twice).</li>
 * </ol>
 *
 * <p>Options ({@code --name=value}): {@code service-jar} (required), {@code run-dir}
 * (required), {@code events} (1000000), {@code ips} (100000), {@code partitions} (6),
 * {@code v6-share} (0.1), {@code concurrent-sessions} (128), {@code span-seconds} (300: event
 * times run from this long ago to now), {@code seed} (1), {@code http-port} (28091),
 * {@code service-java-opts} (-Xmx512m -XX:MetaspaceSize=96m, as bin/portcullis), {@code kafka-java-opts} (-Xms128m
 * -Xmx768m -XX:+UseSerialGC, as bin/portcullis), {@code main-cf} (none: Postfix defaults),
 * {@code rest-rate} (200), {@code idle-seconds} (15), {@code ingest-timeout} (600 s),
 * {@code jfr} (false: when true the service runs with a JFR profile recording, summarised for
 * the ingest interval in {@code profile.txt}), {@code command} (the command line to print in the report).
 */
public final class ReputationBench {

    static final String CACHE = "portcullis-reputation";
    static final String EMPTY_TOPIC = "portcullis.events.bench-empty";
    private static final double MIB = 1024.0 * 1024.0;

    private ReputationBench() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> o = options(argv);
        Path jar = Path.of(require(o, "service-jar")).toAbsolutePath();
        Path run = Path.of(require(o, "run-dir")).toAbsolutePath();
        long events = Long.parseLong(o.getOrDefault("events", "1000000"));
        int ips = Integer.parseInt(o.getOrDefault("ips", "100000"));
        int partitions = Integer.parseInt(o.getOrDefault("partitions", "6"));
        double v6Share = Double.parseDouble(o.getOrDefault("v6-share", "0.1"));
        int concurrent = Integer.parseInt(o.getOrDefault("concurrent-sessions", "128"));
        long spanSeconds = Long.parseLong(o.getOrDefault("span-seconds", "300"));
        long seed = Long.parseLong(o.getOrDefault("seed", "1"));
        int httpPort = Integer.parseInt(o.getOrDefault("http-port", "28091"));
        List<String> serviceOpts = List.of(o.getOrDefault("service-java-opts", "-Xmx512m -XX:MetaspaceSize=96m").trim().split("\\s+"));
        List<String> kafkaOpts = List.of(o.getOrDefault("kafka-java-opts", "-Xms128m -Xmx768m -XX:+UseSerialGC")
                .trim().split("\\s+"));
        Path mainCf = o.containsKey("main-cf") ? Path.of(o.get("main-cf")).toAbsolutePath() : null;
        int restRate = Integer.parseInt(o.getOrDefault("rest-rate", "200"));
        int idleSeconds = Integer.parseInt(o.getOrDefault("idle-seconds", "15"));
        int ingestTimeout = Integer.parseInt(o.getOrDefault("ingest-timeout", "600"));
        boolean jfr = Boolean.parseBoolean(o.getOrDefault("jfr", "false"));
        String command = o.get("command");
        if (events < 1 || events > 20_000_000 || ips < 1 || ips > 5_000_000 || partitions < 1 || partitions > 64
                || concurrent < 1 || concurrent > 10_000 || restRate < 1 || restRate > 5_000 || idleSeconds < 1
                || idleSeconds > 300 || ingestTimeout < 10 || ingestTimeout > 3_600 || v6Share < 0 || v6Share > 1) {
            throw new IllegalArgumentException("option out of range (events 1..20M, ips 1..5M, partitions 1..64, "
                    + "concurrent-sessions 1..10000, rest-rate 1..5000, idle-seconds 1..300, ingest-timeout 10..3600, "
                    + "v6-share 0..1)");
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("no such jar: " + jar);
        }
        Files.createDirectories(run);
        if (jfr) {
            List<String> withJfr = new ArrayList<>(serviceOpts);
            withJfr.add("-XX:StartFlightRecording=filename=" + run.resolve("service.jfr")
                    + ",settings=" + jfc(run) + ",dumponexit=true");
            serviceOpts = withJfr;
        }
        String token = HexFormat.of().formatHex(SecureRandom.getSeed(16));
        long self = ProcessHandle.current().pid();
        Report report = new Report();
        report.started = Instant.now();
        boolean ok = true;

        progress("starting a Kafka broker (child JVM %s) and a 2-node Infinispan grid (in this JVM)", kafkaOpts);
        try (KafkaBroker kafka = KafkaBroker.builder().jvmOptions(kafkaOpts).logLevel("WARN").build().start();
             InfinispanCluster grid = InfinispanCluster.create().start()) {
            Files.writeString(run.resolve("kafka.pid"), kafka.pid() + "\n");
            grid.defineDistributedCache(CACHE);
            kafka.createTopic(Topics.EVENTS, partitions, false);
            kafka.createTopic(Topics.VERDICTS, 1, true);
            kafka.createTopic(EMPTY_TOPIC, partitions, false);
            String bootstrap = kafka.bootstrapServers();
            progress("broker %s (pid %d), grid %s", bootstrap, kafka.pid(), grid.hotRodServers());

            // (1) fill the topic
            EventGenerator gen = new EventGenerator(seed, ips, v6Share);
            report.produce = produce(bootstrap, gen, events, spanSeconds, concurrent);
            report.gen = gen;
            long onTopic = endOffsets(bootstrap, Topics.EVENTS, partitions);
            progress("produced %d events (%d on the topic) in %.1f s, %.0f/s, %.0f B per JSON value",
                    events, onTopic, report.produce.seconds, events / report.produce.seconds,
                    (double) report.produce.bytes / events);
            if (onTopic != events) {
                throw new IllegalStateException("the topic holds " + onTopic + " records, expected " + events);
            }

            // (2) raw consumers
            report.rawWarm = consume(bootstrap, partitions, events, false);
            progress("raw consumer (warm-up): %.0f records/s", report.rawWarm.rate());
            report.raw = consume(bootstrap, partitions, events, false);
            progress("raw consumer: %.0f records/s", report.raw.rate());
            report.decode = consume(bootstrap, partitions, events, true);
            progress("raw consumer decoding JSON: %.0f records/s", report.decode.rate());

            // (3) baselines: this JVM (the grid, empty) and a twin of the service
            report.gridBefore = Jvm.liveHistogram(self, run.resolve("histogram-grid-before.txt"));
            progress("this JVM's live heap with the grid empty: %.1f MiB", report.gridBefore.total() / MIB);
            try (ReputationService twin = ReputationService.start(jar, serviceOpts, httpPort, bootstrap,
                    grid.hotRodServers(), token, "bench-baseline-" + System.currentTimeMillis(), mainCf,
                    Map.of("PORTCULLIS_REPUTATION_EVENTS_TOPIC", EMPTY_TOPIC), run.resolve("service-baseline.log"),
                    run.resolve("service.pid"))) {
                twin.awaitReady(Duration.ofSeconds(120));
                awaitAssigned(twin, Duration.ofSeconds(60));
                RestLatency warm = new RestLatency(twin.base(), token, gen.ips(), restRate, seed, 30);
                warm.phase("warm");
                Thread w = new Thread(warm, "rest-warm");
                w.start();
                Thread.sleep(3_000);
                warm.stop();
                w.join(15_000);
                report.serviceBefore = Jvm.liveHistogram(twin.pid(), run.resolve("histogram-service-before.txt"));
                report.serviceRssBefore = Jvm.rssBytes(twin.pid());
                progress("service twin (consumer on an empty topic): live heap %.1f MiB, RSS %.1f MiB",
                        report.serviceBefore.total() / MIB, report.serviceRssBefore / MIB);
            }

            // (4) ingest
            String group = "portcullis-reputation-bench-" + System.currentTimeMillis();
            report.group = group;
            long launched = System.nanoTime();
            try (ReputationService svc = ReputationService.start(jar, serviceOpts, httpPort, bootstrap,
                    grid.hotRodServers(), token, group, mainCf, Map.of(), run.resolve("service.log"),
                    run.resolve("service.pid"))) {
                svc.awaitReady(Duration.ofSeconds(120));
                report.readySeconds = (System.nanoTime() - launched) / 1e9;
                RestLatency rest = new RestLatency(svc.base(), token, gen.ips(), restRate, seed + 1,
                        ingestTimeout + idleSeconds + 120);
                rest.phase("before");
                Thread restThread = new Thread(rest, "rest-client");
                restThread.setDaemon(true);
                restThread.start();

                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ingestTimeout);
                long t0 = 0;
                long applied0 = 0;
                long lastProgress = System.nanoTime();
                ReputationService.Health h = null;
                Cpu cpu0 = null;
                Map<String, Double> threads0 = null;
                double threads0At = 0;
                while (true) {
                    h = svc.health();
                    long now = System.nanoTime();
                    long applied = h.get("eventsApplied");
                    if (t0 != 0 && report.halfAt == 0 && applied >= events / 2) {
                        report.halfAt = now; // the second half: the service's JIT has warmed up, as the raw reader's had
                        report.halfApplied = applied;
                    }
                    if (t0 == 0 && applied > 0) {
                        t0 = now;
                        applied0 = applied;
                        report.ingestStart = Instant.now();
                        report.firstAppliedSeconds = (t0 - launched) / 1e9;
                        rest.phase("busy");
                        cpu0 = Cpu.of(svc.pid(), kafka.pid(), self);
                        threads0 = Jvm.threadCpu(svc.pid(), run.resolve("threads-start.txt"));
                        threads0At = System.nanoTime() / 1e6;
                        progress("consumption started %.1f s after launch (%d applied at the first look)",
                                report.firstAppliedSeconds, applied);
                    }
                    if (applied >= events) {
                        rest.phase(null);
                        report.ingestEnd = Instant.now();
                        Cpu cpu1 = Cpu.of(svc.pid(), kafka.pid(), self);
                        Map<String, Double> threads1 = Jvm.threadCpu(svc.pid(), run.resolve("threads-end.txt"));
                        double threads1At = System.nanoTime() / 1e6;
                        report.ingestSeconds = (now - t0) / 1e9;
                        report.ingestEvents = applied - applied0;
                        if (report.halfAt != 0 && now > report.halfAt) {
                            report.secondHalfSeconds = (now - report.halfAt) / 1e9;
                            report.secondHalfEvents = applied - report.halfApplied;
                        }
                        report.cpu = cpu1.minus(cpu0);
                        report.threadCpu = threadShares(threads0, threads1, threads1At - threads0At);
                        break;
                    }
                    if (!svc.alive()) {
                        throw new IllegalStateException("reputation-service exited during ingest:\n" + svc.tail(30));
                    }
                    if (now > deadline) {
                        ok = false;
                        report.failure = "timed out after " + ingestTimeout + " s with " + applied + " of " + events
                                + " events applied";
                        rest.phase(null);
                        break;
                    }
                    if (now - lastProgress > TimeUnit.SECONDS.toNanos(5)) {
                        lastProgress = now;
                        progress("applied %d of %d (%s), tracked %d, batches %d", applied, events, h.status(),
                                h.get("tracked"), h.get("batches"));
                    }
                    Thread.sleep(100);
                }
                if (report.failure == null) {
                    progress("all %d events applied: %.0f events/s over %.1f s", events, report.serviceRate(),
                            report.ingestSeconds);
                }

                // (5) idle
                Thread.sleep(3_000);
                rest.phase("idle");
                Thread.sleep(idleSeconds * 1000L);
                rest.phase(null);
                rest.stop();
                restThread.join(15_000);
                report.restBefore = rest.summary("before");
                report.restBusy = rest.summary("busy");
                report.restIdle = rest.summary("idle");

                // (6) memory
                report.health = svc.health();
                Files.writeString(run.resolve("health-end.json"), report.health.data().toPrettyString());
                String metrics = svc.metrics();
                Files.writeString(run.resolve("metrics-end.txt"), metrics);
                report.metricApplied = metric(metrics, "portcullis_reputation_events_total", "result=\"applied\"");
                report.serviceAfter = Jvm.liveHistogram(svc.pid(), run.resolve("histogram-service-after.txt"));
                report.serviceRssAfter = Jvm.rssBytes(svc.pid());
                report.grid = gridEntries(grid);
                report.gridAfter = Jvm.liveHistogram(self, run.resolve("histogram-grid-after.txt"));
                progress("service live heap %.1f MiB (tracked %d); grid: %d entries, this JVM's live heap %.1f MiB",
                        report.serviceAfter.total() / MIB, report.health.get("tracked"), report.grid.total,
                        report.gridAfter.total() / MIB);
                svc.close();
                report.serviceStopSeconds = svc.stopSeconds();
            }
            if (jfr && report.ingestStart != null && report.ingestEnd != null) {
                Path recording = run.resolve("service.jfr");
                if (Files.exists(recording)) {
                    String profile = JfrSummary.summarize(recording, List.of("reputation-aggregator",
                            "smallrye-kafka-consumer-thread", "vert.x-eventloop-thread", "HotRod-client-async-pool"),
                            report.ingestStart, report.ingestEnd, 20);
                    Files.writeString(run.resolve("profile.txt"), profile);
                    progress("JFR summary of the ingest interval in %s", run.resolve("profile.txt"));
                }
            }
        }
        long unreadable = report.health == null ? -1 : report.health.get("eventsUnreadable");
        long failed = report.health == null ? -1 : report.health.get("eventsFailed");
        if (report.failure == null && (unreadable != 0 || failed != 0)) {
            report.failure = "eventsUnreadable=" + unreadable + ", eventsFailed=" + failed;
        }
        if (report.failure == null && report.restIdle != null
                && report.restIdle.ok() != report.restIdle.count()) {
            report.failure = "REST answers other than 200 while idle: " + report.restIdle.statuses();
        }
        ok &= report.failure == null;
        System.out.print(report.markdown(events, ips, partitions, restRate, serviceOpts, kafkaOpts, mainCf, jfr,
                command));
        System.out.flush();
        System.exit(ok ? 0 : 1);
    }

    /**
     * The JDK's {@code profile.jfc} with the lock, park and socket thresholds lowered from 10 ms
     * to 1 ms, so that short waits on the grid or the consumer show up in the wait tables.
     */
    private static Path jfc(Path run) throws IOException {
        Path profile = Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc");
        String text = Files.readString(profile)
                .replaceAll("(control=\"locking-threshold\">)[^<]*<", "$11 ms<")
                .replaceAll("(control=\"socket-threshold\">)[^<]*<", "$11 ms<");
        Path out = run.resolve("bench-profile.jfc");
        Files.writeString(out, text);
        return out;
    }

    // ------------------------------------------------------------------ Kafka

    record Produced(double seconds, long bytes, long errors) {
    }

    static Produced produce(String bootstrap, EventGenerator gen, long n, long spanSeconds, int concurrent)
            throws InterruptedException {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.CLIENT_ID_CONFIG, "bench-fill");
        p.setProperty(ProducerConfig.ACKS_CONFIG, "1");
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
        p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "20");
        p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        p.setProperty(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(64L << 20));
        AtomicLong errors = new AtomicLong();
        AtomicReference<Exception> firstError = new AtomicReference<>();
        AtomicLong bytes = new AtomicLong();
        long start = System.currentTimeMillis() - TimeUnit.SECONDS.toMillis(spanSeconds);
        long t0 = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new ByteArraySerializer())) {
            long[] sent = {0};
            gen.generate(n, start, TimeUnit.SECONDS.toMillis(spanSeconds), concurrent, (SessionEvent e) -> {
                byte[] value = EventCodec.encode(e);
                bytes.addAndGet(value.length);
                producer.send(new ProducerRecord<>(Topics.EVENTS, e.meta().clientIp(), value), (md, ex) -> {
                    if (ex != null && errors.getAndIncrement() == 0) {
                        firstError.set(ex);
                    }
                });
                if (++sent[0] % 200_000 == 0) {
                    progress("produced %d of %d", sent[0], n);
                }
            });
            producer.flush();
        }
        if (errors.get() > 0) {
            throw new IllegalStateException(errors.get() + " sends failed", firstError.get());
        }
        return new Produced((System.nanoTime() - t0) / 1e9, bytes.get(), errors.get());
    }

    static long endOffsets(String bootstrap, String topic, int partitions) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(topic, i));
            }
            return c.endOffsets(tps, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "bench-raw");
        p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Records read after the first non-empty poll, and the time from the end of that poll to the last record. */
    record Consumed(long records, long bytes, long firstBatch, double seconds, double totalSeconds, long sink) {
        double rate() {
            return (records - firstBatch) / seconds;
        }
    }

    static Consumed consume(String bootstrap, int partitions, long n, boolean decode) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                tps.add(new TopicPartition(Topics.EVENTS, i));
            }
            long start = System.nanoTime();
            c.assign(tps);
            c.seekToBeginning(tps);
            long count = 0;
            long bytes = 0;
            long first = -1;
            long t1 = 0;
            long sink = 0;
            long deadline = start + TimeUnit.SECONDS.toNanos(300);
            while (count < n) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("raw consumer read " + count + " of " + n + " in 300 s");
                }
                ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    count++;
                    bytes += r.value().length;
                    if (decode) {
                        try {
                            sink += EventCodec.decode(r.value()).getClass().hashCode();
                        } catch (UnreadableEventException e) {
                            throw new IllegalStateException("unreadable event at offset " + r.offset(), e);
                        }
                    }
                }
                if (first < 0 && count > 0) {
                    first = count;
                    t1 = System.nanoTime();
                }
            }
            long end = System.nanoTime();
            return new Consumed(count, bytes, first, (end - t1) / 1e9, (end - start) / 1e9, sink);
        }
    }

    // ------------------------------------------------------------------ service

    private static void awaitAssigned(ReputationService svc, Duration timeout) throws InterruptedException {
        long by = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < by) {
            if (svc.health().get("partitions") > 0) {
                return;
            }
            Thread.sleep(200);
        }
        progress("warning: the baseline twin had no partitions assigned after %s", timeout);
    }

    /** Per thread (numbered pool threads summed by pool): share of one core over the interval, largest first. */
    private static Map<String, Double> threadShares(Map<String, Double> before, Map<String, Double> after,
                                                    double wallMillis) {
        Map<String, Double> pools = new TreeMap<>();
        after.forEach((name, ms) -> {
            double d = ms - before.getOrDefault(name, 0.0);
            String pool = name.replaceAll("[#-]?\\d+$", "*").replaceAll("-\\d+-", "-*-");
            pools.merge(pool, d / wallMillis, Double::sum);
        });
        Map<String, Double> sorted = new LinkedHashMap<>();
        pools.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private static double metric(String text, String name, String label) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return Double.NaN;
    }

    record Cpu(double service, double kafka, double harness, long nanos) {
        static Cpu of(long service, long kafka, long harness) {
            return new Cpu(Jvm.cpuSeconds(service), Jvm.cpuSeconds(kafka), Jvm.cpuSeconds(harness), System.nanoTime());
        }

        /** Shares of one core over the interval from {@code before}. */
        Cpu minus(Cpu before) {
            double s = (nanos - before.nanos) / 1e9;
            return new Cpu((service - before.service) / s, (kafka - before.kafka) / s, (harness - before.harness) / s,
                    nanos - before.nanos);
        }
    }

    // ------------------------------------------------------------------ grid

    /** Entries by key prefix, and stored sizes of the {@code ip:} ones, from node 0 (which owns every entry). */
    static final class GridEntries {
        long total;
        final Map<String, Long> byPrefix = new TreeMap<>();
        long ipEntries;
        long ipKeyBytes;
        long ipValueBytes;
        long ipStateBytes;
        long netEntries;
        long netValueBytes;
        long localNode0;
        long localNode1;
    }

    static GridEntries gridEntries(InfinispanCluster grid) throws IOException {
        GridEntries g = new GridEntries();
        ImmutableSerializationContext ctx = ProtobufUtil.newSerializationContext();
        AdvancedCache<Object, Object> cache = grid.cacheManager(0).getCache(CACHE).getAdvancedCache()
                .withStorageMediaType();
        g.total = cache.size();
        for (InternalCacheEntry<Object, Object> e : cache.getDataContainer()) {
            g.localNode0++;
            byte[] k = bytes(e.getKey());
            byte[] v = bytes(e.getValue());
            Object key = k == null ? e.getKey() : ProtobufUtil.fromWrappedByteArray(ctx, k);
            String text = String.valueOf(key);
            int colon = text.indexOf(':');
            g.byPrefix.merge(colon > 0 ? text.substring(0, colon + 1) : text, 1L, Long::sum);
            if (text.startsWith("ip:")) {
                g.ipEntries++;
                g.ipKeyBytes += k == null ? 0 : k.length;
                g.ipValueBytes += v == null ? 0 : v.length;
                Object state = v == null ? null : ProtobufUtil.fromWrappedByteArray(ctx, v);
                g.ipStateBytes += state instanceof byte[] b ? b.length : 0;
            } else if (text.startsWith("net:")) {
                g.netEntries++;
                g.netValueBytes += v == null ? 0 : v.length;
            }
        }
        for (InternalCacheEntry<Object, Object> ignored : grid.cacheManager(1).getCache(CACHE).getAdvancedCache()
                .withStorageMediaType().getDataContainer()) {
            g.localNode1++;
        }
        return g;
    }

    private static byte[] bytes(Object o) {
        if (o instanceof WrappedByteArray w) {
            return w.getBytes();
        }
        if (o instanceof byte[] b) {
            return b;
        }
        return null;
    }

    // ------------------------------------------------------------------ report

    static final class Report {
        Instant started;
        EventGenerator gen;
        Produced produce;
        Consumed rawWarm;
        Consumed raw;
        Consumed decode;
        String group;
        double readySeconds;
        double firstAppliedSeconds;
        Instant ingestStart;
        Instant ingestEnd;
        double ingestSeconds;
        long ingestEvents;
        long halfAt;
        long halfApplied;
        double secondHalfSeconds;
        long secondHalfEvents;
        Cpu cpu;
        Map<String, Double> threadCpu = Map.of();
        RestLatency.Summary restBefore;
        RestLatency.Summary restBusy;
        RestLatency.Summary restIdle;
        ReputationService.Health health;
        double metricApplied;
        Jvm.Histogram serviceBefore;
        Jvm.Histogram serviceAfter;
        double serviceRssBefore;
        double serviceRssAfter;
        Jvm.Histogram gridBefore;
        Jvm.Histogram gridAfter;
        GridEntries grid;
        double serviceStopSeconds = Double.NaN;
        String failure;

        double serviceRate() {
            return ingestEvents / ingestSeconds;
        }

        String markdown(long events, int ips, int partitions, int restRate, List<String> serviceOpts,
                        List<String> kafkaOpts, Path mainCf, boolean jfr, String command) {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "## Reputation-service ingest, %s%n%n",
                    DateTimeFormatter.ISO_INSTANT.format(started.atOffset(ZoneOffset.UTC).withNano(0))));
            if (command != null) {
                sb.append("Command: `").append(command).append("`\n\n");
            }
            sb.append(String.format(Locale.ROOT, "Host: %d cores, Java %s. Kafka broker: testkit `KafkaBroker`, "
                            + "a child JVM (`%s`). Infinispan: testkit `InfinispanCluster`, **2 clustered nodes inside "
                            + "the bench JVM** (cache `%s`: distributed, 2 owners, protostream, no persistence). "
                            + "reputation-service: `quarkus-run.jar`, `%s`, Kafka settings as shipped (only bootstrap "
                            + "servers and a fresh group id `%s` set), %s%s. All on loopback, sharing the 2 cores.%n%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                    String.join(" ", kafkaOpts), CACHE, String.join(" ", serviceOpts), group,
                    mainCf == null ? "Postfix defaults (no main.cf)" : "main.cf `" + mainCf.getFileName() + "`",
                    jfr ? ", **with a JFR profile recording** (figures slightly lower)" : ""));
            sb.append(String.format(Locale.ROOT, "Events: %,d on `%s` (%d partitions), %,d client IPs "
                            + "(%,d used; %,d IPv4 /24s, %,d IPv6 /64s), %,d sessions; %.0f B per JSON value "
                            + "on average, lz4-compressed by the producer. Produced in %.1f s (%,.0f/s).%n%n",
                    events, Topics.EVENTS, partitions, ips, gen.distinctIpsUsed(), gen.v4Networks(), gen.v6Networks(),
                    gen.sessions(), (double) produce.bytes / events, produce.seconds, events / produce.seconds));
            sb.append("Event mix: ").append(mix(gen.eventKinds(), events)).append("; sessions: ")
                    .append(mix(gen.sessionKinds(), gen.sessions())).append(".\n\n");

            sb.append("### Ingest\n\n| reader | events | seconds | events/s | vs raw |\n|---|---:|---:|---:|---:|\n");
            row(sb, "raw `KafkaConsumer`, byte[] (warm-up pass)", rawWarm, raw.rate());
            row(sb, "raw `KafkaConsumer`, byte[]", raw, raw.rate());
            row(sb, "raw `KafkaConsumer` + `EventCodec.decode`", decode, raw.rate());
            if (failure == null || ingestEvents > 0) {
                sb.append(String.format(Locale.ROOT, "| **reputation-service** (fresh group, to `eventsApplied` = N) "
                                + "| %,d | %.2f | **%,.0f** | **%.2f** |%n",
                        ingestEvents, ingestSeconds, serviceRate(), serviceRate() / raw.rate()));
                if (secondHalfEvents > 0) {
                    double half = secondHalfEvents / secondHalfSeconds;
                    sb.append(String.format(Locale.ROOT, "| reputation-service, second half only (warmed up, as the "
                                    + "raw reader after its warm-up pass) | %,d | %.2f | %,.0f | %.2f |%n",
                            secondHalfEvents, secondHalfSeconds, half, half / raw.rate()));
                }
            }
            sb.append(String.format(Locale.ROOT, "%nRatio service / raw: **%.2f** (aim: >= 0.5); service / decoding "
                            + "consumer: %.2f. Rates count from the first batch read (raw: after the first poll; "
                            + "service: the first readiness poll showing events applied, every 100 ms) to the last "
                            + "event. The service was ready %.1f s after launch and applied its first events %.1f s "
                            + "after launch.%n",
                    serviceRate() / raw.rate(), serviceRate() / decode.rate(), readySeconds, firstAppliedSeconds));
            if (cpu != null) {
                sb.append(String.format(Locale.ROOT, "%nCPU during the service's ingest (share of one core; 2 cores "
                                + "= 200%%): service %.0f%%, Kafka broker %.0f%%, bench JVM (grid + REST client) "
                                + "%.0f%%.%n", 100 * cpu.service, 100 * cpu.kafka, 100 * cpu.harness));
                sb.append("Busiest service threads (`jcmd Thread.print` cpu= at the start and end of ingest): ");
                List<String> parts = new ArrayList<>();
                threadCpu.entrySet().stream().limit(8).forEach(e -> parts.add(String.format(Locale.ROOT,
                        "`%s` %.0f%%", e.getKey(), 100 * e.getValue())));
                sb.append(String.join(", ", parts)).append(".\n");
            }
            if (health != null) {
                sb.append(String.format(Locale.ROOT, "%nReadiness data at the end: eventsApplied %d "
                                + "(metric `portcullis_reputation_events_total{result=\"applied\"}` %.0f), "
                                + "eventsUnreadable %d, eventsDuplicate %d, eventsFailed %d, batches %d "
                                + "(%.0f events per batch), grid writes %d (%.1f batches per write), states read ahead %d, "
                                + "storeRetries %d, tracked %d, verdictsPublished %d.%n",
                        health.get("eventsApplied"), metricApplied, health.get("eventsUnreadable"),
                        health.get("eventsDuplicate"), health.get("eventsFailed"), health.get("batches"),
                        (double) health.get("eventsApplied") / Math.max(1, health.get("batches")),
                        health.get("writes"), (double) health.get("batches") / Math.max(1, health.get("writes")),
                        health.get("statesReadAhead"),
                        health.get("storeRetries"), health.get("tracked"), health.get("verdictsPublished")));
            }

            sb.append(String.format(Locale.ROOT, "%n### REST latency, `GET /api/v1/reputation/{ip}`%n%n"
                    + "One client, one keep-alive connection, a random known IP every %.1f ms (%d/s asked).%n%n"
                    + "| phase | requests | achieved/s | p50 ms | p90 ms | p99 ms | max ms | statuses |%n"
                    + "|---|---:|---:|---:|---:|---:|---:|---|%n", 1000.0 / restRate, restRate));
            rest(sb, "while ingesting at full speed", restBusy);
            rest(sb, "idle (ingest done)", restIdle);
            rest(sb, "(between ready and the first batch: warm-up, not a figure)", restBefore);

            if (serviceAfter != null && grid != null) {
                long tracked = health.get("tracked");
                double growth = serviceAfter.total() - serviceBefore.total();
                sb.append(String.format(Locale.ROOT, "%n### Memory%n%n"
                                + "Service: live heap (`jcmd GC.class_histogram`) %.1f MiB after ingest, %.1f MiB in an "
                                + "identical twin before any ingest: +%.1f MiB for %,d tracked states (%,d `ip:` + %,d "
                                + "`net:` shards). RSS %.0f -> %.0f MiB.%n%n",
                        serviceAfter.total() / MIB, serviceBefore.total() / MIB, growth / MIB, tracked,
                        grid.ipEntries, grid.netEntries, serviceRssBefore / MIB, serviceRssAfter / MIB));
                double gridGrowth = gridAfter.total() - gridBefore.total();
                sb.append("| where | bytes per tracked state | bytes per client IP (all its states) |\n|---|---:|---:|\n");
                sb.append(String.format(Locale.ROOT, "| service heap | %,.0f | %,.0f |%n", growth / tracked,
                        growth / grid.ipEntries));
                sb.append(String.format(Locale.ROOT, "| grid heap, both owners (bench JVM live-heap growth) | %,.0f | "
                        + "%,.0f |%n", gridGrowth / grid.total, gridGrowth / grid.ipEntries));
                sb.append(String.format(Locale.ROOT, "| grid heap, one copy (half of that) | %,.0f | %,.0f |%n",
                        gridGrowth / grid.total / 2, gridGrowth / grid.ipEntries / 2));
                sb.append(String.format(Locale.ROOT, "%nGrid: %,d entries (%s; node 0 holds %,d, node 1 %,d). An `ip:` "
                                + "entry as stored (protostream-wrapped): key %.1f B + value %.1f B on average; the "
                                + "service's encoded state inside the value %.1f B. `net:` shard values %.1f B. The bench "
                                + "JVM's live heap went %.1f -> %.1f MiB.%n",
                        grid.total, grid.byPrefix, grid.localNode0, grid.localNode1,
                        (double) grid.ipKeyBytes / grid.ipEntries, (double) grid.ipValueBytes / grid.ipEntries,
                        (double) grid.ipStateBytes / grid.ipEntries,
                        grid.netEntries == 0 ? 0.0 : (double) grid.netValueBytes / grid.netEntries,
                        gridBefore.total() / MIB, gridAfter.total() / MIB));
                sb.append("\nService heap growth by class (top 10, twin -> after):\n\n```\n");
                serviceAfter.topGrowth(serviceBefore, 10).forEach((k, v) -> sb.append(String.format(Locale.ROOT,
                        "%+12d instances %+14d B  %s%n", v[0], v[1], k)));
                sb.append("```\n\nGrid (bench JVM) heap growth by class (top 8):\n\n```\n");
                gridAfter.topGrowth(gridBefore, 8).forEach((k, v) -> sb.append(String.format(Locale.ROOT,
                        "%+12d instances %+14d B  %s%n", v[0], v[1], k)));
                sb.append("```\n");
            }
            sb.append(String.format(Locale.ROOT, "%nService stop after SIGTERM: %s.%n",
                    Double.isNaN(serviceStopSeconds) ? "killed or not measured"
                            : String.format(Locale.ROOT, "%.1f s", serviceStopSeconds)));
            if (failure != null) {
                sb.append("\n**FAILED:** ").append(failure).append('\n');
            }
            return sb.toString();
        }

        private static void row(StringBuilder sb, String what, Consumed c, double raw) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %.2f | %,.0f | %.2f |%n", what, c.records() - c.firstBatch(),
                    c.seconds(), c.rate(), c.rate() / raw));
        }

        private static void rest(StringBuilder sb, String what, RestLatency.Summary s) {
            if (s == null || s.count() == 0) {
                sb.append("| ").append(what).append(" | 0 | | | | | | |\n");
                return;
            }
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %.0f | %.2f | %.2f | %.2f | %.1f | %s |%n", what,
                    s.count(), s.rate(), s.ms(0.50), s.ms(0.90), s.ms(0.99), s.maxMs(), s.statuses()));
        }

        private static String mix(Map<String, Long> counts, long total) {
            List<String> parts = new ArrayList<>();
            counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                    .forEach(e -> parts.add(String.format(Locale.ROOT, "%s %.1f%%", e.getKey(),
                            100.0 * e.getValue() / total)));
            return String.join(", ", parts);
        }
    }

    // ------------------------------------------------------------------ plumbing

    static void progress(String format, Object... args) {
        System.err.printf("[bench %tT] %s%n", System.currentTimeMillis(), String.format(Locale.ROOT, format, args));
    }

    private static String require(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + name + "=... is required");
        }
        return v;
    }

    static Map<String, String> options(String[] argv) {
        Map<String, String> o = new LinkedHashMap<>();
        for (String a : argv) {
            if (!a.startsWith("--") || !a.contains("=")) {
                throw new IllegalArgumentException("options are --name=value, got " + a);
            }
            int eq = a.indexOf('=');
            o.put(a.substring(2, eq), a.substring(eq + 1));
        }
        return o;
    }
}
