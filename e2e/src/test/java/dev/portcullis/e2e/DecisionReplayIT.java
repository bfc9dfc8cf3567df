package dev.portcullis.e2e;

import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import dev.portcullis.events.Topics;
import dev.portcullis.testkit.QuarkusApp;
import dev.portcullis.testkit.SmtpTestClient.Reply;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An edge that starts with a full decision topic knows every live ban before it is ready,
 * and a ban lifted while it was down is not among them.
 *
 * <p>{@code portcullis.decisions} gets {@value #DECISIONS} bans ({@code 10.x.y.z/32} and
 * {@code 172.16-31.x.0/24}, some scoped to port 80, some already expired, as a long-running
 * ban-service leaves them) plus the ones the test checks over SMTP, then the packaged edge
 * starts. Its readiness waits for the replay, so when it is ready: the count it holds is
 * exactly the live records, a banned 127.x client gets the 554 at once, and the client whose
 * ban got its tombstone before the start is served. The replay time (the edge's
 * {@code portcullis_edge_decisions_replay_millis}) is printed and written to
 * {@code target/decision-replay.txt}; nothing is asserted about it (the aim, under 2 s for
 * 100,000, is a benchmark figure).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecisionReplayIT {

    static final int DECISIONS = 100_000;
    static final String MAIN_CF = """
            myhostname = mx.e2e.example
            mydestination = $myhostname, localhost
            relay_domains = example.com
            mynetworks = 192.0.2.0/24
            smtpd_client_event_limit_exceptions =
            """;

    private Fleet fleet;

    @BeforeAll
    void start() {
        fleet = Fleet.start("decision-replay", MAIN_CF);
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void aStartingEdgeKnowsEveryLiveBanBeforeItIsReady() throws Exception {
        Instant now = Instant.now();
        Instant later = now.plus(Duration.ofDays(1));
        int expired = 0;
        long t0 = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (int i = 0; i < DECISIONS; i++) {
                String cidr = i % 10 == 0
                        ? "172." + (16 + (i >> 16) % 16) + "." + ((i >> 8) & 0xff) + ".0/24"
                        : "10." + ((i >> 16) & 0xff) + "." + ((i >> 8) & 0xff) + "." + (i & 0xff) + "/32";
                boolean isExpired = i % 50 == 7;
                expired += isExpired ? 1 : 0;
                send(producer, new Decision(Decision.SCHEMA, cidr, Decision.Action.BAN,
                        i % 7 == 0 ? List.of(80) : List.of(), "jail:postfix", "3 rejects in 10m",
                        now.minusSeconds(3600), isExpired ? now.minusSeconds(60) : later, "ban-e2e"));
            }
            send(producer, ban("127.89.1.0/24", later));
            send(producer, ban("127.89.2.2/32", later));
            // lifted while no edge was running: the tombstone comes after the ban in the log
            producer.send(new ProducerRecord<>(Topics.DECISIONS, "127.89.2.2/32", null));
            producer.flush();
        }
        long produced = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        // -Dreplay.jvm="-Xmx512m -XX:MetaspaceSize=96m" measures with the launcher's edge options instead of testkit's
        // small C1-only child JVM (what the figure in the README names)
        String jvm = System.getProperty("replay.jvm", "").strip();
        Fleet.Edge edge = fleet.edge("edge-replay", "127.0.0.1:9",
                b -> (jvm.isEmpty() ? b : b.jvmOptions(List.of(jvm.split("\\s+"))))
                        .startTimeout(Duration.ofSeconds(300)));
        // readiness waits for the whole replay here, however loaded the machine (the default
        // bound, 10 s, is for a broker that is away, not for a slow replay; the start timeout
        // above is as long)
        edge.app().env("PORTCULLIS_DECISIONS_STARTUP_WAIT", "300s");
        edge.app().start();
        Map<String, Double> m = metrics(edge.app());
        double replayMillis = m.getOrDefault("portcullis_edge_decisions_replay_millis", -1.0);
        assertTrue(replayMillis >= 0, "ready means replayed: " + m);
        // the ones with duplicate keys (the /24s repeat every 4096) count once
        long distinct = countDistinctNetworks();
        assertEquals((double) distinct + 1, m.get("portcullis_edge_decisions_active"),
                "every network of the topic is held, the lifted one is not");

        // the replay joins no group at all: a fresh one waits for its join (and a classic one the broker's
        // group.initial.rebalance.delay.ms, 3 s by default; 0 on testkit's broker) before its first record
        try (Admin admin = fleet.kafka.admin()) {
            List<GroupListing> groups = admin.listGroups().all().get().stream()
                    .filter(g -> g.groupId().startsWith("portcullis-edge")).toList();
            assertTrue(groups.isEmpty(), groups.toString());
        }

        Reply banned = Smtp.greetAndQuit(edge, "127.89.1.77");
        assertEquals(554, banned.code(), banned.toString());
        Reply lifted = Smtp.greetAndQuit(edge, "127.89.2.2");
        assertEquals(220, lifted.code(), "its ban was lifted while the edge was down: " + lifted);

        String line = String.format(Locale.ROOT, "%d decisions (%d networks, %d already expired) replayed by a "
                        + "starting edge in %.0f ms (produced in %d ms; edge start to ready %d ms; JVM options %s)",
                DECISIONS + 3, distinct + 2, expired, replayMillis, produced, edge.app().lastStartDuration().toMillis(),
                jvm.isEmpty() ? "testkit's" : jvm);
        System.out.println(line);
        Files.writeString(Builds.target().resolve("decision-replay.txt"), line + "\n", StandardCharsets.UTF_8);
    }

    /** The distinct networks the loop above writes (a /24 is written again every 4096 loops, and 10 /32s share no key). */
    private static long countDistinctNetworks() {
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (int i = 0; i < DECISIONS; i++) {
            keys.add(i % 10 == 0 ? "172." + (16 + (i >> 16) % 16) + "." + ((i >> 8) & 0xff)
                    : "10." + i);
        }
        return keys.size();
    }

    private static Decision ban(String cidr, Instant expires) {
        return new Decision(Decision.SCHEMA, cidr, Decision.Action.BAN, List.of(), "jail:postfix", "e2e",
                Instant.now(), expires, "ban-e2e");
    }

    private static void send(KafkaProducer<String, byte[]> producer, Decision d) {
        producer.send(new ProducerRecord<>(Topics.DECISIONS, d.cidr(), DecisionCodec.encode(d)));
    }

    private KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.kafka.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262_144,
                ProducerConfig.ACKS_CONFIG, "1"), new StringSerializer(), new ByteArraySerializer());
    }

    private static final Pattern SAMPLE = Pattern.compile("^(portcullis_edge_decisions_\\w+)(?:\\{[^}]*})? (\\S+)$",
            Pattern.MULTILINE);

    private static Map<String, Double> metrics(QuarkusApp app) throws IOException {
        String body = app.get("/q/metrics").body();
        Map<String, Double> out = new java.util.HashMap<>();
        Matcher m = SAMPLE.matcher(body);
        while (m.find()) {
            out.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }
}
