package dev.portcullis.reputation.ingest;

import dev.portcullis.events.Topics;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.util.Collection;

/**
 * Hands counts over when the consumer group moves partitions: the aggregator drops what it
 * holds (already in the grid) so that a partition's new owner - here or elsewhere - reads
 * the current states rather than a stale copy. Also records the topic's partition count,
 * which readers need to sum a network's per-partition shards.
 */
@ApplicationScoped
@Identifier("portcullis-reputation-handover")
public class PartitionHandover implements KafkaConsumerRebalanceListener {

    private static final Logger LOG = Logger.getLogger(PartitionHandover.class);

    @Inject
    Aggregator aggregator;

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
            LOG.infof("partitions revoked: %s", partitions);
            aggregator.rebalanced(0);
        }
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        int count = 0;
        try {
            count = consumer.partitionsFor(Topics.EVENTS).size();
        } catch (RuntimeException e) {
            LOG.debugf("partition count unknown: %s", e.toString());
        }
        LOG.infof("partitions assigned: %s (topic has %d)", partitions, count);
        aggregator.rebalanced(count);
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        aggregator.rebalanced(0);
    }
}
