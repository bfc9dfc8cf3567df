package dev.portcullis.agent;

import dev.portcullis.testkit.FreePort;
import dev.portcullis.testkit.QuarkusApp;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged agent as an operator starts it: bad settings stop it with the key, the value
 * and the problem; without a broker it lives but is not ready (no replay, no enforcement).
 */
class AgentStartupIT {

    private static final Path JAR = Path.of(System.getProperty("portcullis.agent.run-jar",
            "target/quarkus-app/quarkus-run.jar"));
    private static final Path LOGS = Path.of(System.getProperty("portcullis.agent.log-dir", "target/it-logs"));

    private QuarkusApp.Builder agent(String name, Map<String, String> env) {
        return QuarkusApp.builder(JAR).name(name).logDir(LOGS).startTimeout(Duration.ofSeconds(90))
                .env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + deadPort()).env(env);
    }

    @Test
    void badSettingsStopTheStartNamingKeyValueAndProblem() {
        assertStartFails("bad-action", Map.of("PORTCULLIS_AGENT_POLICY_ENABLED", "true",
                        "PORTCULLIS_AGENT_POLICY_BAN_ACTION", "BOUNCE it"),
                "portcullis.agent.policy.ban-action = BOUNCE it: not an access(5) action: BOUNCE");
        assertStartFails("bad-clients", Map.of("PORTCULLIS_AGENT_POLICY_ENABLED", "true",
                        "PORTCULLIS_AGENT_POLICY_CLIENTS", "192.0.2.1/24"),
                "portcullis.agent.policy.clients = 192.0.2.1/24");
        assertStartFails("no-export-file", Map.of("PORTCULLIS_AGENT_EXPORT_ENABLED", "true"),
                "portcullis.agent.export.file = (unset): the export is enabled but names no file");
        assertStartFails("no-nft", Map.of("PORTCULLIS_AGENT_NFT_ENABLED", "true",
                        "PORTCULLIS_AGENT_NFT_COMMAND", "/nonexistent/nft"),
                "portcullis.agent.nft.command = /nonexistent/nft: cannot run nft");
        assertStartFails("bad-hook", Map.of("PORTCULLIS_AGENT_NFT_ENABLED", "true",
                        "PORTCULLIS_AGENT_NFT_HOOK", "sideways"),
                "hook must be input, forward or prerouting");
    }

    @Test
    void withoutABrokerTheAgentLivesButIsNotReady() throws IOException {
        try (QuarkusApp app = agent("no-broker", Map.of("PORTCULLIS_AGENT_POLICY_ENABLED", "true",
                "PORTCULLIS_AGENT_POLICY_PORT", String.valueOf(FreePort.find())))
                .readyPath("/q/health/live").build()) {
            app.start();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> ready = app.get("/q/health/ready");
                assertEquals(503, ready.statusCode(), ready.body());
                assertTrue(ready.body().contains("\"replayLag\""), ready.body());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private void assertStartFails(String name, Map<String, String> env, String message) {
        QuarkusApp app = agent(name, env).build();
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, app::start);
            String log = app.log();
            assertTrue(log.contains(message), "expected '" + message + "' in:\n" + e.getMessage());
        } finally {
            app.close();
        }
    }

    private static int deadPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort(); // closed again: nothing listens there
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
