package dev.portcullis.edge;

import dev.portcullis.testkit.FreePort;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/**
 * An edge whose next hop is a fixed loopback port with nothing on it yet: each test puts
 * there the next hop it needs (or none, for "next hop down"). This edge also has NO Kafka
 * broker (its bootstrap address is a closed port): it must start and serve mail anyway.
 */
public class FixedNextHopResource implements QuarkusTestResourceLifecycleManager {

    private static volatile int port;

    public static int port() {
        return port;
    }

    @Override
    public Map<String, String> start() {
        port = FreePort.find();
        return Map.of(
                "kafka.bootstrap.servers", "127.0.0.1:" + FreePort.find(),
                "portcullis.main-cf", EdgeTestResource.testMainCf().toString(),
                "portcullis.next-hops", "127.0.0.1:" + port,
                "portcullis.smtp-port", "0",
                "portcullis.smtp-host", "127.0.0.1",
                "portcullis.edge-id", "edge-fixed-hop",
                "postfix.smtpd_proxy_timeout", "3s");
    }

    @Override
    public void stop() {
        port = 0;
    }
}
