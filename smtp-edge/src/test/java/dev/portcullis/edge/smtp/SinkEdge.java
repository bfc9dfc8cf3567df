package dev.portcullis.edge.smtp;

import dev.portcullis.testkit.SmtpSink;
import dev.portcullis.testkit.SmtpTestClient;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A hand-built edge relaying to a real smtp-sink, from main.cf lines over the base the tests
 * of what reaches the next hop share (myhostname edge.portcullis.test, mydestination
 * ours.example, mynetworks 192.0.2.0/24, no error sleep). Its mail log is {@code dir/maillog}.
 */
final class SinkEdge implements AutoCloseable {

    private static final List<String> BASE = List.of("myhostname = edge.portcullis.test",
            "mydestination = ours.example", "mynetworks = 192.0.2.0/24", "smtpd_error_sleep_time = 0s");

    final SmtpSink sink;
    final HandBuiltEdge edge;
    final Path maillog;

    private SinkEdge(SmtpSink sink, HandBuiltEdge edge, Path maillog) {
        this.sink = sink;
        this.edge = edge;
        this.maillog = maillog;
    }

    /** Starts both, or skips the test (an assumption) where smtp-sink is not installed. */
    static SinkEdge start(Path dir, String... mainCf) throws Exception {
        Assumptions.assumeTrue(SmtpSink.available(), "smtp-sink not available");
        SmtpSink sink = new SmtpSink().start();
        try {
            List<String> cf = new ArrayList<>(BASE);
            cf.addAll(List.of(mainCf));
            Path maillog = dir.resolve("maillog");
            return new SinkEdge(sink, new HandBuiltEdge(String.join("\n", cf), "127.0.0.1:" + sink.port(), maillog),
                    maillog);
        } catch (Exception | Error e) {
            sink.close();
            throw e;
        }
    }

    /** A session from {@code clientIp} that has been greeted and said EHLO and MAIL FROM:<a@b.example>. */
    SmtpTestClient mailFrom(String clientIp) throws IOException {
        SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", edge.port(), clientIp, Duration.ofSeconds(10));
        c.readReply();
        c.command("EHLO good.example");
        c.command("MAIL FROM:<a@b.example>");
        return c;
    }

    String maillog() throws IOException {
        return Files.readString(maillog);
    }

    @Override
    public void close() throws Exception {
        try {
            edge.close();
        } finally {
            sink.close();
        }
    }
}
