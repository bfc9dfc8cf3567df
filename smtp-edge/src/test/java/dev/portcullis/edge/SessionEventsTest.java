package dev.portcullis.edge;

import dev.portcullis.events.EventCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.testkit.KafkaRecords;
import dev.portcullis.testkit.KafkaResource;
import dev.portcullis.testkit.SmtpTestClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every session is published to the real Kafka broker, keyed by client IP. */
@QuarkusTest
@WithTestResource(KafkaResource.class)
@WithTestResource(EdgeTestResource.class)
class SessionEventsTest {

    @Inject
    EdgeApplication edge;

    @Test
    void aSessionIsPublishedWithTheRightKeyKindsAndFields() throws Exception {
        String ip = "127.0.5.1";
        try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", edge.smtpPort(), ip, Duration.ofSeconds(10))) {
            c.readReply();
            c.command("EHLO events.example");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<user@ours.example>");
            c.command("RCPT TO:<victim@elsewhere.example>");
            c.command("BOGUS");
            c.command("QUIT");
        }
        List<KafkaRecords.Received> records = KafkaRecords.await(KafkaResource.bootstrapServers(), Topics.EVENTS,
                rs -> decoded(rs, ip).stream().anyMatch(e -> e instanceof SessionEvent.Disconnect),
                Duration.ofSeconds(30));
        List<SessionEvent> events = decoded(records, ip);
        List<String> kinds = events.stream().map(e -> e.getClass().getSimpleName()).toList();
        assertEquals(List.of("Connect", "Helo", "Mail", "Rcpt", "Reject", "Error", "Disconnect"), kinds);
        String session = events.get(0).meta().sessionId();
        assertTrue(events.stream().allMatch(e -> e.meta().sessionId().equals(session)
                && e.meta().edgeId().equals("edge-test") && e.meta().schema() == SessionEvent.SCHEMA));
        SessionEvent.Reject reject = (SessionEvent.Reject) events.get(4);
        assertEquals(454, reject.code());
        assertEquals("4.7.1", reject.enhancedCode());
        assertEquals("defer_unauth_destination", reject.check());
        assertEquals("victim@elsewhere.example", reject.recipient());
        assertEquals("events.example", ((SessionEvent.Helo) events.get(1)).heloName());
        SessionEvent.Disconnect bye = (SessionEvent.Disconnect) events.get(6);
        assertEquals("quit", bye.reason());
        assertEquals(2, bye.errors());
    }

    private static List<SessionEvent> decoded(List<KafkaRecords.Received> records, String ip) {
        List<SessionEvent> out = new ArrayList<>();
        for (KafkaRecords.Received r : records) {
            if (!ip.equals(r.key())) {
                continue;
            }
            try {
                SessionEvent e = EventCodec.decode(r.value().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                assertEquals(ip, e.meta().clientIp(), "key = client IP");
                out.add(e);
            } catch (dev.portcullis.events.UnreadableEventException ex) {
                throw new AssertionError("unreadable event " + r.value(), ex);
            }
        }
        return out;
    }
}
