package dev.portcullis.edge;

import dev.portcullis.testkit.SmtpSink;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.HashMap;
import java.util.Map;

/**
 * An edge with deliberately small event buffers and short timeouts, so that a broker outage
 * fills them within a test's worth of traffic, and an idle client is timed out quickly; also
 * {@code smtpd_forbid_bare_newline = reject} and a low {@code default_process_limit}.
 */
public class SmallBusBufferResource implements QuarkusTestResourceLifecycleManager {

    private static volatile SmtpSink sink;
    private static volatile java.nio.file.Path maillog;

    public static SmtpSink sink() {
        return sink;
    }

    @Override
    public Map<String, String> start() {
        sink = new SmtpSink().start();
        Map<String, String> c = new HashMap<>();
        c.put("portcullis.main-cf", EdgeTestResource.testMainCf().toString());
        c.put("portcullis.next-hops", "127.0.0.1:" + sink.port());
        c.put("portcullis.smtp-port", "0");
        c.put("portcullis.smtp-host", "127.0.0.1");
        c.put("portcullis.edge-id", "edge-small-buffer");
        c.put("postfix.smtpd_timeout", "2s");
        try {
            maillog = java.nio.file.Files.createTempFile("portcullis-small-buffer-", ".maillog");
            c.put("postfix.maillog_file", maillog.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        c.put("postfix.smtpd_forbid_bare_newline", "reject");
        c.put("postfix.default_process_limit", "30");
        c.put("mp.messaging.emitter.default-buffer-size", "40");
        c.put("mp.messaging.outgoing.session-events.max-inflight-messages", "8");
        c.put("mp.messaging.outgoing.session-events.max.block.ms", "1000");
        c.put("mp.messaging.outgoing.session-events.request.timeout.ms", "1500");
        c.put("mp.messaging.outgoing.session-events.delivery.timeout.ms", "3000");
        c.put("mp.messaging.outgoing.session-events.linger.ms", "0");
        return c;
    }

    @Override
    public void stop() {
        if (maillog != null) {
            try {
                java.nio.file.Files.deleteIfExists(maillog);
            } catch (java.io.IOException ignored) {
                // a leftover temp file harms nothing
            }
        }
        if (sink != null) {
            sink.close();
            sink = null;
        }
    }
}
