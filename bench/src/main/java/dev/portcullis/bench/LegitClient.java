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

    private final List<InetSocketAddress> targets;
    private final List<InetAddress> sources;
    private final String sender;
    private final String recipient;
    private final int timeoutMillis;
    private final AtomicLong sequence = new AtomicLong();

    final Histogram latency = new Histogram(120_000);
    final AtomicInteger failures = new AtomicInteger();
    final AtomicReference<String> firstFailure = new AtomicReference<>();
    /** Paced slots skipped because the session before overran them (see runPaced). */
    final AtomicLong missedSlots = new AtomicLong();

    LegitClient(InetSocketAddress target, List<InetAddress> sources, String sender, String recipient,
                int timeoutMillis) {
        this(List.of(target), sources, sender, recipient, timeoutMillis);
    }

    /** Sessions go to the targets in turn (several edges behind one MX name). */
    LegitClient(List<InetSocketAddress> targets, List<InetAddress> sources, String sender, String recipient,
                int timeoutMillis) {
        this.targets = List.copyOf(targets);
        this.sources = List.copyOf(sources);
        this.sender = sender;
        this.recipient = recipient;
        this.timeoutMillis = timeoutMillis;
    }

    /** Runs sessions back to back until {@code deadlineNanos}, at most {@code maxSessions}. */
    void runUntil(long deadlineNanos, int maxSessions) {
        for (int i = 0; i < maxSessions && System.nanoTime() < deadlineNanos; i++) {
            timedSession();
        }
    }

    /**
     * Starts one session every {@code intervalMillis} until {@code deadlineNanos} (a steady
     * sender, as real mail arrives, rather than one that slows down when the server does): a
     * session that overruns its slot is followed at once by the next, and the slots it
     * overran are counted in {@link #missedSlots} (one sender, one session at a time: what a
     * stalled server costs it shows there and in the latency, not as a backlog run later).
     */
    void runPaced(long deadlineNanos, long intervalMillis) throws InterruptedException {
        long interval = intervalMillis * 1_000_000L;
        long next = System.nanoTime();
        while (next < deadlineNanos && System.nanoTime() < deadlineNanos) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
            }
            timedSession();
            next += interval;
            long now = Math.min(System.nanoTime(), deadlineNanos);
            if (next < now) {
                long behind = (now - next) / interval;
                missedSlots.addAndGet(behind);
                next += behind * interval;
            }
        }
    }


    /** Sessions started so far (successful or not). */
    long attempted() {
        return sequence.get();
    }

    private void timedSession() {
        long n = sequence.getAndIncrement();
        long start = System.nanoTime();
        try {
            session(sources.get((int) (n % sources.size())), targets.get((int) (n % targets.size())), n);
            latency.record((System.nanoTime() - start) / 1_000_000L);
        } catch (IOException | RuntimeException e) {
            failures.incrementAndGet();
            firstFailure.compareAndSet(null, e.toString());
        }
    }

    private void session(InetAddress source, InetSocketAddress target, long n) throws IOException {
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
        String line = SmtpReplies.read(in);
        if (SmtpReplies.code(line) != code) {
            throw new IOException("after " + after + ": " + (line.length() > 120 ? line.substring(0, 120) : line));
        }
    }
}
