package dev.portcullis.reputation.ingest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Consumes {@code portcullis.events} in batches as the consumer group
 * {@code portcullis-reputation} (channel {@code events}). A batch is acknowledged when the
 * aggregator has written its counts to the grid; the next batch waits for that, so the
 * committed offsets never run ahead of what is stored.
 */
@ApplicationScoped
public class EventIngest {

    @Inject
    Aggregator aggregator;

    @Incoming("events")
    public CompletionStage<Void> consume(ConsumerRecords<String, byte[]> records) {
        List<ConsumerRecord<String, byte[]>> list = new ArrayList<>(records.count());
        records.forEach(list::add);
        return aggregator.submit(list);
    }
}
