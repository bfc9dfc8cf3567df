package dev.portcullis.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.events.EventCodec;
import dev.portcullis.events.EventMeta;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.testkit.QuarkusApp;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The reputation service crashes (SIGKILL: no shutdown, no offset commit) and comes back: the
 * counts it had are still there, the events it had counted but not yet committed are not
 * counted twice, and new events add to the old counts.
 *
 * <p>Real processes: a Kafka broker, a 2-node Infinispan cluster, the packaged
 * reputation-service. Events go in as an edge sends them (JSON {@link SessionEvent}s on
 * {@code portcullis.events}, key = client IP); counts come out of the REST API, in the 600 s
 * window (so nothing slides out while the test runs).
 *
 * <p>The service's consumer runs with {@code session.timeout.ms=6000} here (the broker's
 * minimum) instead of Kafka's 45 s, only so that the group forgets the killed instance quickly
 * and the restarted one gets its partitions without a long wait.
 */
class ReputationRestartIT {

    static final String MAIN_CF = """
            # e2e: the reputation service alone (no limit is crossed here)
            myhostname = mx.e2e.example
            mynetworks = 192.0.2.0/24
            smtpd_client_event_limit_exceptions =
            anvil_rate_time_unit = 60s
            """;
    static final String WINDOW = "600s";
    static final Duration BOUND = Duration.ofSeconds(60);
    static final String EDGE = "edge-e2e";

    Fleet fleet;
    QuarkusApp service;
    ReputationApi api;
    KafkaProducer<String, byte[]> producer;
    int sessions;

