package dev.portcullis.events;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecisionTableTest {

    static final Instant T = Instant.parse("2026-12-01T00:00:00Z");

    static Decision ban(String cidr, Instant expires, Integer... ports) {
        return new Decision(Decision.SCHEMA, cidr, Decision.Action.BAN, List.of(ports), "jail:postfix", "test", T,
                expires, "ban-0");
    }

    static Decision allow(String cidr) {
        return new Decision(Decision.SCHEMA, cidr, Decision.Action.ALLOW, List.of(), "manual:ops", "partner", T,
                null, "ban-0");
    }

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void mostSpecificBanDecidesAndAllowWins() throws Exception {
        DecisionTable t = new DecisionTable(100);
        t.put(ban("192.0.2.0/24", null));
        t.put(ban("192.0.2.7/32", T.plusSeconds(60)));
        assertEquals("192.0.2.7/32", t.lookup(ip("192.0.2.7"), 25, T).orElseThrow().cidr());
        assertEquals("192.0.2.0/24", t.lookup(ip("192.0.2.8"), 25, T).orElseThrow().cidr());
        assertTrue(t.lookup(ip("192.0.3.1"), 25, T).isEmpty());
        t.put(allow("192.0.0.0/16"));
        assertEquals(Decision.Action.ALLOW, t.lookup(ip("192.0.2.7"), 25, T).orElseThrow().action(),
                "an allow of a wider network still wins over a narrower ban");
        assertFalse(t.banned(ip("192.0.2.7"), 25, T));
    }

    @Test
    void expiredDecisionsStopDecidingBeforeTheirTombstone() throws Exception {
        DecisionTable t = new DecisionTable(100);
        t.put(ban("192.0.2.7/32", T.plusSeconds(60)));
        t.put(ban("192.0.2.0/24", T.plusSeconds(600)));
        assertEquals("192.0.2.7/32", t.lookup(ip("192.0.2.7"), 25, T.plusSeconds(59)).orElseThrow().cidr());
        assertEquals("192.0.2.0/24", t.lookup(ip("192.0.2.7"), 25, T.plusSeconds(60)).orElseThrow().cidr(),
                "the /32 has expired; the /24 still holds");
        assertTrue(t.lookup(ip("192.0.2.7"), 25, T.plusSeconds(600)).isEmpty());
        assertEquals(2, t.size());
        assertEquals(1, t.sweep(T.plusSeconds(60)));
        assertEquals(1, t.size());
        assertEquals(1, t.expired());
    }

    @Test
    void portsScopeABan() throws Exception {
        DecisionTable t = new DecisionTable(100);
        t.put(ban("198.51.100.0/24", null, 80, 443));
        assertTrue(t.banned(ip("198.51.100.1"), 80, T));
        assertFalse(t.banned(ip("198.51.100.1"), 25, T));
        t.put(ban("198.51.100.1/32", null));
        assertTrue(t.banned(ip("198.51.100.1"), 25, T));
    }

    @Test
    void exceptPortsBanLeavesItsPortsToMoreSpecificDecisions() throws Exception {
        DecisionTable t = new DecisionTable(100);
        t.put(new Decision(Decision.SCHEMA, "198.51.100.0/24", Decision.Action.BAN, List.of(), "blocklist:seeds",
                "all but web", T, null, "ban-0", List.of(80)));
        assertTrue(t.banned(ip("198.51.100.9"), 25, T));
        assertTrue(t.banned(ip("198.51.100.9"), 443, T));
        assertFalse(t.banned(ip("198.51.100.9"), 80, T), "port 80 is excepted");
        t.put(ban("198.51.100.1/32", null));
        assertEquals("198.51.100.1/32", t.lookup(ip("198.51.100.1"), 80, T).orElseThrow().cidr(),
                "a more specific all-ports ban covers the excepted port");
        assertEquals("198.51.100.1/32", t.lookup(ip("198.51.100.1"), 25, T).orElseThrow().cidr());
        assertTrue(t.lookup(ip("198.51.100.2"), 80, T).isEmpty());
        assertEquals("198.51.100.0/24", t.lookup(ip("198.51.100.2"), 25, T).orElseThrow().cidr());
    }

    @Test
    void replaceAndRemoveByCanonicalKey() throws Exception {
        DecisionTable t = new DecisionTable(100);
        assertEquals(DecisionTable.Change.ADDED, t.put(ban("2001:db8::/64", null)));
        assertEquals(DecisionTable.Change.REPLACED, t.put(ban("2001:0db8:0::/64", T.plusSeconds(5))));
        assertEquals(1, t.size());
        assertTrue(t.banned(ip("2001:db8::abcd"), 25, T));
        assertFalse(t.banned(ip("2001:db8:0:1::1"), 25, T));
        assertFalse(t.banned(ip("192.0.2.1"), 25, T), "other family never matches");
        assertTrue(t.remove("2001:db8:0:0::/64"));
        assertFalse(t.remove("2001:db8::/64"));
        assertFalse(t.remove("not a network"));
        assertFalse(t.banned(ip("2001:db8::abcd"), 25, T));
        assertTrue(t.get("2001:db8::/64").isEmpty());
    }

    @Test
    void everyPrefixLengthMatchesItsAddresses() throws Exception {
        DecisionTable t = new DecisionTable(1000);
        for (int len = 0; len <= 32; len++) {
            t.put(ban(Cidr.of(ip("203.0.113.77"), len).toString(), T.plusSeconds(33 - len)));
        }
        for (int len = 32; len >= 0; len--) {
            // longer prefixes expire sooner: at T+(32-len) every ban longer than /len has expired
            Decision d = t.lookup(ip("203.0.113.77"), 25, T.plusSeconds(32 - len)).orElseThrow();
            assertEquals(Cidr.of(ip("203.0.113.77"), len).toString(), d.cidr());
        }
        t.put(ban("::/0", null));
        assertTrue(t.banned(ip("2001:db8::1"), 25, T));
    }

    @Test
    void boundedAndCountsWhatDoesNotFit() throws Exception {
        MutableClock clock = new MutableClock(T);
        DecisionTable t = new DecisionTable(2, clock);
        t.put(ban("192.0.2.1/32", T.plusSeconds(1)));
        t.put(ban("192.0.2.2/32", null));
        assertEquals(DecisionTable.Change.OVERFLOWED, t.put(ban("192.0.2.3/32", null)));
        assertFalse(t.banned(ip("192.0.2.3"), 25, T));
        assertEquals(1, t.overflowed());
        assertEquals(DecisionTable.Change.REPLACED, t.put(ban("192.0.2.2/32", T.plusSeconds(9))),
                "a held network can always be replaced");
        clock.now = T.plusSeconds(1);
        assertEquals(DecisionTable.Change.ADDED, t.put(ban("192.0.2.3/32", null)), "the expired .1 made room");
        assertTrue(t.get("192.0.2.1/32").isEmpty());
        assertEquals(1, t.overflowed());
    }

    static final class MutableClock extends java.time.Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void refusesAnInvalidNetwork() {
        DecisionTable t = new DecisionTable(10);
        assertThrows(IllegalArgumentException.class, () -> t.put(ban("192.0.2.1/24", null)));
        assertEquals(0, t.size());
    }

    @Test
    void lookupsRunWhileAnotherThreadApplies() throws Exception {
        DecisionTable t = new DecisionTable(200_000);
        InetAddress probe = ip("10.1.2.3");
        t.put(ban("10.1.2.3/32", null));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < 50_000; i++) {
                    t.put(ban("172.16." + (i >> 8 & 0xff) + "." + (i & 0xff) + "/32", null));
                    if (i % 3 == 0) {
                        t.remove("172.16." + (i >> 8 & 0xff) + "." + (i & 0xff) + "/32");
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                done.countDown();
            }
        });
        writer.start();
        long lookups = 0;
        while (done.getCount() > 0) {
            assertTrue(t.banned(probe, 25, T));
            lookups++;
        }
        writer.join();
        assertNull(failure.get());
        assertTrue(lookups > 0);
        List<Decision> all = new ArrayList<>(t.snapshot());
        assertEquals(t.size(), all.size());
    }
}
