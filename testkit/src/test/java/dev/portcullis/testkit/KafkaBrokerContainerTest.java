package dev.portcullis.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The same round trip against Testcontainers' Kafka; skipped where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class KafkaBrokerContainerTest {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer(KafkaResource.DEFAULT_IMAGE);

    @Test
    void produceAndConsume() {
        String bootstrap = KAFKA.getBootstrapServers();
        KafkaRecords.send(bootstrap, "container.t", "192.0.2.7", "hello");
        List<KafkaRecords.Received> read = KafkaRecords.awaitCount(bootstrap, "container.t", 1, Duration.ofSeconds(30));
        assertEquals("192.0.2.7", read.get(0).key());
        assertEquals("hello", read.get(0).value());
    }
}
