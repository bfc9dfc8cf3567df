package dev.portcullis.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventCodecTest {

    private static final EventMeta META = new EventMeta(SessionEvent.SCHEMA, "e1",
            Instant.parse("2026-11-22T03:00:00Z"), "edge-a", "s1", "192.0.2.7");

    @Test
    void everyKindRoundTrips() throws Exception {
        SessionEvent[] all = {
                new SessionEvent.Connect(META, 40000, "127.0.0.1:25"),
                new SessionEvent.Helo(META, "mx.example", true),
                new SessionEvent.Mail(META, "a@example.org", 1234),
                new SessionEvent.Rcpt(META, "a@example.org", "b@example.com"),
                new SessionEvent.Data(META, 2),
                new SessionEvent.Accepted(META, "a@example.org", 2, 4096, "250 2.0.0 Ok: queued as X"),
                new SessionEvent.Reject(META, "RCPT", 554, "5.7.1", "reject_unauth_destination",
                        "Relay access denied", "a@example.org", "x@elsewhere.example"),
                new SessionEvent.Error(META, "BOGUS", 500, "5.5.2", "Error: command not recognized", 3),
                new SessionEvent.Tarpit(META, 1000, 11),
                new SessionEvent.Limit(META, "smtpd_client_connection_rate_limit", 31, 30),
                new SessionEvent.Disconnect(META, "quit", 1500, 2, 1, Map.of("ehlo.ok", 1, "ehlo.all", 1)),
        };
        for (SessionEvent event : all) {
            assertEquals(event, EventCodec.decode(EventCodec.encode(event)));
        }
    }

    @Test
    void jsonNamesTheKindAndTheKeyFields() {
        String json = new String(EventCodec.encode(new SessionEvent.Tarpit(META, 1000, 11)), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"kind\":\"TARPIT\""), json);
        assertTrue(json.contains("\"clientIp\":\"192.0.2.7\""), json);
        assertTrue(json.contains("\"time\":\"2026-11-22T03:00:00Z\""), json);
    }

    @Test
    void unknownFieldsFromANewerProducerAreIgnored() throws Exception {
        String json = "{\"kind\":\"DATA\",\"recipients\":3,\"shiny\":true,\"meta\":{\"schema\":1,\"id\":\"x\","
                + "\"time\":\"2026-11-22T03:00:00Z\",\"edgeId\":\"e\",\"sessionId\":\"s\",\"clientIp\":\"::1\"}}";
        SessionEvent event = EventCodec.decode(json.getBytes(StandardCharsets.UTF_8));
        assertEquals(3, ((SessionEvent.Data) event).recipients());
    }

    @Test
    void unreadableRecordsAreReportedNotThrownAsRuntimeErrors() {
        String meta = "\"meta\":{\"schema\":1,\"id\":\"x\",\"time\":\"2026-11-22T03:00:00Z\",\"edgeId\":\"e\","
                + "\"sessionId\":\"s\",\"clientIp\":\"::1\"}";
        String[] bad = {
                "not json",
                "{}",
                "{\"kind\":\"NO_SUCH_KIND\"," + meta + "}",
                "{\"kind\":\"DATA\",\"meta\":{\"schema\":99,\"id\":\"x\"}}",
                "{\"kind\":\"DATA\",\"meta\":{\"schema\":1}}",
        };
        for (String b : bad) {
            assertThrows(UnreadableEventException.class, () -> EventCodec.decode(b.getBytes(StandardCharsets.UTF_8)), b);
        }
        assertThrows(UnreadableEventException.class, () -> EventCodec.decode(null));
    }
}
