package dev.portcullis.agent;

import dev.portcullis.events.BusReader;
import dev.portcullis.agent.nft.Netns;
import dev.portcullis.agent.nft.NftCommand;
import dev.portcullis.agent.nft.NftScript;
import dev.portcullis.agent.nft.NftSync;
import dev.portcullis.agent.policy.PolicyClient;
import dev.portcullis.agent.policy.PolicyResponder;
import dev.portcullis.agent.policy.PolicyServer;
import dev.portcullis.postfix.NetworkList;
import dev.portcullis.postfix.Origin;
import dev.portcullis.testkit.KafkaBroker;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.portcullis.agent.TestDecisions.ban;
import static dev.portcullis.agent.TestDecisions.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmarks, run by hand (never in CI, never asserting a time):
 * {@code ./mvnw -B -o verify -pl enforcement-agent -Dtest=AgentBench -Dportcullis.bench=true}.
 * Each prints one result line; the README records them. They check what they measured
 * (element counts in the kernel, replies) so a fast wrong answer does not count.
 */
@EnabledIfSystemProperty(named = "portcullis.bench", matches = "true")
class AgentBench {

    static final int N = 100_000;

    @Test
    void hundredThousandDecisionsIntoNftables() {
        assumeTrue(Netns.available());
        try (Netns ns = Netns.create()) {
            LiveSet live = new LiveSet(Clock.systemUTC(), 2 * N, 1000);
            Instant expires = Instant.now().plusSeconds(86_400);
            for (int i = 0; i < N; i++) {
                // mostly /32s with a few hundred /24s and v6 /64s, as a jail plus blocklists would give
                String cidr = i % 200 == 0 ? "172." + (16 + i / 65536 % 16) + "." + (i / 256 % 256) + ".0/24"
                        : i % 201 == 0 ? "2001:db8:" + Integer.toHexString(i) + "::/64"
                        : "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255) + "/32";
                publish(live, ban(cidr, i % 2 == 0 ? expires : null));
            }
            int held = live.decisions().size();
            NftSync sync = new NftSync(live, new NftScript("portcullis", "input", -10, "drop"),
                    new NftCommand(ns.nftCommand(), Duration.ofSeconds(120)), Duration.ofMillis(50), 50_000);
            live.addListener(sync);
            sync.start();
            long t0 = System.nanoTime();
            live.replayed();
            await(sync::isSynced, Duration.ofSeconds(120));
            long fullMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(held, sync.elements());
            assertEquals(held, ns.elementCount("portcullis"), "every decision is an element in the kernel");

            // 10,000 changes while running: new bans, renewals, lifts
            long t1 = System.nanoTime();
            for (int i = 0; i < 10_000; i++) {
                if (i % 3 == 0) {
                    TestDecisions.lift(live, "10.0." + ((i >> 8) & 255) + "." + (i & 255) + "/32");
                } else {
                    publish(live, ban("10.9." + ((i >> 8) & 255) + "." + (i & 255) + "/32", expires));
                }
            }
            await(() -> sync.pending() == 0 && sync.elements() == live.decisions().size(), Duration.ofSeconds(120));
            long incMs = (System.nanoTime() - t1) / 1_000_000;
            sync.close();
            assertEquals(live.decisions().size(), ns.elementCount("portcullis"));
            System.out.printf("BENCH nft: full sync of %d decisions %d ms; 10000 changes while running %d ms in %d"
                    + " batches (last nft run %d ms); failures %d%n", held, fullMs, incMs, sync.batches(),
                    sync.lastApply().toMillis(), sync.failures());
            assertEquals(0, sync.failures());
        }
    }

    @Test
    void hundredThousandDecisionsFromKafkaToNftables() {
        assumeTrue(Netns.available());
        KafkaBroker kafka = KafkaBroker.shared();
        String topic = "bench-decisions-" + UUID.randomUUID();
        kafka.createTopic(topic, 3, true);
        Instant expires = Instant.now().plusSeconds(86_400);
        try (DecisionProducer p = new DecisionProducer(kafka.bootstrapServers(), topic)) {
            for (int i = 0; i < N; i++) {
                p.send(ban("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255) + "/32", expires));
            }
            p.flush();
        }
        try (Netns ns = Netns.create()) {
            LiveSet live = new LiveSet(Clock.systemUTC(), 2 * N, 1000);
            NftSync sync = new NftSync(live, new NftScript("portcullis", "input", -10, "drop"),
                    new NftCommand(ns.nftCommand(), Duration.ofSeconds(120)), Duration.ofMillis(50), 50_000);
            live.addListener(sync);
            sync.start();
            long t0 = System.nanoTime();
            try (BusReader reader = new BusReader("bench", Map.of("bootstrap.servers", kafka.bootstrapServers()),
                    live.subscriptions(topic, null))) {
                reader.start();
                await(() -> reader.isReplayed(topic), Duration.ofSeconds(120));
                long replayMs = (System.nanoTime() - t0) / 1_000_000;
                await(sync::isSynced, Duration.ofSeconds(120));
                long totalMs = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf("BENCH kafka->nft: %d decisions replayed from the broker in %d ms, in the kernel"
                        + " after %d ms (nft run %d ms)%n", N, replayMs, totalMs, sync.lastApply().toMillis());
                assertEquals(N, sync.elements());
            } finally {
                sync.close();
            }
        }
    }

    @Test
    void policyRequestsPerSecondOnOneConnection() throws Exception {
        Vertx vertx = Vertx.vertx();
        LiveSet live = new LiveSet(Clock.systemUTC(), 2 * N, 1000);
        for (int i = 0; i < N; i++) {
            publish(live, ban("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255) + "/32", null));
        }
        PolicyResponder responder = new PolicyResponder(live, 25, "554 5.7.1 blocked", "DUNNO", "DUNNO",
                "450 4.7.1 a", "450 4.7.1 b", "450 4.7.1 c");
        PolicyServer server = new PolicyServer(vertx, "127.0.0.1", 0, NetworkList.parse("c", "127.0.0.0/8",
                Origin.of("b")), 10, 4096, 65536, 256, Duration.ofSeconds(60), responder);
        int port = server.start();
        int requests = 50_000;
        try (PolicyClient c = new PolicyClient(port)) {
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                batch.append(PolicyClient.request("10.0." + (i % 250) + "." + (i % 200)));
            }
            String text = batch.toString();
            long t0 = System.nanoTime();
            int banned = 0;
            for (int round = 0; round < requests / 1000; round++) {
                c.send(text);
                for (int i = 0; i < 1000; i++) {
                    banned += c.reply().startsWith("action=554") ? 1 : 0;
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("BENCH policy: %d Postfix-sized requests on one connection (1000 pipelined) in %d ms:"
                    + " %d requests/s, with %d decisions held%n", requests, ms, requests * 1000L / Math.max(1, ms), N);
            assertEquals(requests, banned);
        } finally {
            server.close();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static void await(BooleanSupplier c, Duration d) {
        long deadline = System.nanoTime() + d.toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + d);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
