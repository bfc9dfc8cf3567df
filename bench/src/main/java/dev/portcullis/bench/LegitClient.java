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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A well-behaved sender: complete clean sessions (EHLO, MAIL, RCPT, DATA, a small message,
 * QUIT) back to back, each timed from connect to the 221. Blocking sockets, one thread per
 * concurrent client; a session that gets any unexpected reply counts as a failure and its
 * first reply text is kept.
 */
final class LegitClient {

    private final InetSocketAddress target;
    private final List<InetAddress> sources;
    private final String sender;
    private final String recipient;
    private final int timeoutMillis;
    private final AtomicLong sequence = new AtomicLong();

    final Histogram latency = new Histogram(120_000);
    final AtomicInteger failures = new AtomicInteger();
    final AtomicReference<String> firstFailure = new AtomicReference<>();

    LegitClient(InetSocketAddress target, List<InetAddress> sources, String sender, String recipient,
                int timeoutMillis) {
        this.target = target;
        this.sources = List.copyOf(sources);
        this.sender = sender;
        this.recipient = recipient;
        this.timeoutMillis = timeoutMillis;
    }

    /** Runs sessions back to back until {@code deadlineNanos}, at most {@code maxSessions}. */
    void runUntil(long deadlineNanos, int maxSessions) {
        for (int i = 0; i < maxSessions && System.nanoTime() < deadlineNanos; i++) {
            long n = sequence.getAndIncrement();
            long start = System.nanoTime();
            try {
                session(sources.get((int) (n % sources.size())), n);
                latency.record((System.nanoTime() - start) / 1_000_000L);
            } catch (IOException | RuntimeException e) {
                failures.incrementAndGet();
                firstFailure.compareAndSet(null, e.toString());
            }
        }
    }

    private void session(InetAddress source, long n) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(timeoutMillis);
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(target, timeoutMillis);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            expect(in, 220, "banner");
            command(out, in, "EHLO legit" + (n % 1000) + ".example.org", 250);
            command(out, in, "MAIL FROM:<" + sender + ">", 250);
            command(out, in, "RCPT TO:<" + recipient + ">", 250);
            command(out, in, "DATA", 354);
            String message = "From: <" + sender + ">\r\n"
                    + "To: <" + recipient + ">\r\n"
                    + "Subject: portcullis bench " + n + "\r\n"
                    + "Message-ID: <bench." + n + "@example.org>\r\n"
                    + "\r\n"
                    + "A clean message from the legitimate client of HeldSessionsBench.\r\n"
                    + ".\r\n";
            out.write(message.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            expect(in, 250, "end of data");
            command(out, in, "QUIT", 221);
        }
    }

    private static void command(OutputStream out, InputStream in, String line, int code) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        expect(in, code, line.length() > 12 ? line.substring(0, 12) : line);
    }

    /** Reads one (possibly multi-line) reply and checks its code. */
    private static void expect(InputStream in, int code, String after) throws IOException {
        for (int lines = 0; lines < 100; lines++) {
            String line = readLine(in);
            if (line.length() < 3) {
                throw new IOException("short reply after " + after + ": " + line);
            }
            if (line.length() > 3 && line.charAt(3) == '-') {
                continue;
            }
            if (!line.startsWith(Integer.toString(code))) {
                throw new IOException("after " + after + ": " + (line.length() > 120 ? line.substring(0, 120) : line));
            }
            return;
        }
        throw new IOException("reply of more than 100 lines after " + after);
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int i = 0; i < 2048; i++) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed by the edge");
            }
            if (b == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) b);
        }
        throw new IOException("reply line longer than 2048 bytes");
    }
}
