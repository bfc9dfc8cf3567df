package dev.portcullis.agent.nft;

import dev.portcullis.agent.LiveSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

import static dev.portcullis.agent.TestDecisions.allBut;
import static dev.portcullis.agent.TestDecisions.allow;
import static dev.portcullis.agent.TestDecisions.ban;
import static dev.portcullis.agent.TestDecisions.lift;
import static dev.portcullis.agent.TestDecisions.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The nftables enforcer for real: the agent's table in a network namespace made for the
 * test, real TCP connections from another namespace. "Dropped" means the client's connect
 * times out (the SYN never got an answer); "through" means the connection was established.
 */
class NftSyncNetnsTest {

    private static final int SMTP = 25;
    private static final int HTTP = 80;
    private static final int DROP_WAIT_MS = 1500;
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private Netns ns;
    private LiveSet live;
    private NftSync sync;

    @BeforeEach
    void setUp() {
        assumeTrue(Netns.available(), "needs root, ip, nft and python3");
        ns = Netns.create();
        ns.listen(SMTP, HTTP);
        live = new LiveSet(Clock.systemUTC(), 1000, 1000);
    }

    @AfterEach
    void tearDown() {
        if (sync != null) {
            sync.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    private void startAgent() {
        sync = new NftSync(live, new NftScript("portcullis", "input", -10, "drop"),
                new NftCommand(ns.nftCommand(), Duration.ofSeconds(60)), Duration.ofMillis(100), 50_000);
        live.addListener(sync);
        sync.start();
    }

    private void replay() {
        live.replayed();
        await(() -> sync.isSynced(), "first full sync");
    }

    @Test
    void bannedSourceIsDroppedOthersGetThroughAndLiftingLetsItBackIn() {
        startAgent();
        assertTrue(ns.connects(ns.v4(2), SMTP, 5000), "nothing banned yet");
        replay();
        publish(live, ban(ns.v4(2) + "/32", null));
        awaitDropped(ns.v4(2), SMTP);
        assertFalse(ns.connects(ns.v4(2), HTTP, DROP_WAIT_MS), "an all-ports ban drops every port");
        assertTrue(ns.connects(ns.v4(3), SMTP, 5000), "an address not banned gets through");

        lift(live, ns.v4(2) + "/32");
        awaitThrough(ns.v4(2), SMTP);
        assertTrue(sync.batches() >= 2, "changes went as incremental batches, not full syncs");
        assertEquals(1, sync.fullSyncs());
    }

    @Test
    void portScopedBanDropsOnlyItsPortsAndAllowWinsInsideABannedNetwork() {
        startAgent();
        replay();
        publish(live, ban(ns.v4Net(), null, SMTP));          // the /24 banned from SMTP only
        publish(live, allow(ns.v4(4) + "/32", null));          // .4 is an exception
        awaitDropped(ns.v4(2), SMTP);
        assertTrue(ns.connects(ns.v4(2), HTTP, 5000), "port 80 is outside the ban's scope");
        assertTrue(ns.connects(ns.v4(4), SMTP, 5000), "an allow covering the address wins over the network ban");
        String table = ns.nft("list", "table", "inet", "portcullis");
        assertTrue(table.contains("tcp dport 25 ip saddr & 255.255.255.0 == @ban4_s1_24 drop"), table);
        assertTrue(table.contains("ip saddr @allow4_32 return"), table);
    }

    @Test
    void everyPortButBanLeavesOnlyItsPortsOpenAndDropsOtherProtocols() {
        ns.listenUdp(5353);
        startAgent();
        replay();
        assertTrue(ns.udpEchoes(ns.v4(2), 5353, 5000), "UDP gets through before the ban");
        publish(live, allBut(ns.v4Net(), null, HTTP));                // "drop everything but port 80"
        awaitDropped(ns.v4(2), SMTP);
        assertTrue(ns.connects(ns.v4(2), HTTP, 5000), "the excepted port stays reachable");
        assertFalse(ns.udpEchoes(ns.v4(2), 5353, DROP_WAIT_MS), "everything but TCP port 80 is dropped, UDP too");
        publish(live, ban(ns.v4(3) + "/32", null));                   // a more specific all-ports ban
        awaitDropped(ns.v4(3), HTTP);
        assertTrue(ns.connects(ns.v4(2), HTTP, 5000));
        String table = ns.nft("list", "table", "inet", "portcullis");
        assertTrue(table.contains("tcp dport != 80 ip saddr & 255.255.255.0 == @ban4_s1_24 drop"), table);
        assertTrue(table.contains("meta l4proto != tcp ip saddr & 255.255.255.0 == @ban4_s1_24 drop"), table);
        assertEquals(0, sync.failures(), String.valueOf(sync.lastError()));
    }

    @Test
    void networkAndHostBansInsideItKeepTheirOwnExpiry() {
        startAgent();
        replay();
        Instant soon = Instant.now().plusSeconds(4);
        publish(live, ban(ns.v4Net(), soon));                    // the /24 for 4 s
        publish(live, ban(ns.v4(2) + "/32", null));              // .2 for good (inside the /24: no overlap error)
        awaitDropped(ns.v4(3), SMTP);
        assertFalse(ns.connects(ns.v4(2), SMTP, DROP_WAIT_MS));
        // the kernel expires the /24 by its element timeout; the /32 stays
        awaitThrough(ns.v4(3), SMTP);
        assertFalse(ns.connects(ns.v4(2), SMTP, DROP_WAIT_MS), "the host ban outlives the network ban");
        assertEquals(0, sync.failures(), String.valueOf(sync.lastError()));
    }

    @Test
    void ipv6BansAreEnforced() {
        startAgent();
        replay();
        publish(live, ban(ns.v6(2) + "/128", Instant.now().plusSeconds(3600)));
        awaitDropped(ns.v6(2), SMTP);
        assertTrue(ns.connects(ns.v6(3), SMTP, 5000));
    }

    @Test
    void fullSyncAtStartReplacesWhatAnEarlierRunLeftAndWaitsForTheReplay() {
        // an earlier run left a ban on .3 that was lifted while the agent was away
        ns.nftScript("table inet portcullis {\n set ban4_32 { type ipv4_addr; flags timeout; elements = { "
                + ns.v4(3) + " }; }\n chain input { type filter hook input priority -10; policy accept;"
                + " ip saddr @ban4_32 drop; }\n}\n");
        assertFalse(ns.connects(ns.v4(3), SMTP, DROP_WAIT_MS), "the stale table enforces until the agent replaces it");
        startAgent();
        publish(live, ban(ns.v4(3) + "/32", null));
        lift(live, ns.v4(3) + "/32");                           // lifted before the replay ended
        publish(live, ban(ns.v4(2) + "/32", null));
        assertFalse(sync.isSynced(), "nothing applied before the replay is complete");
        assertTrue(ns.connects(ns.v4(2), SMTP, 5000));
        replay();
        awaitDropped(ns.v4(2), SMTP);
        assertTrue(ns.connects(ns.v4(3), SMTP, 5000));
    }

    @Test
    void aTableChangedBehindTheAgentsBackIsRepairedByAFullSync() {
        startAgent();
        replay();
        publish(live, ban(ns.v4(2) + "/32", null));
        awaitDropped(ns.v4(2), SMTP);
        ns.nft("delete", "table", "inet", "portcullis");       // an operator's mistake
        assertTrue(ns.connects(ns.v4(2), SMTP, 5000));
        publish(live, ban(ns.v4(3) + "/32", null));             // the next batch fails: no such table
        await(() -> sync.failures() >= 1, "the failed batch is counted");
        await(() -> sync.fullSyncs() >= 2, "a full sync follows");
        awaitDropped(ns.v4(2), SMTP);
        awaitDropped(ns.v4(3), SMTP);
    }

    @Test
    void aRenewedBanGetsItsNewTimeout() {
        startAgent();
        replay();
        Instant first = Instant.now().plusSeconds(8);
        publish(live, ban(ns.v4(2) + "/32", first));
        awaitDropped(ns.v4(2), SMTP);
        publish(live, ban(ns.v4(2) + "/32", Instant.now().plusSeconds(3600)));  // a repeat offence extends it
        await(() -> sync.pending() == 0 && ns.nft("list", "set", "inet", "portcullis", "ban4_32")
                        .matches("(?s).*timeout (1h|59m).*"),
                "element timeout renewed");
        sleep(Math.max(0, Duration.between(Instant.now(), first).toMillis() + 1000));
        assertFalse(ns.connects(ns.v4(2), SMTP, DROP_WAIT_MS), "still banned after the first expiry");
    }

    private void awaitDropped(String source, int port) {
        await(() -> !ns.connects(source, port, DROP_WAIT_MS), source + " dropped on port " + port);
    }

    private void awaitThrough(String source, int port) {
        await(() -> ns.connects(source, port, 3000), source + " through on port " + port);
    }

    private void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + SETTLE + ": " + what + "; nft error: " + sync.lastError()
                        + "\n" + ns.nft("list", "ruleset"));
            }
            sleep(100);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
