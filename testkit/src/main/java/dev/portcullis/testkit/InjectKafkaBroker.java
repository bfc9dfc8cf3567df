package dev.portcullis.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@link KafkaBroker} field of a test that uses {@link KafkaResource}: it receives the broker the
 * application talks to, so the test can {@link KafkaBroker#stop()} and {@link KafkaBroker#restart()} it.
 * Stays {@code null} when {@link KafkaResource} runs Kafka in Testcontainers instead.
 *
 * <pre>
 * &#64;QuarkusTest
 * &#64;QuarkusTestResource(KafkaResource.class)
 * class EdgeWithoutKafkaTest {
 *     &#64;InjectKafkaBroker
 *     KafkaBroker kafka;
 * }
 * </pre>
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface InjectKafkaBroker {
}
