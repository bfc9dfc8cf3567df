package dev.portcullis.ban.api;

import dev.portcullis.ban.engine.DecisionBook;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live decision streams ({@code GET /api/v1/decisions/stream}, server-sent events). A new
 * stream gets every live decision ({@code event: decision}), then {@code event: synced} with the
 * count, then every change as it happens: {@code decision} (a new or changed decision, the
 * {@link DecisionCodec} JSON that the topic carries) or {@code lifted} ({@code {"cidr":"..."}}).
 * The snapshot and the registration happen on the engine thread, so no change falls between them.
 *
 * <p>Every {@code portcullis.ban.stream-keep-alive} (15s) each stream gets a comment line ({@code :keep-alive}).
 * A client that does not read is cut off once {@value #MAX_PENDING} events wait for it (and
 * counted), so a stalled client cannot make the service buffer without bound; it reconnects and
 * gets the full set again.
 */
@ApplicationScoped
public class DecisionStreams {

    private static final Logger LOG = Logger.getLogger(DecisionStreams.class);
    static final int MAX_PENDING = 10_000;

    private record Subscriber(SseEventSink sink, Sse sse, AtomicInteger pending) {
    }

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong cutOff = new AtomicLong();
    private final AtomicLong opened = new AtomicLong();

    /** Engine thread: sends the snapshot and registers the stream. */
    public void open(SseEventSink sink, Sse sse, List<Decision> snapshot) {
        Subscriber s = new Subscriber(sink, sse, new AtomicInteger());
        opened.incrementAndGet();
        for (Decision d : snapshot) {
            if (!send(s, decision(sse, d))) {
                return;
            }
        }
        if (send(s, sse.newEventBuilder().name("synced").id(Long.toString(sequence.incrementAndGet()))
                .mediaType(MediaType.APPLICATION_JSON_TYPE).data(String.class, "{\"decisions\":" + snapshot.size() + "}")
                .build())) {
            subscribers.add(s);
        }
    }

    /** Engine thread: one change to every stream. */
    public void changed(DecisionBook.Change change) {
        for (Subscriber s : subscribers) {
            OutboundSseEvent ev = change.decision() == null
                    ? s.sse().newEventBuilder().name("lifted").id(Long.toString(sequence.incrementAndGet()))
                            .mediaType(MediaType.APPLICATION_JSON_TYPE)
                            .data(String.class, "{\"cidr\":\"" + change.cidr() + "\"}").build()
                    : decision(s.sse(), change.decision());
            send(s, ev);
        }
    }

    private OutboundSseEvent decision(Sse sse, Decision d) {
        return sse.newEventBuilder().name("decision").id(Long.toString(sequence.incrementAndGet()))
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(String.class, new String(DecisionCodec.encode(d), StandardCharsets.UTF_8)).build();
    }

    private boolean send(Subscriber s, OutboundSseEvent ev) {
        if (s.sink().isClosed()) {
            subscribers.remove(s);
            return false;
        }
        if (s.pending().incrementAndGet() > MAX_PENDING) {
            subscribers.remove(s);
            cutOff.incrementAndGet();
            LOG.warn("a decision stream stopped reading; closed it (it may reconnect)");
            try {
                s.sink().close();
            } catch (RuntimeException e) {
                // already gone
            }
            return false;
        }
        try {
            s.sink().send(ev).whenComplete((v, e) -> {
                s.pending().decrementAndGet();
                if (e != null) {
                    subscribers.remove(s);
                }
            });
        } catch (RuntimeException e) {
            subscribers.remove(s);
            return false;
        }
        return true;
    }

    /**
     * Engine thread: an SSE comment line to every stream, so proxies and load balancers that cut
     * idle connections keep them, and a client whose connection died is noticed and dropped.
     */
    public void keepAlive() {
        for (Subscriber s : subscribers) {
            send(s, s.sse().newEventBuilder().comment("keep-alive").build());
        }
    }

    public int open() {
        subscribers.removeIf(s -> s.sink().isClosed());
        return subscribers.size();
    }

    public long opened() {
        return opened.get();
    }

    public long cutOff() {
        return cutOff.get();
    }
}
