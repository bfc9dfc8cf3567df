package dev.portcullis.reputation.counts;

import dev.portcullis.events.EventMeta;
import dev.portcullis.events.SessionEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EventCountingTest {

    final EventCounting counting = new EventCounting(ClientStateCodecTest.WINDOWS);
    final ClientState s = new ClientStateCodec(ClientStateCodecTest.WINDOWS).newState();
    static final long T = 1_700_000_000_000L;

    static EventMeta meta(String edge, String session) {
        return new EventMeta(1, "id", Instant.ofEpochMilli(T), edge, session, "192.0.2.1");
    }

    long total(Counter c) {
        return s.window(1).sum(c, 0);
    }

    @Test
    void sessionsOpenAndClosePerEdgeAndSessionId() {
        counting.apply(s, new SessionEvent.Connect(meta("a", "1"), 1, "x"), T);
        counting.apply(s, new SessionEvent.Connect(meta("b", "1"), 1, "x"), T); // same id, other edge
        assertEquals(2, s.openSessions());
        counting.apply(s, new SessionEvent.Disconnect(meta("a", "1"), "quit", 1, 0, 0, Map.of()), T);
        assertEquals(1, s.openSessions());
        counting.prune(s, T + 3_600_001, 3_600_000); // edge b died without a DISCONNECT
        assertEquals(0, s.openSessions());
    }

    @Test
    void rejectsCountAsErrorsAndAsTheCommandTheyAnswered() {
        counting.apply(s, new SessionEvent.Reject(meta("a", "1"), "MAIL", 450, "4.7.1",
                "smtpd_client_message_rate_limit", "too much mail", "a@b", null), T);
        counting.apply(s, new SessionEvent.Reject(meta("a", "1"), "RCPT", 550, "5.1.1",
                "reject_unlisted_recipient", "User unknown", "a@b", "c@d"), T);
        counting.apply(s, new SessionEvent.Reject(meta("a", "1"), "END-OF-MESSAGE", 550, "5.7.1",
                "body_checks", "spam", "a@b", null), T);
        counting.apply(s, new SessionEvent.Reject(meta("a", "1"), "END-OF-MESSAGE", 451, "4.3.0",
                "next-hop", "try later", "a@b", null), T);
        assertEquals(4, total(Counter.ERRORS));
        assertEquals(4, total(Counter.REJECTS));
        assertEquals(1, total(Counter.MESSAGES));
        assertEquals(1, total(Counter.RECIPIENTS));
        assertEquals(1, total(Counter.UNKNOWN_RECIPIENTS));
        assertEquals(1, total(Counter.CONTENT_REJECTS)); // the 4xx from the next hop is not about content
        assertEquals(4, s.carriedErrors(T, 60_000));
        assertEquals(Map.of("450", 1L, "550", 2L, "451", 1L), s.window(1).breakdown(0).byCode());
    }

    @Test
    void aDeliveryClearsCarriedErrorsButNotTheWindowedCount() {
        counting.apply(s, new SessionEvent.Error(meta("a", "1"), "X", 500, "5.5.2", "x", 1), T);
        counting.apply(s, new SessionEvent.Error(meta("a", "1"), "X", 500, "5.5.2", "x", 2), T);
        counting.apply(s, new SessionEvent.Accepted(meta("a", "1"), "a@b", 1, 10, "250"), T);
        assertEquals(0, s.carriedErrors(T, 60_000));
        assertEquals(2, total(Counter.ERRORS));
        assertEquals(1, total(Counter.DELIVERED));
    }

    @Test
    void eventsCountInTheBucketOfTheirOwnTime() {
        counting.apply(s, new SessionEvent.Connect(meta("a", "1"), 1, "x"), T - 120_000);
        counting.apply(s, new SessionEvent.Connect(meta("a", "2"), 1, "x"), T);
        WindowSpec anvil = ClientStateCodecTest.WINDOWS.get(0);
        assertEquals(1, s.window(0).sum(Counter.CONNECTIONS, anvil.oldestBucketAt(T)));
        assertEquals(2, s.window(1).sum(Counter.CONNECTIONS, ClientStateCodecTest.WINDOWS.get(1).oldestBucketAt(T)));
    }
}
