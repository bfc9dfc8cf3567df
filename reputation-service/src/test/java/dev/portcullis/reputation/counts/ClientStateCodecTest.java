package dev.portcullis.reputation.counts;

import dev.portcullis.events.Verdict;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientStateCodecTest {

    static final List<WindowSpec> WINDOWS = List.of(WindowSpec.of(Duration.ofSeconds(60), Duration.ofSeconds(5)),
            WindowSpec.of(Duration.ofMinutes(10), Duration.ofMinutes(1)));

    @Test
    void everythingRoundTrips() {
        ClientStateCodec codec = new ClientStateCodec(WINDOWS);
        ClientState s = codec.newState();
        s.claim(41);
        s.seen(1_700_000_000_000L);
        s.error(1_700_000_000_500L);
        s.error(1_700_000_000_600L);
        s.sessionOpened(-5L, 1_700_000_000_000L);
        s.sessionOpened(Long.MAX_VALUE, 1_700_000_000_100L);
        s.window(0).add(340_000_000, Counter.CONNECTIONS, 3);
        s.window(0).add(340_000_001, Counter.TARPIT_MILLIS, 123_456_789L);
        s.window(1).addReject(28_333_333, "reject_rbl_client", 554);
        s.verdict(List.of(new Verdict.Entry(Verdict.CONNECTION_RATE, 31, 30, Instant.ofEpochMilli(1_700_000_060_000L))));

        ClientState back = codec.decode(codec.encode(s));
        assertEquals(41, back.lastOffset());
        assertEquals(1_700_000_000_000L, back.lastSeenMillis());
        assertEquals(2, back.carriedErrors(1_700_000_001_000L, 60_000));
        assertEquals(2, back.openSessions());
        assertEquals(3, back.window(0).sum(Counter.CONNECTIONS, 0));
        assertEquals(123_456_789L, back.window(0).sum(Counter.TARPIT_MILLIS, 0));
        assertEquals(1, back.window(1).breakdown(0).byCheck().get("reject_rbl_client"));
        assertEquals(s.verdict(), back.verdict());
    }

    @Test
    void aWindowWhoseConfigurationChangedIsDroppedNotMisread() {
        ClientState s = new ClientStateCodec(WINDOWS).newState();
        s.window(0).add(1, Counter.CONNECTIONS, 7);
        s.window(1).add(1, Counter.CONNECTIONS, 9);
        byte[] stored = new ClientStateCodec(WINDOWS).encode(s);
        ClientStateCodec changed = new ClientStateCodec(List.of(WindowSpec.of(Duration.ofSeconds(60), Duration.ofSeconds(10)),
                WINDOWS.get(1)));
        ClientState back = changed.decode(stored);
        assertEquals(0, back.window(0).sum(Counter.CONNECTIONS, 0));
        assertEquals(9, back.window(1).sum(Counter.CONNECTIONS, 0));
    }

    @Test
    void garbageAndUnknownVersionsGiveAFreshState() {
        ClientStateCodec codec = new ClientStateCodec(WINDOWS);
        assertTrue(codec.decode(new byte[]{1, (byte) 0xff, (byte) 0xff}).isIdle());
        assertTrue(codec.decode(new byte[]{99, 1, 2, 3}).isIdle());
        assertTrue(codec.decode(null).isIdle());
    }
}
