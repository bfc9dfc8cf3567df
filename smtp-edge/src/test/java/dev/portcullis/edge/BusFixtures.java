package dev.portcullis.edge;

import dev.portcullis.events.EventCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.events.UnreadableEventException;
import dev.portcullis.testkit.KafkaBroker;
import dev.portcullis.testkit.KafkaRecords;
import dev.portcullis.testkit.KafkaResource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.TopicExistsException;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** What the edge's bus tests share: the test broker's admin, topics, the mail log, the events. */
final class BusFixtures {

    private BusFixtures() {
    }

    /** Creates a compacted topic of three partitions as the launcher does, unless it exists. */
    static void createCompactedTopic(String topic) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(KafkaBroker.newTopic(topic, 3, true))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    static Admin admin() {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaResource.bootstrapServers());
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return Admin.create(p);
    }

    static InetAddress literal(String ip) {
        if (!ip.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw new IllegalArgumentException("not a literal: " + ip);
        }
        try {
            return InetAddress.getByName(ip); // a literal: no DNS
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static void awaitLogLine(String needle) {
        Path log = EdgeTestResource.maillog();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!Files.exists(log)) {
                return false;
            }
            try (var lines = Files.lines(log)) {
                return lines.anyMatch(l -> l.contains(needle));
            }
        });
    }

    /** The first event for {@code ip} on portcullis.events that satisfies {@code which}. */
    static SessionEvent awaitEvent(String ip, java.util.function.Predicate<SessionEvent> which) {
        List<KafkaRecords.Received> records = KafkaRecords.await(KafkaResource.bootstrapServers(), Topics.EVENTS,
                rs -> decoded(rs, ip).stream().anyMatch(which), Duration.ofSeconds(30));
        SessionEvent found = decoded(records, ip).stream().filter(which).findFirst().orElse(null);
        assertNotNull(found);
        return found;
    }

    static List<SessionEvent> decoded(List<KafkaRecords.Received> records, String ip) {
        List<SessionEvent> out = new ArrayList<>();
        for (KafkaRecords.Received r : records) {
            if (ip.equals(r.key()) && r.value() != null) {
                try {
                    out.add(EventCodec.decode(r.value().getBytes(StandardCharsets.UTF_8)));
                } catch (UnreadableEventException e) {
                    throw new AssertionError("unreadable event " + r.value(), e);
                }
            }
        }
        return out;
    }
}
