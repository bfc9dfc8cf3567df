package dev.portcullis.e2e;

import dev.portcullis.events.EventCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.events.UnreadableEventException;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A bystander on the bus for {@link ClusterWideLimitIT#verdictLatency}: a plain consumer of
 * {@code portcullis.events} and {@code portcullis.verdicts} (from their ends, no group) that
 * notes, in wall-clock milliseconds, when the n-th CONNECT of an IP became readable and when
 * the first connection-rate verdict on an IP did, with the verdict's own {@code issued} time.
 * That splits the edge-to-edge latency into its legs: A to Kafka, the reputation service's
 * decision, the verdict's trip back. It only reads, so it changes nothing it measures (beyond
 * a little CPU).
 */
final class BusWatch implements AutoCloseable {

    /** When things were seen, all {@code System.currentTimeMillis()}. */
    record Seen(long receivedMillis, long recordMillis, long issuedMillis) {
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Map<String, Integer> connects = new ConcurrentHashMap<>();
    private final Map<String, Seen> nthConnect = new ConcurrentHashMap<>();
    private final Map<String, Seen> verdicts = new ConcurrentHashMap<>();
    private final int n;
    private volatile boolean running = true;

    /** Watches for the {@code n}-th CONNECT of every IP, and for connection-rate verdicts. */
    BusWatch(String bootstrapServers, int n) {
        this.n = n;
        Properties p = new Properties();
        p.setProperty(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.setProperty(ConsumerConfig.CLIENT_ID_CONFIG, "e2e-bus-watch");
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        thread = new Thread(this::run, "e2e-bus-watch");
        thread.setDaemon(true);
        thread.start();
        try {
            if (!ready.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the bus watch did not get its partitions");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void run() {
        try {
            List<TopicPartition> all = new ArrayList<>();
            for (String topic : List.of(Topics.EVENTS, Topics.VERDICTS)) {
                consumer.partitionsFor(topic, Duration.ofSeconds(20))
                        .forEach(pi -> all.add(new TopicPartition(topic, pi.partition())));
            }
            consumer.assign(all);
            consumer.seekToEnd(all);
            all.forEach(consumer::position); // resolve the end offsets now, not at the first poll
            ready.countDown();
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    long now = System.currentTimeMillis();
                    if (r.topic().equals(Topics.EVENTS)) {
                        event(r, now);
                    } else {
                        verdict(r, now);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void event(ConsumerRecord<String, byte[]> r, long now) {
        try {
            SessionEvent e = EventCodec.decode(r.value());
            if (e instanceof SessionEvent.Connect && connects.merge(r.key(), 1, Integer::sum) == n) {
                nthConnect.put(r.key(), new Seen(now, r.timestamp(), -1));
            }
        } catch (UnreadableEventException e) {
            // not ours to judge
        }
    }

    private void verdict(ConsumerRecord<String, byte[]> r, long now) {
        if (r.value() == null || verdicts.containsKey(r.key())) {
            return;
        }
        try {
            Verdict v = VerdictCodec.decode(r.value());
            if (v.limits().stream().anyMatch(e -> e.limit().equals(Verdict.CONNECTION_RATE))) {
                verdicts.putIfAbsent(r.key(), new Seen(now, r.timestamp(), v.issued().toEpochMilli()));
            }
        } catch (UnreadableEventException e) {
            // not ours to judge
        }
    }

    /** When the {@code n}-th CONNECT of {@code ip} could be read, waiting up to {@code timeout}; or null. */
    Seen nthConnect(String ip, Duration timeout) {
        return await(nthConnect, ip, timeout);
    }

    /** When the first connection-rate verdict on {@code ip} could be read, waiting up to {@code timeout}; or null. */
    Seen verdict(String ip, Duration timeout) {
        return await(verdicts, ip, timeout);
    }

    private static Seen await(Map<String, Seen> map, String key, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Seen s;
        while ((s = map.get(key)) == null && System.nanoTime() < deadline) {
            Fleet.pause(Duration.ofMillis(5));
        }
        return s;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
