package dev.portcullis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

class KafkaBrokerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void brokerVanishesAndComesBackWithItsData(TestReporter report) throws Exception {
        KafkaBroker kafka = KafkaBroker.create();
        try {
            kafka.start();
            long startMs = kafka.lastStartDuration().toMillis();
            report.publishEntry("kafka.start.ms", String.valueOf(startMs));
            String bootstrap = kafka.bootstrapServers();
            int port = kafka.port();
            assertEquals("127.0.0.1:" + port, bootstrap);
            assertTrue(kafka.isRunning());
            Path home = kafka.home();
            assertTrue(Files.isDirectory(home));

            kafka.createTopic("t.plain", 3, false);
            kafka.createTopic("t.compacted", 1, true);
            kafka.createTopic("t.plain", 3, false); // again: no error
            try (Admin admin = kafka.admin()) {
                TopicDescription d = admin.describeTopics(List.of("t.plain")).allTopicNames().get(10, TimeUnit.SECONDS)
                        .get("t.plain");
                assertEquals(3, d.partitions().size());
                String policy = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC,
                        "t.compacted"))).all().get(10, TimeUnit.SECONDS).values().iterator().next()
                        .get("cleanup.policy").value();
                assertEquals("compact", policy);
            }

            RecordMetadata first = KafkaRecords.send(bootstrap, "t.plain", "192.0.2.1", "before");
            List<KafkaRecords.Received> read = KafkaRecords.awaitCount(bootstrap, "t.plain", 1, WAIT);
            assertEquals("192.0.2.1", read.get(0).key());
            assertEquals("before", read.get(0).value());
            assertEquals(first.partition(), read.get(0).partition());

            // The broker vanishes: killed, port closed, a producer cannot even get metadata.
            kafka.stop();
            assertFalse(kafka.isRunning());
            assertFalse(accepts(port), "port " + port + " still accepts after stop()");
            long t0 = System.nanoTime();
            try (KafkaProducer<String, String> producer = producer(bootstrap, 1500)) {
                Future<RecordMetadata> f = producer.send(new ProducerRecord<>("t.plain", "192.0.2.1", "lost"));
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertInstanceOf(TimeoutException.class, e.getCause());
            }
            long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(failedAfterMs < 10_000, "send failed only after " + failedAfterMs + " ms");

            // It comes back on the same port with the same data.
            kafka.restart();
            report.publishEntry("kafka.restart.ms", String.valueOf(kafka.lastStartDuration().toMillis()));
            System.out.printf("KafkaBrokerTest: start %d ms, restart after kill %d ms, send failed after %d ms%n",
                    startMs, kafka.lastStartDuration().toMillis(), failedAfterMs);
            assertEquals(bootstrap, kafka.bootstrapServers());
            assertTrue(kafka.isRunning());
            read = KafkaRecords.awaitCount(bootstrap, "t.plain", 1, WAIT);
            assertEquals("before", read.get(0).value());
            KafkaRecords.send(bootstrap, "t.plain", "192.0.2.1", "after");
            read = KafkaRecords.await(bootstrap, "t.plain",
                    rs -> rs.stream().anyMatch(r -> "after".equals(r.value())), WAIT);
            assertEquals(List.of("before", "after"), read.stream().map(KafkaRecords.Received::value).toList());

            kafka.close();
            assertFalse(kafka.isRunning());
            assertFalse(Files.exists(home), home + " left behind");
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                assertEquals(port, s.getLocalPort());
            }
        } finally {
            kafka.close();
        }
    }

    @Test
    void startFailureNamesTheCauseAndTheLog() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
                KafkaBroker kafka = KafkaBroker.builder().port(taken.getLocalPort())
                        .startTimeout(Duration.ofSeconds(30)).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, kafka::start);
            assertTrue(e.getMessage().contains("did not start"), e.getMessage());
            assertTrue(e.getMessage().contains("broker.log"), e.getMessage());
            assertFalse(kafka.isRunning());
        }
    }

    @Test
    void sharedBrokerIsOnePerJvmEvenAcrossClassLoaders() throws Exception {
        KafkaBroker shared = KafkaBroker.shared();
        assertSame(shared, KafkaBroker.shared());
        assertTrue(shared.isRunning());
        shared.close(); // no-op on the shared broker
        assertTrue(shared.isRunning());

        // A second class loader (as under @QuarkusTest) gets a front to the same broker, not a second broker.
        List<URL> urls = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(Path.of(e).toUri().toURL());
        }
        try (URLClassLoader other = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> type = other.loadClass(KafkaBroker.class.getName());
            assertNotSame(KafkaBroker.class, type);
            Object front = type.getMethod("shared").invoke(null);
            assertEquals(shared.bootstrapServers(), type.getMethod("bootstrapServers").invoke(front));
            assertEquals(shared.pid(), type.getMethod("pid").invoke(front));

            // KafkaResource hands that broker to the application and to @InjectKafkaBroker fields.
            Map<String, String> config = new KafkaResource().start();
            assertEquals(shared.bootstrapServers(), config.get("kafka.bootstrap.servers"));
            assertEquals(shared.bootstrapServers(), KafkaResource.bootstrapServers());
        }
        KafkaResource resource = new KafkaResource();
        resource.start();
        Holder holder = new Holder();
        resource.inject((value, predicate) -> {
            for (var f : Holder.class.getDeclaredFields()) {
                if (predicate.test(f)) {
                    try {
                        f.setAccessible(true);
                        f.set(holder, value);
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        });
        assertSame(shared, holder.kafka);
        assertEquals(null, holder.notAnnotated);
        resource.stop();
        assertTrue(shared.isRunning());

        // A test may stop the shared broker; the next resource start brings it back.
        shared.stop();
        assertFalse(shared.isRunning());
        new KafkaResource().start();
        assertTrue(shared.isRunning());
        assertNotNull(KafkaRecords.send(shared.bootstrapServers(), "shared.t", "k", "v"));
    }

    static final class Holder {
        @InjectKafkaBroker
        KafkaBroker kafka;
        KafkaBroker notAnnotated;
    }

    private static KafkaProducer<String, String> producer(String bootstrap, int maxBlockMs) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(maxBlockMs));
        p.setProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "3000");
        p.setProperty(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "1000");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
