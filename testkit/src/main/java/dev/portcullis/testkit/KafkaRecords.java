package dev.portcullis.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Reads a topic from the beginning in tests, without a consumer group (nothing committed, nothing left behind).
 *
 * <pre>
 * List&lt;KafkaRecords.Received&gt; seen = KafkaRecords.await(bootstrap, "portcullis.events",
 *         rs -&gt; rs.stream().anyMatch(r -&gt; r.value().contains("\"REJECT\"")), Duration.ofSeconds(10));
 * </pre>
 */
public final class KafkaRecords {

    private KafkaRecords() {
    }

    /** One record as read: key and value as UTF-8 text ({@code value == null} for a tombstone). */
    public record Received(String topic, int partition, long offset, long timestamp, String key, String value) {
        @Override
        public String toString() {
            return topic + "-" + partition + "@" + offset + " " + key + "=" + value;
        }
    }

    /**
     * Polls {@code topic} from the beginning (every partition) until {@code until} holds for the records read so far,
     * or {@code timeout} passes, and returns the records read, in arrival order. Never throws on a timeout: the
     * caller asserts on what came back. A topic that does not exist yet is waited for (and never auto-created).
     */
    public static List<Received> pollUntil(String bootstrapServers, String topic,
            Predicate<? super List<Received>> until, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Received> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties(bootstrapServers))) {
            boolean assigned = false;
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return seen;
                }
                if (!assigned) {
                    List<PartitionInfo> infos;
                    try {
                        infos = consumer.partitionsFor(topic, Duration.ofNanos(Math.min(left, 1_000_000_000L)));
                    } catch (org.apache.kafka.common.errors.TimeoutException e) {
                        infos = List.of();
                    }
                    if (infos == null || infos.isEmpty()) {
                        if (until.test(Collections.unmodifiableList(seen))) {
                            return seen;
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(Math.min(left, 100_000_000L));
                        continue;
                    }
                    List<TopicPartition> tps = infos.stream().map(i -> new TopicPartition(topic, i.partition()))
                            .toList();
                    consumer.assign(tps);
                    consumer.seekToBeginning(tps);
                    assigned = true;
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofNanos(Math.min(left, 200_000_000L)))) {
                    seen.add(new Received(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value()));
                }
                if (until.test(Collections.unmodifiableList(seen))) {
                    return seen;
                }
            }
        }
    }

    /** Like {@link #pollUntil} but throws an {@link AssertionError} listing what was read if {@code until} never held. */
    public static List<Received> await(String bootstrapServers, String topic, Predicate<? super List<Received>> until,
            Duration timeout) {
        List<Received> seen = pollUntil(bootstrapServers, topic, until, timeout);
        if (!until.test(Collections.unmodifiableList(seen))) {
            throw new AssertionError("condition on topic " + topic + " not met within " + timeout + "; read "
                    + seen.size() + " record(s)" + (seen.isEmpty() ? ""
                            : ":\n  " + seen.stream().limit(50).map(Received::toString)
                                    .collect(Collectors.joining("\n  "))));
        }
        return seen;
    }

    /** Waits until at least {@code count} records are in {@code topic}; returns all read. */
    public static List<Received> awaitCount(String bootstrapServers, String topic, int count, Duration timeout) {
        return await(bootstrapServers, topic, rs -> rs.size() >= count, timeout);
    }

    /** Sends one record with String key and value, waits for the broker's ack (acks=all) and returns where it went. */
    public static RecordMetadata send(String bootstrapServers, String topic, String key, String value) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.setProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
        p.setProperty(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "0");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("sending to " + topic + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("sending to " + topic + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Properties consumerProperties(String bootstrapServers) {
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "portcullis-testkit-records");
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        p.setProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.setProperty(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.setProperty(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return p;
    }
}
