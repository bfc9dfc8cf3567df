package dev.portcullis.edge;

import dev.portcullis.testkit.SmtpSink;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Runs the edge under test against a REAL next hop (Postfix's smtp-sink on a free loopback
 * port) with the shared test main.cf, and binds SMTP to an ephemeral port.
 */
public class EdgeTestResource implements QuarkusTestResourceLifecycleManager {

    private static volatile SmtpSink sink;

    public static SmtpSink sink() {
        return Objects.requireNonNull(sink, "next hop not started");
    }

    public static Path testMainCf() {
        try {
            return Path.of(Objects.requireNonNull(EdgeTestResource.class.getResource("/test-main.cf")).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        sink = new SmtpSink();
        sink.start();
        return Map.of(
                "portcullis.main-cf", testMainCf().toString(),
                "portcullis.next-hops", "127.0.0.1:" + sink.port(),
                "portcullis.smtp-port", "0",
                "portcullis.smtp-host", "127.0.0.1",
                "portcullis.edge-id", "edge-test",
                "portcullis.drain-timeout", "2s");
    }

    @Override
    public void stop() {
        if (sink != null) {
            sink.close();
            sink = null;
        }
    }
}
