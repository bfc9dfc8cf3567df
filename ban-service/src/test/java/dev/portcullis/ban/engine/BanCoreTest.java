package dev.portcullis.ban.engine;

import dev.portcullis.ban.Events;
import dev.portcullis.ban.MutableClock;
import dev.portcullis.ban.config.BlocklistSpec;
import dev.portcullis.ban.config.IniFile;
import dev.portcullis.ban.config.JailSpec;
import dev.portcullis.ban.config.JailsConfig;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The deciding, with a hand-moved clock and in-memory sinks (no Kafka, no grid: those are in BanServiceTest). */
class BanCoreTest {

    static final Instant T0 = Instant.parse("2026-12-01T08:00:00Z");

    final MutableClock clock = new MutableClock(T0);
    final List<DecisionBook.Change> published = new ArrayList<>();
    final Map<String, BanHistory> histories = new HashMap<>();
    final BanCore.HistoryStore store = new BanCore.HistoryStore() {
        @Override
        public BanHistory load(String ip) {
            return histories.getOrDefault(ip, BanHistory.empty());
        }

        @Override
        public void save(String ip, BanHistory h, Duration maxAge) {
            histories.put(ip, h);
        }
    };

    BanCore core(String jails, int networkThreshold, long maxTracked) {
        List<JailSpec> specs = JailsConfig.read(IniFile.parse("test.conf", jails), List.of()).jails();
        return new BanCore(clock, new BanCore.Settings("ban-test", 10_000, maxTracked, networkThreshold, 24, 64,
                Duration.ofDays(30)), specs, published::add, store, () -> 0.5);
    }

    BanCore shipped() {
        List<JailSpec> specs = JailsConfig.read(IniFile.read(Path.of("../config/jails.conf")), List.of()).jails();
        return new BanCore(clock, new BanCore.Settings("ban-test", 10_000, 1000, 0, 24, 64, Duration.ofDays(30)),
                specs, published::add, store, () -> 0.5);
    }

    Decision last(String cidr) {
        for (int i = published.size() - 1; i >= 0; i--) {
            if (published.get(i).cidr().equals(cidr)) {
                return published.get(i).decision();
            }
        }
        throw new AssertionError("nothing published for " + cidr + ": " + published);
    }

    long count(String cidr) {
        return published.stream().filter(c -> c.cidr().equals(cidr)).count();
    }

    @Test
    void classicPostfixJailBansOnTheThirdRejectWithinFindtime() {
        BanCore core = shipped();
        core.event(Events.relayDenied("203.0.113.9", clock.instant()));
        clock.advance(Duration.ofMinutes(4));
        core.event(Events.reject("203.0.113.9", clock.instant(), 450, "4.7.1", "reject_unknown_client_hostname"));
        assertTrue(published.isEmpty());
        clock.advance(Duration.ofMinutes(4));
        core.event(Events.reject("203.0.113.9", clock.instant(), 550, "5.1.1", "next-hop"));
        Decision d = last("203.0.113.9/32");
        assertEquals(Decision.Action.BAN, d.action());
        assertEquals("jail:postfix", d.origin());
        assertEquals(List.of(25, 465, 587), d.ports());
        assertEquals(clock.instant().plus(Duration.ofDays(1)), d.expires());
        assertTrue(d.reason().startsWith("3 failures within 10m"), d.reason());
    }

    @Test
    void failuresOutsideFindtimeDoNotAddUp() {
        BanCore core = shipped();
        for (int i = 0; i < 6; i++) {
            core.event(Events.relayDenied("203.0.113.10", clock.instant()));
            clock.advance(Duration.ofMinutes(6)); // two within any 10 minutes, never three
        }
        assertTrue(published.isEmpty(), published.toString());
        // an event stamped long ago (a lagging consumer) is stale, not a failure
        core.event(Events.relayDenied("203.0.113.11", clock.instant().minus(Duration.ofHours(1))));
        assertEquals(1, core.jail("postfix").orElseThrow().staleCount());
    }

