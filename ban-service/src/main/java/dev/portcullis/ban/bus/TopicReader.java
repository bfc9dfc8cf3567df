package dev.portcullis.ban.bus;

import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import dev.portcullis.events.Topics;
import dev.portcullis.events.UnreadableEventException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Reads the compacted decisions topic from the beginning to its current end, without a consumer
 * group (nothing committed): what every enforcement point sees at start. Unreadable records are
 * skipped and counted; the last record per key wins, a tombstone removes the key.
 */
public final class TopicReader {

    /** The topic's content: per network the last record (null decision = tombstone) and its time. */
    public record Snapshot(Map<String, Decision> live, Map<String, Long> timestamps, long records, long unreadable) {
    }

    private TopicReader() {
    }

    public static Snapshot read(String bootstrapServers, Duration timeout) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "portcullis-ban-restore");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.setProperty(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        p.setProperty(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeout.toMillis()));
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Decision> live = new HashMap<>();
        Map<String, Long> times = new HashMap<>();
        long records = 0;
        long unreadable = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.DECISIONS, timeout);
            if (infos == null || infos.isEmpty()) {
                return new Snapshot(live, times, 0, 0);
            }
            List<TopicPartition> tps = infos.stream().map(i -> new TopicPartition(Topics.DECISIONS, i.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, timeout);
            while (true) {
                boolean done = true;
                for (TopicPartition tp : tps) {
                    if (consumer.position(tp, timeout) < end.get(tp)) {
                        done = false;
                        break;
                    }
                }
                if (done) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new org.apache.kafka.common.errors.TimeoutException("reading " + Topics.DECISIONS
                            + " to its end took longer than " + timeout);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    records++;
                    if (r.key() == null) {
                        unreadable++;
                        continue;
                    }
                    times.put(r.key(), r.timestamp());
                    if (r.value() == null) {
                        live.remove(r.key());
                        continue;
                    }
                    try {
                        Decision d = DecisionCodec.decode(r.value());
                        if (!d.cidr().equals(r.key())) {
                            unreadable++;
                            continue;
                        }
                        live.put(r.key(), d);
                    } catch (UnreadableEventException e) {
                        unreadable++;
                    }
                }
            }
        }
        return new Snapshot(live, times, records, unreadable);
    }
}
