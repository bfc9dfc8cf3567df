package dev.portcullis.reputation;

import dev.portcullis.events.EventCodec;
import dev.portcullis.events.EventMeta;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.Topics;
import dev.portcullis.testkit.KafkaResource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Builds session events as an edge would and sends them to the real broker, keyed by client IP. */
final class Events implements AutoCloseable {

    private static final AtomicLong SESSIONS = new AtomicLong();

    private final KafkaProducer<String, byte[]> producer;

    Events() {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaResource.bootstrapServers());
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "0");
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    static EventMeta meta(String edge, String session, String ip) {
        return new EventMeta(SessionEvent.SCHEMA, UUID.randomUUID().toString(), Instant.now(), edge, session, ip);
    }

    static String newSession() {
        return "S" + SESSIONS.incrementAndGet();
    }

    void send(SessionEvent... events) {
        for (SessionEvent e : events) {
            raw(e.meta().clientIp(), EventCodec.encode(e));
        }
        producer.flush();
    }

    void raw(String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(Topics.EVENTS, key, value)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("send failed", e);
        }
    }

    /** A whole clean session: connect, helo, one delivered message, disconnect. */
    void delivered(String edge, String ip) {
        String s = newSession();
        send(new SessionEvent.Connect(meta(edge, s, ip), 40000, "127.0.0.1:25"),
                new SessionEvent.Helo(meta(edge, s, ip), "client.example", true),
                new SessionEvent.Mail(meta(edge, s, ip), "a@example.org", -1),
                new SessionEvent.Rcpt(meta(edge, s, ip), "a@example.org", "b@example.com"),
                new SessionEvent.Accepted(meta(edge, s, ip), "a@example.org", 1, 300, "250 2.0.0 Ok"),
                new SessionEvent.Disconnect(meta(edge, s, ip), "quit", 20, 0, 1, Map.of()));
    }

    /** A session that connects and stays open. */
    String open(String edge, String ip) {
        String s = newSession();
        send(new SessionEvent.Connect(meta(edge, s, ip), 40000, "127.0.0.1:25"));
        return s;
    }

    void close(String edge, String session, String ip) {
        send(new SessionEvent.Disconnect(meta(edge, session, ip), "quit", 20, 0, 0, Map.of()));
    }

    @Override
    public void close() {
        producer.close();
    }
}
