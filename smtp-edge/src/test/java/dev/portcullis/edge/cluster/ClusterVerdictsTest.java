package dev.portcullis.edge.cluster;

import dev.portcullis.events.Verdict;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The verdict table on a clock moved by hand: containment, expiry, tombstones, the bound. */
class ClusterVerdictsTest {

    private static final String RATE = Verdict.CONNECTION_RATE;

    /** A clock the test moves. */
    static final class FakeClock extends Clock {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final FakeClock clock = new FakeClock();

    private Verdict verdict(String subject, String limit, long value, Duration left) {
        return new Verdict(Verdict.SCHEMA, subject, clock.now, "rep-1",
                List.of(new Verdict.Entry(limit, value, 30, clock.now.plus(left))));
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no DNS
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void anIpVerdictAppliesToThatIpOnly() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 100);
        assertNull(t.find(ip("192.0.2.7"), RATE), "empty table");
        t.apply("192.0.2.7", verdict("192.0.2.7", RATE, 31, Duration.ofMinutes(1)));
        ClusterVerdicts.Match m = t.find(ip("192.0.2.7"), RATE);
        assertNotNull(m);
        assertEquals("192.0.2.7", m.subject());
        assertEquals(31, m.entry().value());
        assertNull(t.find(ip("192.0.2.8"), RATE), "a neighbour is not affected");
        assertNull(t.find(ip("192.0.2.7"), Verdict.MESSAGE_RATE), "only the limit the verdict names");
    }