    @Test
    void repeatOffenderGetsFail2bansIncrementAndTheLiveDecisionIsExtendedNotDuplicated() {
        BanCore core = shipped();
        String ip = "203.0.113.20";
        for (int ban = 0; ban < 3; ban++) {
            for (int i = 0; i < 3; i++) {
                core.event(Events.relayDenied(ip, clock.instant()));
            }
            Decision d = last(ip + "/32");
            // bantime 1d, formula 1d * 2^count: 1d, 2d, 4d
            assertEquals(clock.instant().plus(Duration.ofDays(1L << ban)), d.expires(), "ban " + ban);
            assertEquals(T0, d.created(), "a repeat keeps the first creation time");
            clock.advance(Duration.ofHours(1));
        }
        assertEquals(1, core.book().decisions().size(), "one decision per network, whatever the repeats");
        assertEquals(3, count(ip + "/32"));
        assertEquals(3, histories.get(ip + "/32").count("postfix"));
        // capped by bantime.maxtime (5w)
        for (int ban = 3; ban < 8; ban++) {
            for (int i = 0; i < 3; i++) {
                core.event(Events.relayDenied(ip, clock.instant()));
            }
        }
        assertEquals(clock.instant().plus(Duration.ofDays(35)), last(ip + "/32").expires());
    }

    @Test
    void banTimesFollowFail2bansFormulas() {
        JailSpec base = JailsConfig.read(IniFile.parse("t", "[j]\nenabled=true\nmatch=reject\nbantime=10m\n"
                + "bantime.increment=true\n"), List.of()).jails().get(0);
        assertEquals(Duration.ofMinutes(10), BanTimes.of(base, 0, () -> 0));
        assertEquals(Duration.ofMinutes(20), BanTimes.of(base, 1, () -> 0));
        assertEquals(Duration.ofMinutes(80), BanTimes.of(base, 3, () -> 0));
        assertEquals(Duration.ofMinutes(10L << 20), BanTimes.of(base, 25, () -> 0), "2^count stops growing at 20");
        JailSpec mult = JailsConfig.read(IniFile.parse("t", "[j]\nenabled=true\nmatch=reject\nbantime=1m\n"
                + "bantime.increment=true\nbantime.multipliers=1 5 30 60\nbantime.factor=2\n"), List.of()).jails().get(0);
        assertEquals(Duration.ofMinutes(1), BanTimes.of(mult, 0, () -> 0), "a first ban is bantime");
        assertEquals(Duration.ofMinutes(10), BanTimes.of(mult, 1, () -> 0));
        assertEquals(Duration.ofMinutes(120), BanTimes.of(mult, 3, () -> 0));
        assertEquals(Duration.ofMinutes(120), BanTimes.of(mult, 9, () -> 0), "past the list: the last multiplier");
        JailSpec exp = JailsConfig.read(IniFile.parse("t", "[j]\nenabled=true\nmatch=reject\nbantime=100\n"
                + "bantime.increment=true\nbantime.formula=ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)\n"
                + "bantime.rndtime=10\nbantime.maxtime=1000\n"), List.of()).jails().get(0);
        assertEquals((long) (100 * Math.E + 5), BanTimes.of(exp, 1, () -> 0.5).toSeconds(), "100 * e^2 / e^1 + 0.5 * 10");
        assertEquals(1000 + 5, BanTimes.of(exp, 5, () -> 0.5).toSeconds(), "maxtime, then rndtime");
        JailSpec permanent = JailsConfig.read(IniFile.parse("t", "[j]\nenabled=true\nmatch=reject\nbantime=-1\n"
                + "bantime.increment=true\n"), List.of()).jails().get(0);
        assertNull(BanTimes.of(permanent, 3, () -> 0));
    }

    @Test
    void recidiveBansFromEveryPortAfterFiveBansInADay() {
        BanCore core = shipped();
        String ip = "203.0.113.30";
        for (int ban = 0; ban < 5; ban++) {
            for (int i = 0; i < 3; i++) {
                core.event(Events.relayDenied(ip, clock.instant()));
            }
            clock.advance(Duration.ofHours(2));
        }
        Decision d = last(ip + "/32");
        assertEquals(List.of(), d.ports(), "recidive bans every port: " + d);
        Decision recidive = core.book().claims(ip + "/32").get("jail:recidive");
        assertEquals(clock.instant().minus(Duration.ofHours(2)).plus(Duration.ofDays(7)), recidive.expires());
        assertEquals(1, core.book().decisions().size());
        assertEquals(2, core.book().claims(ip + "/32").size(), "the postfix and the recidive claim");
        assertEquals(1, core.jail("recidive").orElseThrow().banCount());
    }

    @Test
    void recidiveJailsThatCountEachOtherStopAfterOneRound() {
        BanCore core = core("""
                [a]
                enabled = true
                match = error
                maxretry = 1
                [r1]
                enabled = true
                match = ban
                maxretry = 1
                [r2]
                enabled = true
                match = ban
                maxretry = 1
                """, 0, 100);
        core.event(Events.error("192.0.2.40", clock.instant(), "BOGUS"));
        assertEquals(1, core.jail("r1").orElseThrow().banCount());
        assertEquals(1, core.jail("r2").orElseThrow().banCount());
    }

