package dev.portcullis.agent;

import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** Publishes decisions (with events' {@link DecisionSerializer}), tombstones and raw bytes onto a real broker. */
public final class DecisionProducer implements AutoCloseable {

    private final KafkaProducer<String, byte[]> producer;
    private final DecisionSerializer serializer = new DecisionSerializer();
    private final String topic;

    public DecisionProducer(String bootstrapServers, String topic) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    /** Sends a decision keyed by its network; does not wait. */
    public void send(Decision d) {
        producer.send(new ProducerRecord<>(topic, d.cidr(), serializer.serialize(topic, d)));
    }

    /** Sends raw bytes under a key (null value: a tombstone); does not wait. */
    public void sendRaw(String key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key, value));
    }

    /** Waits until everything sent is acknowledged. */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(10));
    }

    /** Sends and waits. */
    public void sendNow(Decision d) {
        try {
            producer.send(new ProducerRecord<>(topic, d.cidr(), serializer.serialize(topic, d))).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("sending a decision failed", e);
        }
    }
}
