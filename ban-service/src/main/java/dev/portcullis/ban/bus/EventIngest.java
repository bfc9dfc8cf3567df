package dev.portcullis.ban.bus;

import dev.portcullis.ban.BanService;
import dev.portcullis.events.EventCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.UnreadableEventException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes {@code portcullis.events} in batches as its own consumer group {@code portcullis-ban}
 * (channel {@code events}). Unreadable records are skipped and counted. A batch is acknowledged
 * once the engine has run it, and no batch runs before the decisions are restored at start.
 */
@ApplicationScoped
public class EventIngest {

    @Inject
    BanService service;

    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicLong read = new AtomicLong();

    @Incoming("events")
    public CompletionStage<Void> consume(ConsumerRecords<String, byte[]> records) {
        List<SessionEvent> events = new ArrayList<>(records.count());
        for (ConsumerRecord<String, byte[]> r : records) {
            read.incrementAndGet();
            try {
                events.add(EventCodec.decode(r.value()));
            } catch (UnreadableEventException e) {
                unreadable.incrementAndGet();
            }
        }
        return service.events(events);
    }

    public long read() {
        return read.get();
    }

    public long unreadable() {
        return unreadable.get();
    }
}
