package dev.portcullis.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Fills the edge's session-event buffer before the baseline is measured.
 *
 * <p>Why: without a broker the edge keeps every event it cannot send in a bounded buffer
 * (the emitter's, plus what the Kafka connector holds) and drops the rest. Held sessions
 * produce events fast (an Error and a Tarpit per reply), so that buffer is full by the time
 * they are measured; if it were empty at the baseline, its whole size would be charged to
 * the held sessions. So the baseline is taken with the buffer already full: a few sessions
 * pipeline {@code HELO} commands (each one an event, none delayed below
 * {@code smtpd_junk_command_limit}) until the edge reports its first dropped event.
 */
final class EventBufferPrimer {

    private static final int HELOS_PER_SESSION = 90; // below Postfix's smtpd_junk_command_limit (100)

    private EventBufferPrimer() {
    }

    /**
     * Runs priming sessions until {@code dropped} reports more than zero, for at most
     * {@code maxSessions} sessions and {@code maxMillis}. Returns the sessions run.
     */
    static int prime(InetSocketAddress target, List<InetAddress> sources, DoubleSupplier dropped,
                     int maxSessions, long maxMillis) throws IOException {
        byte[] burst = burst();
        long deadline = System.nanoTime() + maxMillis * 1_000_000L;
        int n = 0;
        while (n < maxSessions && System.nanoTime() < deadline) {
            if (n % 20 == 0 && dropped.getAsDouble() > 0) {
                break;
            }
            try (Socket s = new Socket()) {
                s.setSoTimeout(30_000);
                s.bind(new InetSocketAddress(sources.get(n % sources.size()), 0));
                s.connect(target, 10_000);
                OutputStream out = s.getOutputStream();
                out.write(burst);
                out.flush();
                drain(new BufferedInputStream(s.getInputStream()));
            }
            n++;
        }
        return n;
    }

    private static byte[] burst() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < HELOS_PER_SESSION; i++) {
            sb.append("HELO prime").append(i).append(".example.org\r\n");
        }
        return sb.append("QUIT\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Reads until the edge closes the session (after 221), at most 1 MiB. */
    private static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        long total = 0;
        int r;
        while ((r = in.read(buf)) >= 0 && total < (1 << 20)) {
            total += r;
        }
    }
}
