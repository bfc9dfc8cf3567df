package dev.portcullis.testkit;

import java.lang.reflect.Field;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Quarkus test resource: a real Kafka broker for the application under test, configured through
 * {@code kafka.bootstrap.servers} (the key SmallRye Kafka reads for every channel).
 *
 * <p>By default this is {@link KafkaBroker#shared()}: one broker per test JVM in a child JVM, no Docker. With
 * {@code -Dportcullis.test.kafka=testcontainers} (or env {@code PORTCULLIS_TEST_KAFKA=testcontainers}) and a
 * reachable Docker engine it starts Testcontainers' {@code apache/kafka} image instead (override the image with
 * {@code -Dportcullis.test.kafka.image=...}); without that property Docker is never touched.
 *
 * <p>Tests reach the broker through a field annotated {@link InjectKafkaBroker}, or {@link #bootstrapServers()}.
 * A test that stops the shared broker should restart it; {@link #start()} restarts it too if it finds it stopped.
 */
public class KafkaResource implements QuarkusTestResourceLifecycleManager {

    public static final String MODE_PROPERTY = "portcullis.test.kafka";
    public static final String IMAGE_PROPERTY = "portcullis.test.kafka.image";
    public static final String DEFAULT_IMAGE = "apache/kafka:4.0.0";

    private static volatile String lastBootstrapServers;

    private KafkaBroker broker;
    private AutoCloseable container;

    @Override
    public Map<String, String> start() {
        String bootstrap;
        boolean containers = testcontainersWanted();
        if (containers && !Containers.dockerAvailable()) {
            System.getLogger(KafkaResource.class.getName()).log(System.Logger.Level.WARNING,
                    MODE_PROPERTY + "=testcontainers but no Docker engine answers: using the embedded Kafka broker");
            containers = false;
        }
        if (containers) {
            Containers.Started c = Containers.start(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE));
            container = c.container();
            bootstrap = c.bootstrapServers();
        } else {
            broker = KafkaBroker.shared();
            if (!broker.isRunning()) {
                broker.restart();
            }
            bootstrap = broker.bootstrapServers();
        }
        lastBootstrapServers = bootstrap;
        return Map.of("kafka.bootstrap.servers", bootstrap,
                "quarkus.kafka.devservices.enabled", "false");
    }

    @Override
    public void inject(TestInjector injector) {
        if (broker == null) {
            return;
        }
        // The test class may see KafkaBroker through another class loader than this resource does: give each field a
        // KafkaBroker of its own field type (the shared broker is reachable from every loader).
        Set<Class<?>> fieldTypes = new LinkedHashSet<>();
        injector.injectIntoFields(null, f -> {
            if (isBrokerField(f)) {
                fieldTypes.add(f.getType());
            }
            return false;
        });
        for (Class<?> type : fieldTypes) {
            Object value = type == KafkaBroker.class ? broker : sharedOf(type);
            injector.injectIntoFields(value, f -> isBrokerField(f) && f.getType() == type);
        }
    }

    private static boolean isBrokerField(Field f) {
        return f.getType().getName().equals(KafkaBroker.class.getName()) && java.util.Arrays.stream(f.getAnnotations())
                .anyMatch(a -> a.annotationType().getName().equals(InjectKafkaBroker.class.getName()));
    }

    private static Object sharedOf(Class<?> brokerType) {
        try {
            return brokerType.getMethod("shared").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot reach the shared Kafka broker from " + brokerType.getClassLoader(), e);
        }
    }

    @Override
    public void stop() {
        if (container != null) {
            try {
                container.close();
            } catch (Exception e) {
                throw new IllegalStateException("stopping the Kafka container failed", e);
            }
            container = null;
        }
        // the shared broker lives until the JVM exits
    }

    /** The address handed to the application by the last {@link #start()} (in this class loader). */
    public static String bootstrapServers() {
        String b = lastBootstrapServers;
        return b != null ? b : KafkaBroker.shared().bootstrapServers();
    }

    static boolean testcontainersWanted() {
        String mode = System.getProperty(MODE_PROPERTY, System.getenv("PORTCULLIS_TEST_KAFKA"));
        return "testcontainers".equalsIgnoreCase(mode == null ? "" : mode.trim());
    }

    /** Everything that touches Testcontainers, loaded only when asked for. */
    static final class Containers {
        record Started(AutoCloseable container, String bootstrapServers) {
        }

        static boolean dockerAvailable() {
            try {
                return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
            } catch (RuntimeException | LinkageError e) {
                return false;
            }
        }

        static Started start(String image) {
            var kafka = new org.testcontainers.kafka.KafkaContainer(image);
            kafka.start();
            return new Started(kafka, kafka.getBootstrapServers());
        }
    }
}
