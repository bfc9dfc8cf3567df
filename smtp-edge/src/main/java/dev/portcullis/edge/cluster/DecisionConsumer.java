package dev.portcullis.edge.cluster;

import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import dev.portcullis.events.DecisionTable;
import dev.portcullis.events.Topics;
import dev.portcullis.events.UnreadableEventException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads {@code portcullis.decisions} (channel {@code decisions}: bans and allows published by
 * the ban-service) into this edge's {@link DecisionTable}, which the SMTP listener consults
 * for every new connection before anything else.
 *
 * <p>As {@link VerdictConsumer}: every start replays every partition from the beginning in a
 * consumer group of its own that commits nothing (the compacted topic is the durable record
 * of every live decision, so a restarted edge knows every ban, and a ban lifted while it was
 * down is simply absent from the replay); a tombstone lifts; an unreadable record is skipped
 * and counted; the channel never stops and has no health check of its own. Unlike verdicts,
 * readiness waits for this replay ({@link #settled()}), up to
 * {@code portcullis.decisions.startup-wait}: an edge that took traffic before it knew the
 * bans would let banned clients in, but one that cannot reach the bus must still serve.
 */
@ApplicationScoped
public class DecisionConsumer {

    private static final Logger LOG = Logger.getLogger(DecisionConsumer.class);

    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "portcullis.decisions.max-entries", defaultValue = "2000000")
    int maxEntries;
    @ConfigProperty(name = "portcullis.decisions.sweep-interval", defaultValue = "30s")
    Duration sweepInterval;
    @ConfigProperty(name = "portcullis.decisions.startup-wait", defaultValue = "10s")
    Duration startupWait;
    @ConfigProperty(name = "kafka.bootstrap.servers", defaultValue = "127.0.0.1:9092")
    String bootstrapServers;

    private final Clock clock = Clock.systemUTC();
    private DecisionTable table;
    private ReplayProgress replay;
    private Background background;
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong lifted = new AtomicLong();
    private final SkippedRecords skipped = new SkippedRecords(LOG, "decision");

    @PostConstruct
    void init() {
        table = new DecisionTable(maxEntries, clock);
        replay = new ReplayProgress(Topics.DECISIONS, startupWait, System::nanoTime);
        Gauge.builder("portcullis.edge.decisions.active", table, DecisionTable::size)
                .description("ban and allow decisions (networks) this edge holds").register(registry);
        FunctionCounter.builder("portcullis.edge.decisions.read", read, AtomicLong::get)
                .description("decision records read from the bus, tombstones and unreadable ones included")
                .register(registry);
        FunctionCounter.builder("portcullis.edge.decisions.unreadable", skipped, SkippedRecords::count)
                .description("decision records skipped because they could not be read").register(registry);
        FunctionCounter.builder("portcullis.edge.decisions.overflowed", table, DecisionTable::overflowed)
                .description("decisions not held because portcullis.decisions.max-entries was reached")
                .register(registry);
        FunctionCounter.builder("portcullis.edge.decisions.expired", table, DecisionTable::expired)
                .description("decisions swept after their expiry").register(registry);
        Gauge.builder("portcullis.edge.decisions.replay.millis", replay, ReplayProgress::replayMillis)
                .description("how long the start-up replay of portcullis.decisions took (-1 while it runs)")
                .register(registry);
    }

    void start(@Observes StartupEvent ev) {
        if (startupWait.isNegative()) {
            throw new IllegalStateException("portcullis.decisions.startup-wait must not be negative, not "
                    + startupWait);
        }
        background = Background.sweeping("decision-sweeper", "portcullis.decisions.sweep-interval", sweepInterval,
                LOG, () -> table.sweep(clock.instant()));
        background.execute(() -> replay.fetchEndOffsets(bootstrapServers));
    }

    void stop(@Observes ShutdownEvent ev) {
        if (background != null) {
            background.close();
        }
    }

    /**
     * A batch of {@code portcullis.decisions} records (the channel runs in batch mode: a
     * start-up replay of 100,000 decisions must not pay the messaging layer's cost per record).
     */
    @Incoming("decisions")
    @Blocking
    public void consume(ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> record : records) {
            consume(record);
        }
    }

    /** One record; whatever is wrong with it is counted and never stops the channel. */
    void consume(ConsumerRecord<String, byte[]> record) {
        read.incrementAndGet();
        try {
            apply(record.key(), record.value());
        } catch (UnreadableEventException e) {
            skipped.skip(record, e.getMessage());
        } catch (RuntimeException e) {
            skipped.skip(record, e.toString());
        } finally {
            replay.delivered(record.partition(), record.offset());
        }
    }

    /** Applies one record (key, value; {@code value == null} is a tombstone). */
    void apply(String key, byte[] value) throws UnreadableEventException {
        if (value == null) {
            if (key == null) {
                throw new UnreadableEventException("a tombstone without a key");
            }
            lifted.incrementAndGet();
            table.remove(key);
            return;
        }
        Decision d = DecisionCodec.decode(value);
        if (key != null && !key.equals(d.cidr())) {
            // The key is what compaction and tombstones go by: a value under another key would
            // outlive the tombstone of its own network.
            throw new UnreadableEventException("key " + Untrusted.printable(key, 60) + " is not the decision's network "
                    + Untrusted.printable(d.cidr(), 60));
        }
        try {
            table.put(d);
        } catch (IllegalArgumentException e) {
            throw new UnreadableEventException("network " + Untrusted.printable(d.cidr(), 60) + ": " + e.getMessage());
        }
    }

    /** The table the SMTP listener consults. */
    public DecisionTable table() {
        return table;
    }

    /** Whether readiness may stop waiting for the replay (see the class comment). */
    public boolean settled() {
        return replay.settled();
    }

    public boolean replayed() {
        return replay.complete();
    }

    public long replayMillis() {
        return replay.replayMillis();
    }

    public long read() {
        return read.get();
    }

    public long lifted() {
        return lifted.get();
    }

    public long unreadable() {
        return skipped.count();
    }

    /** Where and why the last unreadable record was skipped, or null. */
    public String lastUnreadable() {
        return skipped.last();
    }
}
