package dev.portcullis.edge.cluster;

import dev.portcullis.edge.protocol.Untrusted;
import dev.portcullis.events.UnreadableEventException;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
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
 * Applies {@code portcullis.verdicts} to this edge's {@link ClusterVerdicts}.
 *
 * <p>{@link BusFeed} hands it every record, from the beginning of every partition at every
 * start (the topic is compacted, so that replay is the live verdicts plus a bounded tail), and
 * then the new ones as they come; it keeps its positions across a broker outage, so a broker
 * restart never replays the topic again ahead of new verdicts (the lag gauges below show it).
 *
 * <p>Degrade, never stop: readiness does not wait for verdicts (a bus outage must not take the
 * edge out of the load balancer), the feed retries the broker for ever, and a record that
 * cannot be read (not JSON, newer schema, bad subject) is skipped, counted and logged (the
 * first and then every thousandth), never allowed to stop the feed. A tombstone removes the
 * subject.
 *
 * <p>Records are applied on the feed's thread, in order per partition, never the event loop;
 * the table's lookups are what the SMTP sessions do on the event loop. A daemon thread sweeps
 * expired subjects every {@code portcullis.verdicts.sweep-interval}.
 */
@ApplicationScoped
public class VerdictConsumer {

    private static final Logger LOG = Logger.getLogger(VerdictConsumer.class);

    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "portcullis.verdicts.max-subjects", defaultValue = "1000000")
    int maxSubjects;
    @ConfigProperty(name = "portcullis.verdicts.sweep-interval", defaultValue = "30s")
    Duration sweepInterval;

    /** The edge's clock (a test sets its own before {@link #init}). */
    Clock clock = Clock.systemUTC();

    private ClusterVerdicts table;
    private Background sweeper;
    /** When this consumer started: verdicts issued before it are the replay, not lag. */
    private long startMillis;
    private final AtomicLong lastLagMillis = new AtomicLong(-1);
    private final AtomicLong maxLagMillis = new AtomicLong(-1);
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong tombstones = new AtomicLong();
    private final SkippedRecords skipped = new SkippedRecords(LOG, "verdict");

    @PostConstruct
    void init() {
        startMillis = clock.millis();
        table = new ClusterVerdicts(clock, maxSubjects);
        Gauge.builder("portcullis.edge.verdicts.active", table, ClusterVerdicts::size)
                .description("cluster-wide verdict subjects (IPs and networks) this edge holds").register(registry);
        FunctionCounter.builder("portcullis.edge.verdicts.read", read, AtomicLong::get)
                .description("verdict records read from the bus, tombstones and unreadable ones included")
                .register(registry);
        FunctionCounter.builder("portcullis.edge.verdicts.unreadable", skipped, SkippedRecords::count)
                .description("verdict records skipped because they could not be read").register(registry);
        FunctionCounter.builder("portcullis.edge.verdicts.evicted", table, ClusterVerdicts::evicted)
                .description("verdict subjects dropped to keep the table within portcullis.verdicts.max-subjects")
                .register(registry);
        FunctionCounter.builder("portcullis.edge.verdicts.expired", table, ClusterVerdicts::expired)
                .description("verdict subjects swept because none of their entries was in force any more")
                .register(registry);
        // How far behind the reputation service this edge applies verdicts: a verdict that
        // reaches the table seconds after it was decided is a limit the edge does not enforce
        // meanwhile, so this is the figure to watch (and alert on) under a flood.
        Gauge.builder("portcullis.edge.verdicts.lag.millis", lastLagMillis, AtomicLong::get)
                .description("milliseconds from the issue of the last verdict applied to its application here"
                        + " (-1 before the first)").register(registry);
        Gauge.builder("portcullis.edge.verdicts.lag.max.millis", maxLagMillis, AtomicLong::get)
                .description("the longest such delay since start, over verdicts issued after this edge started"
                        + " (the start-up replay is not lag); -1 before the first").register(registry);
    }

    void start(@Observes StartupEvent ev) {
        sweeper = Background.sweeping("verdict-sweeper", "portcullis.verdicts.sweep-interval", sweepInterval, LOG,
                () -> table.sweep());
    }

    void stop(@Observes ShutdownEvent ev) {
        if (sweeper != null) {
            sweeper.close();
        }
    }

    /** One record of {@code portcullis.verdicts}; whatever is wrong with it is counted and never stops the feed. */
    public void consume(ConsumerRecord<String, byte[]> record) {
        read.incrementAndGet();
        try {
            apply(record.key(), record.value());
        } catch (UnreadableEventException e) {
            skipped(record, e.getMessage());
        } catch (RuntimeException e) {
            // Whatever went wrong with one record must not stop the feed.
            skipped(record, e.toString());
        }
    }

    /** Applies one record (key, value; {@code value == null} is a tombstone). */
    void apply(String key, byte[] value) throws UnreadableEventException {
        if (value == null) {
            if (key == null) {
                throw new UnreadableEventException("a tombstone without a key");
            }
            tombstones.incrementAndGet();
            applyTo(key, null);
            return;
        }
        Verdict verdict = VerdictCodec.decode(value);
        applyTo(key != null ? key : verdict.subject(), verdict);
        lag(verdict);
    }

    private void lag(Verdict verdict) {
        long issued = verdict.issued().toEpochMilli();
        long lag = Math.max(0, clock.millis() - issued);
        lastLagMillis.set(lag);
        if (issued >= startMillis) {
            maxLagMillis.accumulateAndGet(lag, Math::max);
        }
    }

    /** Milliseconds from issue to application of the last verdict applied, or -1. */
    public long lastLagMillis() {
        return lastLagMillis.get();
    }

    /** The longest issue-to-application delay since start (replayed verdicts left out), or -1. */
    public long maxLagMillis() {
        return maxLagMillis.get();
    }

    private void applyTo(String subject, Verdict verdict) throws UnreadableEventException {
        try {
            table.apply(subject, verdict);
        } catch (IllegalArgumentException e) {
            throw new UnreadableEventException("subject " + Untrusted.printable(subject, 60) + ": " + e.getMessage());
        }
    }

    private void skipped(ConsumerRecord<String, byte[]> record, String reason) {
        skipped.skip(record, reason);
    }

    /** The table the SMTP sessions consult. */
    public ClusterVerdicts table() {
        return table;
    }

    public long read() {
        return read.get();
    }

    public long unreadable() {
        return skipped.count();
    }

    public long tombstones() {
        return tombstones.get();
    }

    /** Where and why the last unreadable record was skipped, or null. */
    public String lastUnreadable() {
        return skipped.last();
    }
}
