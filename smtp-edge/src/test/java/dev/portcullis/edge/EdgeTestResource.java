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
    private static volatile Path maillog;

    /** The edge's maillog_file (Postfix format). */
    public static Path maillog() {
        return Objects.requireNonNull(maillog, "edge not started");
    }

    public static SmtpSink sink() {
        return Objects.requireNonNull(sink, "next hop not started");
    }

    public static Path testMainCf() {
        return resource("/test-main.cf");
    }

    static Path resource(String name) {
        try {
            return Path.of(Objects.requireNonNull(EdgeTestResource.class.getResource(name), name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        sink = new SmtpSink();
        sink.start();
        try {
            maillog = java.nio.file.Files.createTempDirectory("portcullis-edge-log-").resolve("maillog");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Map.of(
                "postfix.smtpd_tls_security_level", "may",
                "postfix.smtpd_tls_cert_file", resource("/tls/cert.pem").toString(),
                "postfix.smtpd_tls_key_file", resource("/tls/key.pem").toString(),
                "postfix.maillog_file", maillog.toString(),
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
        if (maillog != null) {
            try {
                java.nio.file.Files.deleteIfExists(maillog);
                java.nio.file.Files.deleteIfExists(maillog.getParent());
            } catch (java.io.IOException ignored) {
                // the JVM's temp dir is cleaned by the OS; nothing else depends on it
            }
        }
    }
}
