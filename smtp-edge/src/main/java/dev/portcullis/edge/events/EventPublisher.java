package dev.portcullis.edge.events;

import dev.portcullis.events.SessionEvent;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes session events to {@code portcullis.events}, keyed by client IP, without ever
 * making a session wait.
 *
 * <p>How: {@link #publish} hands the event to a SmallRye emitter whose buffer is bounded
 * ({@code mp.messaging.emitter.default-buffer-size}); the Kafka connector sends from its own
 * thread, never the event loop. When the broker is gone, the producer stops taking records,
 * the buffer fills, and further events are dropped and counted here instead of piling up.
 * When the broker returns the buffer drains by itself. Every event ends in exactly one of
 * {@code published} (broker acknowledged), {@code failed} (the producer gave up, e.g. after
 * {@code delivery.timeout.ms}), or {@code dropped} (never accepted); the rest are in flight.
 */
@ApplicationScoped
public class EventPublisher {

    private static final Logger LOG = Logger.getLogger(EventPublisher.class);

    @Inject
    @Channel("session-events")
    @OnOverflow(OnOverflow.Strategy.BUFFER)
    Emitter<SessionEvent> emitter;

    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile long lastAckNanos = System.nanoTime();
    private volatile String lastFailure;

    public void publish(SessionEvent event) {
        offered.incrementAndGet();
        Metadata metadata = Metadata.of(OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(event.meta().clientIp()).build());
        Message<SessionEvent> message = Message.of(event, metadata, () -> {
            published.incrementAndGet();
            lastAckNanos = System.nanoTime();
            return CompletableFuture.completedFuture(null);
        }, failure -> {
            if (failed.getAndIncrement() == 0 || LOG.isDebugEnabled()) {
                LOG.warnf("session event not delivered to Kafka: %s", failure.toString());
            }
            lastFailure = failure.toString();
            return CompletableFuture.completedFuture(null);
        });
        try {
            emitter.send(message);
        } catch (RuntimeException e) {
            // Buffer full (broker away) or the channel is down: drop and count, never block.
            if (dropped.getAndIncrement() % 10_000 == 0) {
                LOG.warnf("session event buffer full or channel down, dropping events (%d so far): %s",
                        dropped.get(), e.getMessage());
            }
        }
    }

    public long offered() {
        return offered.get();
    }

    public long published() {
        return published.get();
    }

    public long failed() {
        return failed.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** Offered, not yet acknowledged, failed or dropped: buffered in the edge or the producer. */
    public long inFlight() {
        return Math.max(0, offered.get() - published.get() - failed.get() - dropped.get());
    }

    /** The bus is considered healthy when nothing waits, or something was acknowledged lately. */
    public boolean degraded(long staleNanos) {
        return inFlight() > 0 && System.nanoTime() - lastAckNanos > staleNanos;
    }

    public String lastFailure() {
        return lastFailure;
    }
}
