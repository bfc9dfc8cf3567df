package dev.portcullis.reputation.verdict;

import dev.portcullis.events.Verdict;
import dev.portcullis.reputation.config.ReputationSettings;
import dev.portcullis.reputation.counts.ClientState;
import dev.portcullis.reputation.counts.ClientStateCodec;
import dev.portcullis.reputation.counts.Counter;
import dev.portcullis.reputation.counts.WindowSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerdictRulesTest {

    static final List<WindowSpec> WINDOWS = List.of(WindowSpec.of(Duration.ofSeconds(60), Duration.ofSeconds(5)),
            WindowSpec.of(Duration.ofMinutes(10), Duration.ofMinutes(1)));
    static final ReputationSettings SETTINGS = new ReputationSettings("r", "c", WINDOWS, 24, 64,
            new ReputationSettings.Limits(3, 10, 5, 20), ReputationSettings.Limits.NONE, a -> false, 3, 6,
            Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofSeconds(30), 1000, 100_000);
    static final long T = 1_700_000_000_000L; // a multiple of 5 s

    final VerdictRules rules = new VerdictRules(SETTINGS);
    final ClientState s = new ClientStateCodec(WINDOWS).newState();

    void connections(long atMillis, int n) {
        s.window(0).add(WINDOWS.get(0).bucketOf(atMillis), Counter.CONNECTIONS, n);
    }

    @Test
    void theLimitThEventIsAllowedTheNextIsOver() {
        connections(T, 10);
        assertTrue(rules.forClient(s, false, T).isEmpty());
        connections(T, 1);
        List<Verdict.Entry> e = rules.forClient(s, false, T);
        assertEquals(1, e.size());
        assertEquals(Verdict.CONNECTION_RATE, e.get(0).limit());
        assertEquals(11, e.get(0).value());
        assertEquals(10, e.get(0).configured());
    }

    @Test
    void aRateVerdictLastsUntilEnoughBucketsHaveSlidOut() {
        connections(T - 30_000, 8);  // bucket b0
        connections(T, 4);           // bucket b0 + 6
        Verdict.Entry e = rules.forClient(s, false, T).get(0);
        // Back within 10 once the 8 of b0 leave the window: 60 s after b0 began.
        assertEquals(Instant.ofEpochMilli(T - 30_000 + 60_000), e.until());
        assertTrue(rules.forClient(s, false, T + 29_999).size() == 1);
        assertTrue(rules.forClient(s, false, T + 30_000).isEmpty());
    }

    @Test
    void exemptClientsGetNoAnvilVerdictButCarryErrors() {
        connections(T, 50);
        s.error(T);
        s.error(T);
        s.error(T);
        List<Verdict.Entry> e = rules.forClient(s, true, T);
        assertEquals(List.of(Verdict.CARRIED_ERRORS), e.stream().map(Verdict.Entry::limit).toList());
        assertEquals(Instant.ofEpochMilli(T + 600_000), e.get(0).until());
        assertTrue(rules.forClient(s, true, T + 600_000).isEmpty(), "forgotten after the error memory");
    }

    @Test
    void connectionCountIsAStateRenewedWhileSessionsStayOpen() {
        s.sessionOpened(1, T);
        s.sessionOpened(2, T);
        assertTrue(rules.forClient(s, false, T).isEmpty());
        s.sessionOpened(3, T);
        Verdict.Entry e = rules.forClient(s, false, T).get(0);
        assertEquals(Verdict.CONNECTION_COUNT, e.limit());
        assertEquals(Instant.ofEpochMilli(T + 30_000), e.until());
        assertEquals(Instant.ofEpochMilli(T + 40_000), rules.forClient(s, false, T + 10_000).get(0).until());
        s.sessionClosed(2);
        assertTrue(rules.forClient(s, false, T + 10_000).isEmpty());
    }

    @Test
    void changedIgnoresSmallMovesButNotStartsEndsOrTombstones() {
        Instant u = Instant.ofEpochMilli(T + 10_000);
        List<Verdict.Entry> a = List.of(new Verdict.Entry(Verdict.CONNECTION_RATE, 11, 10, u));
        assertTrue(VerdictRules.changed(List.of(), a, T));
        assertFalse(VerdictRules.changed(a, List.of(new Verdict.Entry(Verdict.CONNECTION_RATE, 12, 10,
                u.plusMillis(500))), T));
        assertTrue(VerdictRules.changed(a, List.of(new Verdict.Entry(Verdict.CONNECTION_RATE, 12, 10,
                u.plusMillis(5_000))), T));
        assertTrue(VerdictRules.changed(a, List.of(), T), "tombstone");
        assertTrue(VerdictRules.changed(a, List.of(), T + 20_000), "tombstone after expiry too, to clean the topic");
        assertFalse(VerdictRules.changed(List.of(), List.of(), T));
    }
}
