package dev.portcullis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Loopback port helpers for tests: find a free TCP port on 127.0.0.1 and wait until some other
 * process listens on a port.
 *
 * <p>{@link #awaitListening} reads {@code /proc/net/tcp} instead of connecting, so waiting for a
 * Postfix or smtp-sink listener does not open an SMTP session (which would show up in the maillog
 * and count against anvil connection limits). Where {@code /proc/net/tcp} cannot be read it falls
 * back to a TCP connect.
 */
public final class FreePort {

    /** 127.0.0.1 as an address object. */
    public static final InetAddress LOOPBACK = loopback();

    private static final Path PROC_NET_TCP = Path.of("/proc/net/tcp");

    private FreePort() {
    }

    /**
     * Ports are probed below Linux's ephemeral range (32768-60999 by default), not by binding port
     * 0: a test starts its server a while after the probe (a child JVM, the launcher's whole stack),
     * and meanwhile any outgoing connection on this busy machine may get a probed ephemeral port as
     * its local port (seen in CI: the content filter of FloodIT's stack could not bind its port).
     * A port is handed out once per JVM, so two probes never give the same one.
     */
    private static final int LOW = 16_000;
    private static final int HIGH = 32_000;
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Returns a TCP port on 127.0.0.1 that was free a moment ago (bound and released). */
    public static int find() {
        return findWith(0);
    }

    /** A port p such that p and p + offset were both free a moment ago; neither handed out before. */
    public static int findWith(int offset) {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 2_000; i++) {
            int p = LOW + random.nextInt(HIGH - LOW - offset);
            if (!HANDED_OUT.contains(p) && !HANDED_OUT.contains(p + offset) && bindable(p) && bindable(p + offset)
                    && HANDED_OUT.add(p)) {
                HANDED_OUT.add(p + offset);
                return p;
            }
        }
        throw new UncheckedIOException(new IOException("no free port (offset " + offset + ") between " + LOW
                + " and " + HIGH + " on 127.0.0.1"));
    }

    /** Whether 127.0.0.1:port can be bound right now. */
    public static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(LOOPBACK, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when a socket in LISTEN state is bound to 127.0.0.1:port (or 0.0.0.0:port). */
    public static boolean isListening(int port) {
        if (Files.isReadable(PROC_NET_TCP)) {
            try {
                return listeningInProc(Files.readAllLines(PROC_NET_TCP), port);
            } catch (IOException e) {
                // fall through to a connect probe
            }
        }
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static boolean listeningInProc(List<String> lines, int port) {
        String portHex = String.format(Locale.ROOT, "%04X", port);
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            // sl local_address rem_address st ...
            if (f.length < 4 || !f[0].endsWith(":")) {
                continue;
            }
            String local = f[1];
            if (!"0A".equals(f[3])) {
                continue; // not LISTEN
            }
            if (local.equals("0100007F:" + portHex) || local.equals("00000000:" + portHex)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Polls until {@code port} is listening, or fails when {@code alive} turns false (the process
     * that should listen died) or the deadline passes. {@code diagnostics} is appended to the error.
     */
    public static void awaitListening(int port, Duration timeout, BooleanSupplier alive,
                                      Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (isListening(port)) {
                return;
            }
            if (!alive.getAsBoolean()) {
                throw new IllegalStateException("process died before listening on 127.0.0.1:" + port
                        + "\n" + diagnostics.get());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("nothing listens on 127.0.0.1:" + port + " after "
                        + timeout + "\n" + diagnostics.get());
            }
            pause(20);
        }
    }

    /** Short wait inside fixture poll loops (not for tests). */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