    @Test
    void aNetworkVerdictAppliesToEveryAddressItContains() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 100);
        t.apply("198.51.100.0/24", verdict("198.51.100.0/24", RATE, 500, Duration.ofMinutes(1)));
        assertEquals("198.51.100.0/24", t.find(ip("198.51.100.0"), RATE).subject());
        assertEquals("198.51.100.0/24", t.find(ip("198.51.100.255"), RATE).subject());
        assertNull(t.find(ip("198.51.101.1"), RATE));
        assertNull(t.find(ip("198.51.99.255"), RATE));
        // Host bits under the prefix are ignored, as a network is meant.
        t.apply("203.0.113.77/16", verdict("203.0.113.77/16", RATE, 1, Duration.ofMinutes(1)));
        assertNotNull(t.find(ip("203.0.1.2"), RATE));
        // /0 contains everything of its family, and nothing of the other.
        t.apply("0.0.0.0/0", verdict("0.0.0.0/0", Verdict.RECIPIENT_RATE, 1, Duration.ofMinutes(1)));
        assertNotNull(t.find(ip("8.8.8.8"), Verdict.RECIPIENT_RATE));
        assertNull(t.find(ip("2001:db8::1"), Verdict.RECIPIENT_RATE));
    }

    @Test
    void theMostSpecificSubjectAnswersFirst() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 100);
        t.apply("192.0.2.0/24", verdict("192.0.2.0/24", RATE, 100, Duration.ofMinutes(1)));
        t.apply("192.0.0.0/16", verdict("192.0.0.0/16", RATE, 1000, Duration.ofMinutes(1)));
        t.apply("192.0.2.9", verdict("192.0.2.9", RATE, 9, Duration.ofMinutes(1)));
        assertEquals("192.0.2.9", t.find(ip("192.0.2.9"), RATE).subject());
        assertEquals("192.0.2.0/24", t.find(ip("192.0.2.10"), RATE).subject());
        assertEquals("192.0.0.0/16", t.find(ip("192.0.3.10"), RATE).subject());
    }

    @Test
    void ipv6SubjectsMatchByPrefixAcrossBothHalves() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 100);
        t.apply("2001:db8:1:2::/64", verdict("2001:db8:1:2::/64", RATE, 5, Duration.ofMinutes(1)));
        t.apply("2001:db8:ffff::/120", verdict("2001:db8:ffff::/120", RATE, 6, Duration.ofMinutes(1)));
        t.apply("2001:db8::1", verdict("2001:db8::1", RATE, 7, Duration.ofMinutes(1)));
        assertEquals(5, t.find(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), RATE).entry().value());
        assertNull(t.find(ip("2001:db8:1:3::1"), RATE));
        assertEquals(6, t.find(ip("2001:db8:ffff::ff"), RATE).entry().value());
        assertNull(t.find(ip("2001:db8:ffff::1:0"), RATE));
        // The key may be written in any RFC 4291 form; the client's address is in Java's.
        assertEquals(7, t.find(ip("2001:0db8:0:0:0:0:0:1"), RATE).entry().value());
        // An IPv4-mapped subject is the IPv4 address (Java hands such clients over as IPv4).
        t.apply("::ffff:192.0.2.44", verdict("::ffff:192.0.2.44", RATE, 8, Duration.ofMinutes(1)));
        assertEquals(8, t.find(ip("192.0.2.44"), RATE).entry().value());
    }

    @Test
    void anEntryAppliesOnlyUntilItsOwnExpiryTombstoneOrNot() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 100);
        Instant now = clock.now;
        t.apply("192.0.2.7", new Verdict(Verdict.SCHEMA, "192.0.2.7", now, "rep-1", List.of(
                new Verdict.Entry(RATE, 31, 30, now.plusSeconds(60)),
                new Verdict.Entry(Verdict.CARRIED_ERRORS, 12, 3, now.plusSeconds(600)))));
        assertNotNull(t.find(ip("192.0.2.7"), RATE));
        clock.advance(Duration.ofSeconds(59));
        assertNotNull(t.find(ip("192.0.2.7"), RATE));
        clock.advance(Duration.ofSeconds(1));
        assertNull(t.find(ip("192.0.2.7"), RATE), "now == until: over");
        assertNotNull(t.find(ip("192.0.2.7"), Verdict.CARRIED_ERRORS), "the other entry runs on");
        assertEquals(0, t.sweep(), "a subject with a live entry is kept");
        clock.advance(Duration.ofSeconds(540));
        assertNull(t.find(ip("192.0.2.7"), Verdict.CARRIED_ERRORS));
        assertEquals(1, t.size(), "still held until swept");
        assertEquals(1, t.sweep());
        assertEquals(0, t.size());
        assertEquals(1, t.expired());
    }

    @Test
    void aVerdictAlreadyPastIsNotStored() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 100);
        assertEquals(ClusterVerdicts.Outcome.REMOVED,
                t.apply("192.0.2.7", verdict("192.0.2.7", RATE, 31, Duration.ofSeconds(-1))));
        assertEquals(0, t.size());
        assertNull(t.find(ip("192.0.2.7"), RATE));
    }

    @Test
    void aTombstoneLiftsTheSubjectAndALaterRecordReplacesIt() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 100);
        t.apply("192.0.2.0/24", verdict("192.0.2.0/24", RATE, 31, Duration.ofMinutes(1)));
        t.apply("192.0.2.0/24", verdict("192.0.2.0/24", Verdict.MESSAGE_RATE, 99, Duration.ofMinutes(1)));
        assertNull(t.find(ip("192.0.2.1"), RATE), "replaced, not merged");
        assertEquals(99, t.find(ip("192.0.2.1"), Verdict.MESSAGE_RATE).entry().value());
        assertEquals(ClusterVerdicts.Outcome.REMOVED, t.apply("192.0.2.0/24", null));
        assertNull(t.find(ip("192.0.2.1"), Verdict.MESSAGE_RATE));
        assertEquals(0, t.size());
        // A tombstone for something never seen is harmless.
        assertEquals(ClusterVerdicts.Outcome.REMOVED, t.apply("203.0.113.5", null));
        // After the last /24 went, lookups skip that prefix length altogether; a new one works.
        t.apply("192.0.2.128/25", verdict("192.0.2.128/25", RATE, 1, Duration.ofMinutes(1)));
        assertNotNull(t.find(ip("192.0.2.200"), RATE));
        assertNull(t.find(ip("192.0.2.100"), RATE));
    }

    @Test
    void subjectsThatAreNotAddressesAreRefused() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 100);
        for (String bad : List.of("", "example.com", "localhost", "192.0.2.0/33", "2001:db8::/129", "192.0.2.0/",
                "192.0.2.0/-1", "192.0.2.1-9", "192.0.2.*", "1.2.3", "fe80::1%eth0", "192.0.2.0/24/8",
                "x".repeat(100))) {
            assertThrows(IllegalArgumentException.class, () -> t.apply(bad, null), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> t.apply(null, null));
    }

    @Test
    void theTableIsBoundedAndEvictsWhatExpiresSoonestCountingIt() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 10);
        for (int i = 0; i < 10; i++) {
            // 192.0.2.i expires after (i + 1) minutes
            t.apply("192.0.2." + i, verdict("192.0.2." + i, RATE, i, Duration.ofMinutes(i + 1)));
        }
        assertEquals(10, t.size());
        t.apply("192.0.2.100", verdict("192.0.2.100", RATE, 100, Duration.ofMinutes(30)));
        // Full and nothing expired: the soonest to expire go, down to 90 % of the cap, then the new one.
        assertEquals(10, t.size());
        assertEquals(1, t.evicted());
        assertNull(t.find(ip("192.0.2.0"), RATE), "the one that would have expired first");
        assertNotNull(t.find(ip("192.0.2.1"), RATE));
        assertNotNull(t.find(ip("192.0.2.100"), RATE));
        // Replacing a subject that is held needs no room.
        t.apply("192.0.2.5", verdict("192.0.2.5", RATE, 55, Duration.ofMinutes(30)));
        assertEquals(1, t.evicted());
        // With expired subjects around, sweeping makes the room and nothing live is evicted.
        clock.advance(Duration.ofMinutes(5).plusSeconds(1)); // .1 .2 .3 .4 are over
        t.apply("192.0.2.101", verdict("192.0.2.101", RATE, 101, Duration.ofMinutes(30)));
        assertEquals(1, t.evicted());
        assertEquals(4, t.expired());
        assertEquals(7, t.size());
        assertThrows(IllegalArgumentException.class, () -> new ClusterVerdicts(clock, 0));
    }

    @Test
    void aFloodOfSubjectsNeverGrowsPastTheCap() {
        ClusterVerdicts t = new ClusterVerdicts(clock, 1000);
        for (int i = 0; i < 20_000; i++) {
            String s = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
            t.apply(s, verdict(s, RATE, 1, Duration.ofMinutes(10).plusSeconds(i)));
        }
        assertEquals(true, t.size() <= 1000, "size " + t.size());
        assertEquals(20_000 - t.size(), t.evicted());
        assertNotNull(t.find(ip("10.0.78.31"), RATE), "the last one in (expiring last) is held");
    }
}