    @Test
    void ignoreipAndAllowDecisionsAreNeverBanned() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\nmaxretry=1\nignoreip=192.0.2.0/24 2001:db8::/32\n", 0, 100);
        core.event(Events.relayDenied("192.0.2.50", clock.instant()));
        core.event(Events.relayDenied("2001:db8::5", clock.instant()));
        assertTrue(published.isEmpty());
        assertEquals(2, core.jail("j").orElseThrow().ignoredCount());
        core.manual(new BanCore.ManualRequest(Cidr.parse("198.51.100.0/24"), Decision.Action.ALLOW, Duration.ofSeconds(-1),
                List.of(), "partner", "ops", null));
        core.event(Events.relayDenied("198.51.100.9", clock.instant()));
        assertEquals(1, published.size(), "only the allow itself");
        assertEquals(3, core.jail("j").orElseThrow().ignoredCount());
        core.event(Events.relayDenied("::ffff:198.51.100.10", clock.instant()));
        assertEquals(4, core.jail("j").orElseThrow().ignoredCount(), "an IPv4-mapped client is its IPv4 address");
    }

    @Test
    void allowWinsOverABanOnTheSameNetwork() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\nmaxretry=1\n", 0, 100);
        core.event(Events.relayDenied("198.51.100.77", clock.instant()));
        assertEquals(Decision.Action.BAN, last("198.51.100.77/32").action());
        core.manual(new BanCore.ManualRequest(Cidr.parse("198.51.100.77"), Decision.Action.ALLOW, Duration.ofHours(1),
                List.of(), "false positive", "ops", null));
        assertEquals(Decision.Action.ALLOW, last("198.51.100.77/32").action());
        core.unban(Cidr.parse("198.51.100.77"), Decision.Action.ALLOW);
        assertEquals(Decision.Action.BAN, last("198.51.100.77/32").action(), "the jail's ban is back in force");
    }

    @Test
    void networkIsBannedWhenEnoughOfItsAddressesAre() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\nmaxretry=1\nbantime=1h\n", 3, 100);
        core.event(Events.relayDenied("192.0.2.1", clock.instant()));
        clock.advance(Duration.ofMinutes(1));
        core.event(Events.relayDenied("192.0.2.2", clock.instant()));
        assertEquals(0, published.stream().filter(c -> c.cidr().equals("192.0.2.0/24")).count());
        clock.advance(Duration.ofMinutes(1));
        core.event(Events.relayDenied("192.0.2.3", clock.instant()));
        Decision net = last("192.0.2.0/24");
        assertEquals(BanCore.NETWORK_ORIGIN, net.origin());
        assertEquals(clock.instant().plus(Duration.ofHours(1)), net.expires(), "as long as the last host ban");
        assertEquals(3, core.hostsBannedIn("192.0.2.0/24"));
        core.event(Events.relayDenied("2001:db8:1:2::1", clock.instant()));
        core.event(Events.relayDenied("2001:db8:1:2::2", clock.instant()));
        core.event(Events.relayDenied("2001:db8:1:2:ffff::3", clock.instant()));
        assertEquals(BanCore.NETWORK_ORIGIN, last("2001:db8:1:2::/64").origin());
    }

    @Test
    void expiryLiftsWithATombstone() {
        BanCore core = core("[j]\nenabled=true\nmatch=limit\nmaxretry=1\nbantime=30s\n", 0, 100);
        core.event(Events.limit("192.0.2.60", clock.instant(), "smtpd_client_connection_rate_limit"));
        assertNotNull(last("192.0.2.60/32"));
        clock.advance(Duration.ofSeconds(29));
        assertEquals(0, core.sweep());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(1, core.sweep());
        assertNull(last("192.0.2.60/32"), "a tombstone");
        assertTrue(core.book().decisions().isEmpty());
    }

    @Test
    void aShorterClaimExpiringNarrowsTheDecisionInsteadOfLiftingIt() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\nmaxretry=1\nbantime=1m\nport=smtp\n", 0, 100);
        core.manual(new BanCore.ManualRequest(Cidr.parse("192.0.2.61"), Decision.Action.BAN, Duration.ofHours(1),
                List.of(80), "web abuse", "ops", null));
        core.event(Events.relayDenied("192.0.2.61", clock.instant()));
        assertEquals(List.of(25, 80), last("192.0.2.61/32").ports());
        clock.advance(Duration.ofMinutes(2));
        core.sweep();
        assertEquals(List.of(80), last("192.0.2.61/32").ports());
        assertEquals("manual:ops", last("192.0.2.61/32").origin());
    }

    @Test
    void trackingIsBoundedAndEvictionsAreCounted() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\nmaxretry=5\n", 0, 100);
        for (int i = 0; i < 5000; i++) {
            core.event(Events.relayDenied("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), clock.instant()));
        }
        Jail j = core.jail("j").orElseThrow();
        assertTrue(j.tracked() <= 100, "tracked " + j.tracked());
        assertTrue(j.evictedCount() >= 4900 - 100, "evicted " + j.evictedCount());
        assertEquals(5000, j.matchedCount());
    }

    @Test
    void unreadableClientAddressesAreCountedNotBanned() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\nmaxretry=1\n", 0, 100);
        for (String bad : List.of("unknown", "192.0.2.0/24", "999.1.1.1", "", "x".repeat(100))) {
            core.event(Events.relayDenied(bad, clock.instant()));
        }
        assertEquals(5, core.unreadableAddresses());
        assertTrue(published.isEmpty());
    }

    @Test
    void manualBansUnbansAndJailBansOverTheApiPath() {
        BanCore core = shipped();
        Decision claim = core.manual(new BanCore.ManualRequest(Cidr.parse("198.51.100.0/24"), Decision.Action.BAN,
                Duration.ofDays(2), List.of(), "spam run", "alice", null));
        assertEquals("manual:alice", claim.origin());
        assertEquals(T0.plus(Duration.ofDays(2)), last("198.51.100.0/24").expires());
        Decision viaJail = core.manual(new BanCore.ManualRequest(Cidr.parse("198.51.100.99"), Decision.Action.BAN, null,
                List.of(), "seen in logs", "alice", "postfix"));
        assertEquals("jail:postfix", viaJail.origin());
        assertEquals(T0.plus(Duration.ofDays(1)), viaJail.expires(), "the jail's bantime");
        assertEquals(List.of(25, 465, 587), viaJail.ports());
        assertThrows(IllegalArgumentException.class, () -> core.manual(new BanCore.ManualRequest(
                Cidr.parse("198.51.100.98"), Decision.Action.BAN, null, List.of(), "x", "alice", "nosuch")));
        assertEquals(1, core.unban(Cidr.parse("198.51.100.0/24"), null).size());
        assertNull(last("198.51.100.0/24"));
        assertTrue(core.unban(Cidr.parse("198.51.100.0/24"), null).isEmpty(), "nothing left to lift");
    }

    @Test
    void blocklistReloadAddsAndLiftsOnlyTheDifference() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\n", 0, 100);
        BlocklistSpec spec = new BlocklistSpec("drop", BlocklistSpec.Type.CIDR, Path.of("x"), Set.of(),
                Decision.Action.BAN, List.of(), "listed", 1);
        BanCore.ListChange first = core.blocklist(spec, List.of(Cidr.parse("192.0.2.0/25"), Cidr.parse("198.51.100.0/24")));
        assertEquals(2, first.added());
        published.clear();
        BanCore.ListChange second = core.blocklist(spec, List.of(Cidr.parse("198.51.100.0/24"), Cidr.parse("203.0.113.0/24")));
        assertEquals(new BanCore.ListChange(2, 1, 1, 1), second);
        assertEquals(2, published.size(), "one new decision and one tombstone, nothing republished");
        assertNull(last("192.0.2.0/25"));
        assertThrows(BanCore.ListedException.class, () -> core.unban(Cidr.parse("203.0.113.0/24"), null));
    }

    @Test
    void exceptPortsBlocklistAndManualBansMergeWithoutUncoveringAPort() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\n", 0, 100);
        BlocklistSpec web = new BlocklistSpec("web", BlocklistSpec.Type.CIDR, Path.of("x"), Set.of(),
                Decision.Action.BAN, List.of(), "all but the web site", 1, List.of(80, 443));
        core.blocklist(web, List.of(Cidr.parse("198.51.100.0/24")));
        Decision d = last("198.51.100.0/24");
        assertEquals(List.of(), d.ports());
        assertEquals(List.of(80, 443), d.exceptPorts());
        core.manual(new BanCore.ManualRequest(Cidr.parse("198.51.100.0/24"), Decision.Action.BAN, Duration.ofHours(1),
                List.of(443, 25), "https abuse", "alice", null));
        assertEquals(List.of(80), last("198.51.100.0/24").exceptPorts(), "the manual ban on 443 fills that hole");
        core.manual(new BanCore.ManualRequest(Cidr.parse("198.51.100.0/24"), Decision.Action.BAN, Duration.ofHours(1),
                List.of(), "everything", "bob", null, List.of(80)));
        assertEquals(List.of(80), last("198.51.100.0/24").exceptPorts());
        core.manual(new BanCore.ManualRequest(Cidr.parse("198.51.100.0/24"), Decision.Action.BAN, Duration.ofHours(1),
                List.of(), "everything", "carol", null));
        Decision all = last("198.51.100.0/24");
        assertTrue(all.ports().isEmpty() && all.exceptPorts().isEmpty(), "an every-port claim makes it every port");
        assertEquals(3, core.unban(Cidr.parse("198.51.100.0/24"), null).size());
        assertEquals(List.of(80, 443), last("198.51.100.0/24").exceptPorts(), "back to the list's own scope");
    }

    @Test
    void restoreDropsWhatExpiredWhileDownAndFixesTheTopic() {
        BanCore core = core("[j]\nenabled=true\nmatch=reject\n", 0, 100);
        Decision live = new Decision(1, "192.0.2.70/32", Decision.Action.BAN, List.of(), "jail:j", "r", T0.minusSeconds(60),
                T0.plusSeconds(600), "old");
        Decision gone = new Decision(1, "192.0.2.71/32", Decision.Action.BAN, List.of(), "jail:j", "r", T0.minusSeconds(600),
                T0.minusSeconds(1), "old");
        List<DecisionBook.Change> fixes = core.restore(List.of(live, gone), Map.of("192.0.2.71/32", gone));
        assertEquals(1, core.expiredOnRestore());
        assertEquals(1, core.book().decisions().size());
        // the live one is republished under this issuer, the expired one gets its tombstone
        assertTrue(fixes.contains(new DecisionBook.Change("192.0.2.71/32", null)), fixes.toString());
        assertEquals(2, fixes.size());
    }

    @Test
    void refusalsOfBannedClientsAreEnforcementNotNewOffences() {
        BanCore core = shipped();
        for (int i = 0; i < 10; i++) {
            // what smtp-edge publishes when it refuses a banned client at connect: 554 5.7.1, check portcullis_ban
            core.event(new dev.portcullis.events.SessionEvent.Reject(Events.meta("203.0.113.40", clock.instant()),
                    "CONNECT", 554, "5.7.1", BanCore.ENFORCEMENT_CHECK, "jail:postfix", null, null));
        }
        assertTrue(published.isEmpty(), published.toString());
        assertEquals(10, core.enforcements());
        assertEquals(0, core.jail("postfix").orElseThrow().matchedCount());
    }

    @Test
    void anEventStampedInTheFutureCountsAsNowAndCannotStretchTheWindow() {
        BanCore core = shipped();
        core.event(Events.relayDenied("203.0.113.41", clock.instant().plus(Duration.ofDays(1))));
        clock.advance(Duration.ofMinutes(11));
        core.event(Events.relayDenied("203.0.113.41", clock.instant()));
        core.event(Events.relayDenied("203.0.113.41", clock.instant()));
        assertTrue(published.isEmpty(), "the future-stamped failure counted at its arrival, 11 minutes ago");
        core.event(Events.relayDenied("203.0.113.41", clock.instant()));
        assertEquals(Decision.Action.BAN, last("203.0.113.41/32").action());
    }

    @Test
    void networksPastMaxDecisionsAreRefusedAndCounted() {
        List<JailSpec> specs = JailsConfig.read(IniFile.parse("t", "[j]\nenabled=true\nmatch=reject\nmaxretry=1\n"),
                List.of()).jails();
        BanCore core = new BanCore(clock, new BanCore.Settings("ban-test", 10, 100, 0, 24, 64, Duration.ofDays(30)),
                specs, published::add, store, () -> 0.5);
        for (int i = 0; i < 25; i++) {
            core.event(Events.relayDenied("192.0.2." + i, clock.instant()));
        }
        assertEquals(10, core.book().decisions().size());
        assertEquals(15, core.book().refused());
        // lifting and replacing held networks still works when full
        core.unban(Cidr.parse("192.0.2.0"), null);
        assertEquals(9, core.book().decisions().size());
    }

    @Test
    void banHistoryIsBoundedAndSurvivesJunk() {
        BanHistory h = BanHistory.empty();
        for (int i = 0; i < 200; i++) {
            h = h.with(i % 2 == 0 ? "postfix" : "recidive", i);
        }
        assertEquals(BanHistory.MAX, h.entries().size());
        assertEquals(199, h.entries().get(BanHistory.MAX - 1).atMillis());
        BanHistory back = BanHistory.decode(h.encode());
        assertEquals(h.entries(), back.entries());
        assertEquals(1, BanHistory.decode("12 postfix\nnot a line\nx y\n\n".getBytes()).entries().size());
        assertEquals(0, BanHistory.decode(null).entries().size());
    }
}
