package dev.portcullis.bench;

import dev.portcullis.events.Topics;
import dev.portcullis.testkit.KafkaBroker;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The broker side of an edge's start-up replay: how long plain Kafka consumers take to read
 * the {@code DecisionReplayIT} records (see {@link DecisionReplayBench#records}) from a real
 * broker (testkit, child JVM) with the broker's default {@code group.initial.rebalance.delay.ms}
 * (3 s, as a Strimzi cluster runs it; testkit's own default is 0), split into "first record"
 * (connect, group join, offsets) and "all records", for: a fresh classic consumer group (what
 * the edge's channel does), a group on the KIP-848 consumer protocol, and no group at all
 * ({@code assign}), each with the default and a larger per-partition fetch size, after one
 * uncounted warm-up read. Nothing is decoded: this is the floor under the edge's figure.
 *
 * <p>{@code java -cp ... dev.portcullis.bench.DecisionFetchBench [RECORDS]}
 */
public final class DecisionFetchBench {

    private DecisionFetchBench() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        try (KafkaBroker kafka = KafkaBroker.builder().home(Files.createTempDirectory("decision-fetch"))
                .brokerProperty("group.initial.rebalance.delay.ms", "3000").start()) {
            kafka.createTopic(Topics.DECISIONS, 3, true);
            List<byte[]> values = DecisionReplayBench.records(records, Instant.now());
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 262_144,
                    ProducerConfig.ACKS_CONFIG, "1"), new StringSerializer(), new ByteArraySerializer())) {
                for (int i = 0; i < values.size(); i++) {
                    producer.send(new ProducerRecord<>(Topics.DECISIONS, "k" + i, values.get(i)));
                }
                producer.flush();
            }
            System.out.printf(Locale.ROOT, "%d records on %s (3 partitions)%n", values.size(), kafka.bootstrapServers());
            System.out.print("(warm-up, not counted) ");
            run(kafka.bootstrapServers(), "assign", "1048576", values.size());
            for (String fetch : List.of("1048576", "8388608")) {
                for (String mode : List.of("classic", "consumer", "assign")) {
                    run(kafka.bootstrapServers(), mode, fetch, values.size());
                }
            }
        }
    }

    private static void run(String bootstrap, String mode, String fetchBytes, int expected) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.parseInt(fetchBytes));
        if (!mode.equals("assign")) {
            c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID());
            c.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, mode);
        }
        long t0 = System.nanoTime();
        long first = -1;
        int n = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            if (mode.equals("assign")) {
                List<TopicPartition> parts = consumer.partitionsFor(Topics.DECISIONS).stream()
                        .map((PartitionInfo p) -> new TopicPartition(p.topic(), p.partition())).toList();
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
            } else {
                consumer.subscribe(List.of(Topics.DECISIONS));
            }
            long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
            while (n < expected && System.nanoTime() < deadline) {
                ConsumerRecords<String, byte[]> batch = consumer.poll(Duration.ofMillis(200));
                if (!batch.isEmpty() && first < 0) {
                    first = System.nanoTime();
                }
                n += batch.count();
            }
        }
        long all = System.nanoTime();
        System.out.printf(Locale.ROOT, "%-8s max.partition.fetch.bytes=%-8s first record %5d ms, all %6d records %5d ms%n",
                mode, fetchBytes, first < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(first - t0), n,
                TimeUnit.NANOSECONDS.toMillis(all - t0));
    }
}
