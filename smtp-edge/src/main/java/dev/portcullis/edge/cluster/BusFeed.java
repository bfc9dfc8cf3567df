package dev.portcullis.edge.cluster;

import dev.portcullis.events.BusReader;
import dev.portcullis.events.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.ClientProxy;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Feeds {@code portcullis.decisions} to {@link DecisionConsumer} and {@code portcullis.verdicts}
 * to {@link VerdictConsumer} through one events {@link BusReader}: a plain consumer on a daemon
 * thread of its own that assigns every partition and reads it from the beginning, in no
 * consumer group (the enforcement agent reads the bus the same way).
 *
 * <p>Why no group: a fresh group waits for its join (and, on a classic group, the broker's
 * {@code group.initial.rebalance.delay.ms}) before its first record, which was most of a
 * start-up replay; and a group that commits nothing goes back to the earliest offset after a
 * rebalance (a broker restart), so new verdicts waited behind a replay of the whole topic. The
 * reader has neither: it keeps its positions across a broker outage.
 *
 * <p>Started by the first {@link StartupEvent} observer of the edge, before the SMTP port is
 * bound, so the replay overlaps the rest of the start. Readiness ({@link #settled()}) waits for
 * the replay of the decisions, up to {@code portcullis.decisions.startup-wait}: an edge that took
 * traffic before it knew the bans would let banned clients in, but one that cannot reach the bus
 * must still serve. A decisions topic that does not exist has nothing to wait for.
 *
 * <p>The broker settings are Quarkus' {@code kafka.*} (the {@code default-kafka-broker} map), so
 * security settings (SASL, TLS) apply here as to the event producer.
 */
@ApplicationScoped
public class BusFeed {

    private static final Logger LOG = Logger.getLogger(BusFeed.class);

    @Inject
    DecisionConsumer decisions;
    @Inject
    VerdictConsumer verdicts;
    @Inject
    MeterRegistry registry;
    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    @ConfigProperty(name = "portcullis.decisions.startup-wait", defaultValue = "10s")
    Duration startupWait;

    private volatile BusReader reader;
    private volatile long startNanos;
    private volatile boolean gaveUp;

    void start(@Observes @Priority(1) StartupEvent ev) {
        if (startupWait.isNegative()) {
            throw new IllegalStateException("portcullis.decisions.startup-wait must not be negative, not "
                    + startupWait);
        }
        startNanos = System.nanoTime();
        // The beans themselves, not their client proxies: a proxy looks its bean up in the
        // application context on every call, and the replay makes 100,000 of them.
        DecisionConsumer decisionsBean = ClientProxy.unwrap(decisions);
        VerdictConsumer verdictsBean = ClientProxy.unwrap(verdicts);
        BusReader r = new BusReader("portcullis-edge", kafka, List.of(
                new BusReader.Subscription(Topics.DECISIONS, decisionsBean::consume, null),
                new BusReader.Subscription(Topics.VERDICTS, verdictsBean::consume, null)));
        Gauge.builder("portcullis.edge.decisions.replay.millis", this, BusFeed::replayMillis)
                .description("how long the start-up replay of portcullis.decisions took (-1 while it runs)")
                .register(registry);
        reader = r;
        r.start();
    }

    void stop(@Observes ShutdownEvent ev) {
        BusReader r = reader;
        if (r != null) {
            r.close();
        }
    }

    /**
     * Whether readiness may stop waiting for the decisions: replayed, or there is no such topic
     * (nothing to know), or the bound has passed (then the edge serves on what it has, and says
     * so once in the log).
     */
    public boolean settled() {
        BusReader r = reader;
        if (r == null) {
            return false;
        }
        BusReader.Replay replay = r.replay(Topics.DECISIONS);
        if (replay == BusReader.Replay.REPLAYED || replay == BusReader.Replay.NO_TOPIC) {
            return true;
        }
        if (System.nanoTime() - startNanos < startupWait.toNanos()) {
            return false;
        }
        if (!gaveUp) {
            gaveUp = true;
            LOG.warnf("%s not replayed within %d ms (%s): serving with the %d decisions read so far; bans"
                    + " arriving later apply as they come", Topics.DECISIONS, startupWait.toMillis(), r.state(),
                    decisions.read());
        }
        return true;
    }

    /** Whether everything {@code portcullis.decisions} held at start has been applied. */
    public boolean decisionsReplayed() {
        BusReader r = reader;
        return r != null && r.isReplayed(Topics.DECISIONS);
    }

    /** Milliseconds from the edge's start (this feed's) to the end of the decisions replay, or -1. */
    public long replayMillis() {
        BusReader r = reader;
        return r == null ? -1 : r.replayMillis(Topics.DECISIONS);
    }

    /** What the reader is doing (starting, replaying, following, waiting for the broker). */
    public String state() {
        BusReader r = reader;
        return r == null ? "not started" : r.state();
    }
}
