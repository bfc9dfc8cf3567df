package dev.portcullis.ban.bus;

import dev.portcullis.events.Decision;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends decisions to the compacted topic {@code portcullis.decisions} (channel {@code decisions}),
 * key = canonical CIDR, a tombstone (null value) when a network has no decision left. Called
 * from the engine thread only, so records for one network leave in the order they were decided
 * (idempotent producer, acks=all). A record the emitter cannot take (buffer full, channel down)
 * is counted and the network is marked for republishing by the next sweep.
 */
@ApplicationScoped
public class DecisionPublisher {

    private static final Logger LOG = Logger.getLogger(DecisionPublisher.class);

    @Inject
    @Channel("decisions")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 200_000)
    Emitter<Record<String, Decision>> emitter;

    private final AtomicLong published = new AtomicLong();
    private final AtomicLong tombstones = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /** Hands the record over; false if it could not be (the caller retries later). */
    public boolean publish(String cidr, Decision decision) {
        try {
            emitter.send(Record.of(cidr, decision));
        } catch (RuntimeException e) {
            if (failed.getAndIncrement() % 1_000 == 0) {
                LOG.warnf("decision for %s not published (will retry): %s", cidr, e.toString());
            }
            return false;
        }
        (decision == null ? tombstones : published).incrementAndGet();
        return true;
    }

    public long published() {
        return published.get();
    }

    public long tombstones() {
        return tombstones.get();
    }

    public long failed() {
        return failed.get();
    }
}
