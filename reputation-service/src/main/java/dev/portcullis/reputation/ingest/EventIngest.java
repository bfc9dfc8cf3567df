package dev.portcullis.reputation.ingest;

import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordBatchMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Consumes {@code portcullis.events} in batches as the consumer group
 * {@code portcullis-reputation} (channel {@code events}). A batch is acknowledged when the
 * aggregator has written its counts to the grid, and not before: with the {@code throttled}
 * commit strategy the committed offsets never run ahead of what is stored. The next batch is
 * taken as soon as the aggregator has queued this one (see {@link Aggregator#submit}), so
 * decoding it overlaps the write of the one before; a batch that could not be written is
 * nacked, and the channel's failure strategy applies.
 */
@ApplicationScoped
public class EventIngest {

    @Inject
    Aggregator aggregator;

    @Incoming("events")
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    @SuppressWarnings("unchecked")
    public CompletionStage<Void> consume(KafkaRecordBatch<String, byte[]> batch) {
        ConsumerRecords<String, byte[]> records = batch.getMetadata(IncomingKafkaRecordBatchMetadata.class)
                .map(m -> (ConsumerRecords<String, byte[]>) m.getRecords())
                .orElseThrow(() -> new IllegalStateException("a Kafka batch without its records"));
        List<ConsumerRecord<String, byte[]>> list = new ArrayList<>(records.count());
        records.forEach(list::add);
        Aggregator.Submission submission = aggregator.submit(list);
        submission.written().whenComplete((v, e) -> {
            if (e == null) {
                batch.ack();
            } else {
                batch.nack(e);
            }
        });
        return submission.accepted();
    }
}
