package dev.portcullis.testkit;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A misbehaving DNS server on 127.0.0.1 and an ephemeral UDP port, for the failure paths a
 * real server does not produce on demand: {@link Mode#SILENT} reads queries and never
 * answers (a server that drops packets), {@link Mode#SERVFAIL} answers every query with
 * SERVFAIL, {@link Mode#LATE} answers SERVFAIL only after a delay. It counts the queries it
 * got. One daemon thread; {@link #close()} stops it.
 */
public final class StubDnsServer implements AutoCloseable {

    public enum Mode { SILENT, SERVFAIL, LATE }

    private final DatagramSocket socket;
    private final Thread thread;
    private final AtomicInteger queries = new AtomicInteger();

    public StubDnsServer(Mode mode, Duration lateBy) throws SocketException {
        socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        thread = new Thread(() -> serve(mode, lateBy), "stub-dns-" + mode);
        thread.setDaemon(true);
        thread.start();
    }

    public StubDnsServer(Mode mode) throws SocketException {
        this(mode, Duration.ZERO);
    }

    public int port() {
        return socket.getLocalPort();
    }

    public String server() {
        return "127.0.0.1:" + port();
    }

    public int queries() {
        return queries.get();
    }

    private void serve(Mode mode, Duration lateBy) {
        byte[] buf = new byte[1500];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                return;
            }
            queries.incrementAndGet();
            if (mode == Mode.SILENT || p.getLength() < 12) {
                continue;
            }
            byte[] reply = java.util.Arrays.copyOf(p.getData(), p.getLength());
            reply[2] = (byte) (0x80 | (reply[2] & 0x79)); // QR, keep opcode and RD
            reply[3] = (byte) 0x82;                        // RA, rcode 2 = SERVFAIL
            for (int i = 6; i < 12; i++) {
                reply[i] = 0;                              // no answer/authority/additional records
            }
            DatagramPacket out = new DatagramPacket(reply, reply.length, p.getSocketAddress());
            if (mode == Mode.LATE) {
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(lateBy.toMillis());
                        socket.send(out);
                    } catch (IOException | InterruptedException e) {
                        // closed meanwhile
                    }
                }, "stub-dns-late");
                t.setDaemon(true);
                t.start();
            } else {
                try {
                    socket.send(out);
                } catch (IOException e) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
