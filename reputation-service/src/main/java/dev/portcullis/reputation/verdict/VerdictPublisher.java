package dev.portcullis.reputation.verdict;

import dev.portcullis.events.Verdict;
import dev.portcullis.reputation.config.ReputationSettings;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends verdicts to the compacted topic {@code portcullis.verdicts}, keyed by subject, and
 * tombstones when a subject is no longer over any limit. Never blocks the aggregator: the
 * emitter's buffer is bounded and a record that does not fit is dropped and counted (edges
 * keep their local limits; the next batch or sweep publishes the subject again).
 */
@ApplicationScoped
public class VerdictPublisher {

    private static final Logger LOG = Logger.getLogger(VerdictPublisher.class);

    @Inject
    @Channel("verdicts")
    @OnOverflow(OnOverflow.Strategy.BUFFER)
    Emitter<Record<String, Verdict>> emitter;

    @Inject
    ReputationSettings settings;

    private final AtomicLong published = new AtomicLong();
    private final AtomicLong tombstones = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /** Publishes {@code entries} for {@code subject}, or a tombstone when empty. True if it was handed over. */
    public boolean publish(String subject, List<Verdict.Entry> entries, long nowMillis) {
        Verdict verdict = entries.isEmpty() ? null : new Verdict(Verdict.SCHEMA, subject,
                Instant.ofEpochMilli(nowMillis), settings.instanceId(), entries);
        try {
            emitter.send(Record.of(subject, verdict));
        } catch (RuntimeException e) {
            if (dropped.getAndIncrement() % 1_000 == 0) {
                LOG.warnf("verdict for %s not published (buffer full or channel down): %s", subject, e.toString());
            }
            return false;
        }
        (verdict == null ? tombstones : published).incrementAndGet();
        return true;
    }

    public long published() {
        return published.get();
    }

    public long tombstones() {
        return tombstones.get();
    }

    public long dropped() {
        return dropped.get();
    }
}