    @BeforeEach
    void start() {
        Builds.reputationService(); // fail before starting anything when the runner jar is missing or stale
        fleet = Fleet.start("reputation-restart", MAIN_CF);
        service = fleet.closing(fleet.reputationService("reputation-e2e")
                .systemProperty("portcullis.reputation.events.session.timeout.ms", "6000")
                .systemProperty("portcullis.reputation.events.heartbeat.interval.ms", "1000"))
                .start();
        api = new ReputationApi(service);
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.kafka.bootstrapServers());
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "0");
        producer = fleet.closing(new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer()));
    }

    @AfterEach
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    void countsSurviveACrash() {
        String busy = "127.77.0.1";
        String open = "127.77.0.2";
        // busy: 3 delivered sessions and one with 2 errors; open: a session that stays open
        for (int i = 0; i < 3; i++) {
            delivered(busy);
        }
        String errors = newSession();
        send(new SessionEvent.Connect(meta(errors, busy), 40000, "127.0.0.1:25"),
                new SessionEvent.Error(meta(errors, busy), "BOGUS", 502, "5.5.2", "Error: command not recognized", 1),
                new SessionEvent.Error(meta(errors, busy), "BOGUS", 502, "5.5.2", "Error: command not recognized", 2),
                new SessionEvent.Disconnect(meta(errors, busy), "quit", 30, 2, 0, Map.of()));
        String held = newSession();
        send(new SessionEvent.Connect(meta(held, open), 40001, "127.0.0.1:25"));

        Map<String, Long> expectBusy = Map.of("connections", 4L, "messages", 3L, "recipients", 3L, "delivered", 3L,
                "errors", 2L);
        awaitCounts(busy, expectBusy);
        await("open session of " + open).atMost(BOUND).until(() -> api.client(open).path("openSessions").asInt() == 1);
        JsonNode busyBefore = api.client(busy);
        JsonNode openBefore = api.client(open);
        long uncommitted = uncommittedEvents();

        // crash
        Integer exit = service.kill();
        assertEquals(137, exit, "SIGKILL");
        assertThrows(UncheckedIOException.class, () -> api.client(busy), "the service is gone");

        // back: the counts come from the grid at once
        service.start();
        System.out.printf(Locale.ROOT, "e2e: reputation-service killed with %d event(s) counted but not committed;"
                + " restarted in %d ms%n", uncommitted, service.lastStartDuration().toMillis());
        assertEquals(counts(busyBefore), counts(api.client(busy)), busy + " right after the restart");
        assertEquals(1, api.client(open).path("openSessions").asInt(), open + "'s session is still open");
        assertEquals(counts(openBefore), counts(api.client(open)));

        // once it has read (again) everything up to the end of the topic, nothing was counted twice
        await("the restarted service consumed every event").atMost(BOUND).pollInterval(Duration.ofMillis(200))
                .until(() -> uncommittedEvents() == 0);
        assertEquals(counts(busyBefore), counts(api.client(busy)), busy + " after the replay");
        assertEquals(1, api.client(open).path("openSessions").asInt());

        // new events continue the counts
        delivered(busy);
        delivered(busy);
        send(new SessionEvent.Disconnect(meta(held, open), "quit", 60_000, 0, 0, Map.of()));
        awaitCounts(busy, Map.of("connections", 6L, "messages", 5L, "recipients", 5L, "delivered", 5L, "errors", 2L));
        await("open session of " + open + " closed").atMost(BOUND)
                .until(() -> api.client(open).path("openSessions").asInt() == 0);
        assertFalse(service.log().contains("Exception in thread"), "no crash in the restarted service's log");
    }

    private void awaitCounts(String ip, Map<String, Long> expected) {
        await(ip + " counts " + expected).atMost(BOUND).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    JsonNode view = api.client(ip);
                    Map<String, Long> actual = new LinkedHashMap<>();
                    expected.keySet().forEach(k -> actual.put(k, ReputationApi.count(view, WINDOW, k)));
                    assertEquals(expected, actual, ip + " " + view);
                });
    }

    /** Every counter of every window, the open sessions and the carried errors. */
    private static Map<String, Object> counts(JsonNode view) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("openSessions", view.path("openSessions").asInt());
        out.put("carriedErrors", view.path("carriedErrors").asInt());
        view.path("windows").fields().forEachRemaining(w -> w.getValue().path("counts").fields().forEachRemaining(
                c -> out.put(w.getKey() + "." + c.getKey(), c.getValue().asLong())));
        return out;
    }

    /** Events on the topic past the group's committed offsets (all of them when nothing is committed). */
    private long uncommittedEvents() {
        try (Admin admin = fleet.kafka.admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("portcullis-reputation")
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            List<TopicPartition> partitions = admin.describeTopics(List.of(Topics.EVENTS)).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get(Topics.EVENTS).partitions().stream()
                    .map(p -> new TopicPartition(Topics.EVENTS, p.partition())).toList();
            Map<TopicPartition, Long> ends = admin.listOffsets(partitions.stream()
                            .collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
                    .all().get(10, TimeUnit.SECONDS).entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            long behind = 0;
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                behind += ends.get(tp) - (c == null ? 0 : c.offset());
            }
            return behind;
        } catch (Exception e) {
            throw new IllegalStateException("reading the consumer group's offsets failed", e);
        }
    }

    private void delivered(String ip) {
        String s = newSession();
        send(new SessionEvent.Connect(meta(s, ip), 40000, "127.0.0.1:25"),
                new SessionEvent.Helo(meta(s, ip), "client.e2e.example", true),
                new SessionEvent.Mail(meta(s, ip), "a@client.e2e.example", -1),
                new SessionEvent.Rcpt(meta(s, ip), "a@client.e2e.example", "b@example.com"),
                new SessionEvent.Accepted(meta(s, ip), "a@client.e2e.example", 1, 300, "250 2.0.0 Ok"),
                new SessionEvent.Disconnect(meta(s, ip), "quit", 20, 0, 1, Map.of()));
    }

    private String newSession() {
        return "E2E" + (++sessions);
    }

    private static EventMeta meta(String session, String ip) {
        return new EventMeta(SessionEvent.SCHEMA, UUID.randomUUID().toString(), Instant.now(), EDGE, session, ip);
    }

    /** Sends as an edge does: key = client IP, value = the event's JSON; waits for the broker's ack. */
    private void send(SessionEvent... events) {
        for (SessionEvent e : events) {
            try {
                producer.send(new ProducerRecord<>(Topics.EVENTS, e.meta().clientIp(), EventCodec.encode(e)))
                        .get(10, TimeUnit.SECONDS);
            } catch (Exception ex) {
                throw new IllegalStateException("sending " + e + " failed", ex);
            }
        }
    }
}
