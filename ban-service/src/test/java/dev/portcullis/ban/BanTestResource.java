package dev.portcullis.ban;

import dev.portcullis.events.Topics;
import dev.portcullis.testkit.KafkaBroker;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Before the application starts: the bus topics on the shared test broker with the launcher's
 * layout (events in 3 partitions, decisions compacted in 3), and the blocklists the test profile
 * names ({@code target/test-lists/}), which tests rewrite to watch reloads. {@code KafkaResource}
 * and {@code InfinispanResource} provide the broker and the grid.
 */
public class BanTestResource implements QuarkusTestResourceLifecycleManager {

    public static final Path LISTS = Path.of("target/test-lists");
    public static final Path DROP = LISTS.resolve("drop.txt");
    public static final Path COUNTRY = LISTS.resolve("delegated.txt");

    @Override
    public Map<String, String> start() {
        KafkaBroker broker = KafkaBroker.shared();
        if (!broker.isRunning()) {
            broker.restart();
        }
        broker.createTopic(Topics.EVENTS, 3, false);
        broker.createTopic(Topics.DECISIONS, 3, true);
        try {
            Files.createDirectories(LISTS);
            Files.writeString(LISTS.resolve("blocklists.conf"), """
                    [drop]
                    type   = cidr
                    file   = drop.txt
                    reason = test drop list

                    [country]
                    type      = country
                    file      = delegated.txt
                    countries = ZZ
                    port      = smtp
                    """);
            Files.writeString(DROP, "; test list\n198.51.100.0/25 ; DROP-1\n");
            Files.copy(Path.of("../config/blocklists/delegated-example.txt"), COUNTRY,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of();
    }

    @Override
    public void stop() {
    }
}
