package dev.portcullis.reputation;

import dev.portcullis.events.Topics;
import dev.portcullis.testkit.KafkaBroker;
import dev.portcullis.testkit.KafkaResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * Creates the bus topics on the shared test broker with the layout the service expects
 * (events in {@value #PARTITIONS} partitions, verdicts compacted) before the application
 * starts; {@link KafkaResource} and {@code InfinispanResource} provide the broker and grid.
 */
public class ReputationTestResource implements QuarkusTestResourceLifecycleManager {

    public static final int PARTITIONS = 3;

    @Override
    public Map<String, String> start() {
        KafkaBroker broker = KafkaBroker.shared();
        if (!broker.isRunning()) {
            broker.restart();
        }
        broker.createTopic(Topics.EVENTS, PARTITIONS, false);
        broker.createTopic(Topics.VERDICTS, 1, true);
        return Map.of();
    }

    @Override
    public void stop() {
    }
}
