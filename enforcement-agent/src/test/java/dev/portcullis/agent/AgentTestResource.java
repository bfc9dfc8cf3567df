package dev.portcullis.agent;

import dev.portcullis.agent.nft.Netns;
import dev.portcullis.events.Topics;
import dev.portcullis.testkit.KafkaBroker;
import dev.portcullis.testkit.KafkaResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static dev.portcullis.agent.TestDecisions.ban;

/**
 * For {@link AgentTest}: a real broker with the decisions and verdicts topics, decisions
 * already on them before the agent starts (so the test sees the replay), a network namespace
 * pair for the nftables enforcer (when this machine can make one), a directory for the cidr
 * table, and the agent configured with all three enforcers.
 */
public class AgentTestResource implements QuarkusTestResourceLifecycleManager {

    static volatile Netns ns;
    static volatile Path dir;
    static volatile String bootstrap;
    /** Banned before the agent started: a client address of the namespace when there is one. */
    static volatile String bannedBeforeStart;

    private final KafkaResource kafka = new KafkaResource();

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(kafka.start());
        bootstrap = config.get("kafka.bootstrap.servers");
        KafkaBroker broker = KafkaBroker.shared();
        broker.createTopic(Topics.DECISIONS, 3, true);
        broker.createTopic(Topics.VERDICTS, 1, true);
        try {
            dir = Files.createTempDirectory("agent-test-");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (Netns.available()) {
            ns = Netns.create();
            ns.listen(25);
            bannedBeforeStart = ns.v4(2);
            config.put("portcullis.agent.nft.enabled", "true");
            config.put("portcullis.agent.nft.command", String.join(",", ns.nftCommand()));
        } else {
            bannedBeforeStart = "192.0.2.200";
        }
        try (DecisionProducer p = new DecisionProducer(bootstrap, Topics.DECISIONS)) {
            for (int i = 0; i < 500; i++) {
                p.send(ban("10.200." + (i / 200) + "." + (i % 200) + "/32", null));
            }
            p.send(ban(bannedBeforeStart + "/32", null));
            p.send(ban("192.0.2.201/32", null));
            p.sendRaw("192.0.2.201/32", null);                  // lifted before the agent started
            p.flush();
        }
        config.put("portcullis.agent.policy.enabled", "true");
        config.put("portcullis.agent.policy.port", "0");
        config.put("portcullis.agent.export.enabled", "true");
        config.put("portcullis.agent.export.file", dir.resolve("portcullis.cidr").toString());
        config.put("portcullis.agent.nft.batch-interval", "100ms");
        config.put("portcullis.agent.id", "agent-test");
        return config;
    }

    @Override
    public void stop() {
        kafka.stop();
        if (ns != null) {
            ns.close();
            ns = null;
        }
    }
}
