package dev.portcullis.edge.cluster;

import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import dev.portcullis.events.DecisionTable;
import dev.portcullis.events.UnreadableEventException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Applies {@code portcullis.decisions} (bans and allows published by the ban-service) to this
 * edge's {@link DecisionTable}, which the SMTP listener consults for every new connection
 * before anything else.
 *
 * <p>{@link BusFeed} hands it every record, from the beginning of every partition at every
 * start (the compacted topic is the durable record of every live decision, so a restarted edge
 * knows every ban, and a ban lifted while it was down is simply absent from the replay), on the
 * feed's thread; readiness waits for that replay ({@link BusFeed#settled()}). A tombstone lifts;
 * an unreadable record is skipped and counted, never allowed to stop the feed.
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

    private final Clock clock = Clock.systemUTC();
    private DecisionTable table;
    private Background background;
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong lifted = new AtomicLong();
    private final SkippedRecords skipped = new SkippedRecords(LOG, "decision");

    @PostConstruct
    void init() {
        table = new DecisionTable(maxEntries, clock);
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
    }

    void start(@Observes StartupEvent ev) {
        background = Background.sweeping("decision-sweeper", "portcullis.decisions.sweep-interval", sweepInterval,
                LOG, () -> table.sweep(clock.instant()));
    }

    void stop(@Observes ShutdownEvent ev) {
        if (background != null) {
            background.close();
        }
    }

    /** One record of {@code portcullis.decisions}; whatever is wrong with it is counted and never stops the feed. */
    public void consume(ConsumerRecord<String, byte[]> record) {
        read.incrementAndGet();
        try {
            apply(record.key(), record.value());
        } catch (UnreadableEventException e) {
            skipped.skip(record, e.getMessage());
        } catch (RuntimeException e) {
            skipped.skip(record, e.toString());
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
