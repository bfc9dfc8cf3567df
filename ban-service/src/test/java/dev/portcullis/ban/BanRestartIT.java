package dev.portcullis.ban;

import dev.portcullis.events.EventCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.testkit.InfinispanCluster;
import dev.portcullis.testkit.KafkaBroker;
import dev.portcullis.testkit.KafkaRecords;
import dev.portcullis.testkit.QuarkusApp;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged ban-service as a real process (testkit {@link QuarkusApp}) with its own Kafka
 * broker and Infinispan cluster: bans survive a restart of the service, a lost grid (rebuilt from
 * the compacted topic, also with no grid at all at start) and a restart of the broker; a ban that expires while the service is down
 * is tombstoned when it comes back, never restored. Also measures event-to-decision latency
 * (reported, not asserted) into {@code target/ban-latency.txt}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BanRestartIT {

    static final String ADMIN = "Bearer it-admin";
    static final Duration WAIT = Duration.ofSeconds(60);
    static KafkaBroker kafka;
    static InfinispanCluster grid;
    static QuarkusApp app;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        Path target = Path.of(System.getProperty("portcullis.ban.target", "target"));
        kafka = KafkaBroker.create().start();
        kafka.createTopic(Topics.EVENTS, 3, false);
        kafka.createTopic(Topics.DECISIONS, 3, true);
        grid = InfinispanCluster.create().start();
        grid.defineDistributedCache("portcullis-bans");
        app = QuarkusApp.builder(Path.of(System.getProperty("portcullis.ban.jar", "target/quarkus-app/quarkus-run.jar")))
                .name("ban-service").logDir(target.resolve("it-logs"))
                .env("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers())
                .env("QUARKUS_INFINISPAN_CLIENT_HOSTS", grid.hotRodServers())
                .env("PORTCULLIS_BAN_JAILS", Path.of("src/test/resources/test-jails.conf").toAbsolutePath().toString())
                .env("PORTCULLIS_BAN_API_ADMIN_TOKEN", "it-admin")
                .env("PORTCULLIS_BAN_API_READ_TOKEN", "it-read")
                .env("PORTCULLIS_BAN_SWEEP_INTERVAL", "200ms")
                .env("PORTCULLIS_BAN_NETWORK_THRESHOLD", "0")
                .env("PORTCULLIS_BAN_ID", "ban-it")
                .env("MP_MESSAGING_INCOMING_EVENTS_AUTO_OFFSET_RESET", "earliest")
                .startTimeout(Duration.ofSeconds(120))
                .build();
        app.start();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {app, grid, kafka}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // keep closing the rest
            }
        }
    }

    static HttpResponse<String> call(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.uri(path)).timeout(Duration.ofSeconds(15))
                .header("Authorization", ADMIN).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String lastOnTopic(String cidr) {
        List<KafkaRecords.Received> rs = KafkaRecords.pollUntil(kafka.bootstrapServers(), Topics.DECISIONS, x -> false,
                Duration.ofSeconds(3));
        String last = "<none>";
        for (KafkaRecords.Received r : rs) {
            if (cidr.equals(r.key())) {
                last = r.value();
            }
        }
        return last;
    }

    static void awaitOnTopic(String cidr, java.util.function.Predicate<String> value) {
        KafkaRecords.await(kafka.bootstrapServers(), Topics.DECISIONS, rs -> {
            String last = "<none>";
            for (KafkaRecords.Received r : rs) {
                if (cidr.equals(r.key())) {
                    last = r.value();
                }
            }
            return !"<none>".equals(last) && value.test(last);
        }, WAIT);
    }

    static boolean listed(String cidr) {
        HttpResponse<String> r = call("GET", "/api/v1/decisions?limit=100000", null);
        assertEquals(200, r.statusCode(), r.body());
        return r.body().contains("\"cidr\":\"" + cidr + "\"");
    }

    @Test
    @Order(1)
    void bansSurviveARestartAndWhatExpiredMeanwhileIsTombstoned() throws Exception {
        assertEquals(201, call("POST", "/api/v1/bans", "{\"cidr\":\"100.65.0.1\",\"for\":\"permanent\"}").statusCode());
        HttpResponse<String> shortBan = call("POST", "/api/v1/bans", "{\"cidr\":\"100.65.0.2\",\"for\":\"3s\"}");
        assertEquals(201, shortBan.statusCode(), shortBan.body());
        java.util.regex.Matcher expires = java.util.regex.Pattern.compile("\"expires\":\"([^\"]+)\"").matcher(shortBan.body());
        assertTrue(expires.find(), shortBan.body());
        Instant expiry = Instant.parse(expires.group(1));
        awaitOnTopic("100.65.0.2/32", v -> v != null);
        app.kill(); // a crash: no shutdown, no last sweep
        // The short ban must run out while the service is down (nothing to poll: a dead service).
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> Instant.now().isAfter(expiry));
        app.start();
        assertTrue(listed("100.65.0.1/32"), "the permanent ban came back");
        assertFalse(listed("100.65.0.2/32"), "the expired one did not");
        awaitOnTopic("100.65.0.2/32", v -> v == null);
    }

    @Test
    @Order(2)
    void aLostGridIsRebuiltFromTheCompactedTopic() {
        assertEquals(201, call("POST", "/api/v1/bans", "{\"cidr\":\"100.65.1.0/24\",\"for\":\"1d\",\"reason\":\"kept\"}")
                .statusCode());
        awaitOnTopic("100.65.1.0/24", v -> v != null && v.contains("kept"));
        app.stop();
        grid.cacheManager(0).getCache("portcullis-bans").clear();
        app.start();
        assertTrue(listed("100.65.1.0/24"));
        assertTrue(listed("100.65.0.1/32"));
        await().atMost(WAIT).until(() -> grid.cacheManager(0).getCache("portcullis-bans").containsKey("c:100.65.1.0/24"));
    }

    @Test
    @Order(3)
    void withTheWholeGridGoneAtStartTheTopicAloneRestoresAndTheGridIsRefilledWhenItReturns() {
        app.stop();
        grid.stopNode(1);
        grid.stopNode(0); // every node gone: the grid's copy is lost
        app.start();
        assertTrue(listed("100.65.0.1/32"), "restored from the compacted topic alone");
        assertTrue(listed("100.65.1.0/24"));
        assertEquals(201, call("POST", "/api/v1/bans", "{\"cidr\":\"100.65.3.1\",\"for\":\"1h\"}").statusCode(),
                "bans are still taken and published while the grid is away");
        awaitOnTopic("100.65.3.1/32", v -> v != null);
        grid.startNode(0);
        grid.startNode(1);
        await().atMost(WAIT).until(() -> grid.cacheManager(0).getCache("portcullis-bans").containsKey("c:100.65.0.1/32")
                && grid.cacheManager(0).getCache("portcullis-bans").containsKey("c:100.65.3.1/32"));
    }

    @Test
    @Order(4)
    void bansSurviveABrokerRestartAndNewOnesStillGetOut() {
        kafka.stop();
        HttpResponse<String> during = call("POST", "/api/v1/bans", "{\"cidr\":\"100.65.2.1\",\"for\":\"1h\"}");
        assertEquals(201, during.statusCode(), during.body());
        kafka.restart();
        awaitOnTopic("100.65.2.1/32", v -> v != null);
        assertTrue(listed("100.65.0.1/32"));
        assertTrue(listed("100.65.1.0/24"));
    }

    /** Event published by an edge -> decision on the topic, for jail trips. Reports p50/p99; asserts only that all arrived. */
    @Test
    @Order(5)
    void eventToDecisionLatency() throws Exception {
        int trips = Integer.getInteger("portcullis.ban.latency.trips", 200);
        Properties pp = new Properties();
        pp.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        pp.setProperty(ProducerConfig.LINGER_MS_CONFIG, "0");
        pp.setProperty(ProducerConfig.ACKS_CONFIG, "1");
        Properties cp = new Properties();
        cp.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        cp.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.setProperty(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
        Map<String, Long> sent = new HashMap<>();
        List<Long> latencies = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer());
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(Topics.DECISIONS).stream()
                    .map(i -> new TopicPartition(Topics.DECISIONS, i.partition())).toList();
            consumer.assign(tps);
            consumer.seekToEnd(tps);
            int i;
            tps.forEach(consumer::position);
            int warmUp = 20; // the first trips pay for connections and the group's first fetch: not counted
            for (i = 0; i < trips + warmUp; i++) {
                String ip = "100.66." + (i / 250) + "." + (1 + i % 250);
                Instant now = Instant.now();
                for (int k = 0; k < 2; k++) {
                    SessionEvent e = Events.relayDenied(ip, now);
                    producer.send(new ProducerRecord<>(Topics.EVENTS, ip, EventCodec.encode(e))).get(10, TimeUnit.SECONDS);
                }
                SessionEvent third = Events.relayDenied(ip, now);
                long t0 = System.nanoTime();
                producer.send(new ProducerRecord<>(Topics.EVENTS, ip, EventCodec.encode(third)));
                sent.put(ip + "/32", t0);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (sent.containsKey(ip + "/32") && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(5))) {
                        Long start = sent.remove(r.key());
                        if (start != null && r.value() != null && i >= warmUp) {
                            latencies.add(System.nanoTime() - start);
                        }
                    }
                }
            }
        }
        assertEquals(trips, latencies.size(), "every trip produced its decision");
        Collections.sort(latencies);
        double p50 = latencies.get(latencies.size() / 2) / 1e6;
        double p99 = latencies.get((int) Math.min(latencies.size() - 1, Math.ceil(latencies.size() * 0.99) - 1)) / 1e6;
        double max = latencies.get(latencies.size() - 1) / 1e6;
        String report = String.format("event-to-decision latency (third failing event sent -> BAN record read from %s),"
                + " %d jail trips, one ban-service, 1 Kafka broker, 2-node Infinispan, one machine: p50 %.1f ms, p99 %.1f ms,"
                + " max %.1f ms%n", Topics.DECISIONS, trips, p50, p99, max);
        System.out.print(report);
        Files.writeString(Path.of(System.getProperty("portcullis.ban.target", "target")).resolve("ban-latency.txt"), report);
    }

    /**
     * Opt-in benchmark ({@code -Dbench.ban=true}; not portcullis.ban.*, which the service
     * validates): a blocklist of 100,000 addresses is loaded and published, then the service
     * restarts with 100,000 live decisions. Reports, into {@code target/ban-bench.txt}, how long
     * each start took until ready and how long until every decision was on the topic; asserts
     * only that they all got there.
     */
    @Test
    @Order(6)
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "bench.ban", matches = "true")
    void hundredThousandDecisions() throws Exception {
        int n = Integer.getInteger("bench.ban.size", 100_000);
        Path dir = Path.of(System.getProperty("portcullis.ban.target", "target")).resolve("bench-lists");
        Files.createDirectories(dir);
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < n; i++) {
            list.append("10.").append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.').append(i & 255).append('\n');
        }
        Files.writeString(dir.resolve("big.txt"), list);
        Files.writeString(dir.resolve("blocklists.conf"), "[big]\ntype = cidr\nfile = big.txt\n");
        app.stop();
        app.env("PORTCULLIS_BAN_BLOCKLISTS", dir.resolve("blocklists.conf").toAbsolutePath().toString());
        long t0 = System.nanoTime();
        app.start();
        double firstReady = (System.nanoTime() - t0) / 1e9;
        KafkaRecords.await(kafka.bootstrapServers(), Topics.DECISIONS, rs -> rs.stream()
                .filter(r -> r.key() != null && r.key().startsWith("10.") && r.value() != null).count() >= n,
                Duration.ofMinutes(5));
        double firstPublished = (System.nanoTime() - t0) / 1e9;
        app.stop();
        long t1 = System.nanoTime();
        app.start();
        double restartReady = (System.nanoTime() - t1) / 1e9;
        String report = String.format("%d-address blocklist, one ban-service (QuarkusApp's -Xmx256m), 1 broker, 2-node Infinispan:"
                + " first start ready (list parsed, %d claims made) in %.1f s, all %d decisions on the topic %.1f s after"
                + " the start; restart with %d live decisions (topic + grid read, nothing republished) ready in %.1f s%n",
                n, n, firstReady, n, firstPublished, n, restartReady);
        System.out.print(report);
        Files.writeString(Path.of(System.getProperty("portcullis.ban.target", "target")).resolve("ban-bench.txt"), report);
        app.stop();
        app.env("PORTCULLIS_BAN_BLOCKLISTS", null);
        app.start();
    }
}
