package dev.portcullis.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny blocking SMTP client for tests that need to see exact bytes: no pipelining logic, no
 * dot-stuffing, no retries. Used against real Postfix and against the edge alike.
 *
 * <pre>{@code
 * try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", port)) {
 *     assertEquals(220, c.readReply().code());
 *     Reply ehlo = c.command("EHLO client.example");
 *     c.sendRaw("hello\r\n.\r\n".getBytes(US_ASCII));
 * }
 * }</pre>
 *
 * <p>Every read uses the socket timeout (default 10 s); a read that times out throws
 * {@link SocketTimeoutException}, a connection closed before a complete reply throws
 * {@link EOFException}.
 */
public final class SmtpTestClient implements AutoCloseable {

    /** Default socket read timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final int MAX_LINE = 64 * 1024;

    /**
     * One complete SMTP reply.
     *
     * @param code  the reply code of the last line
     * @param lines every line as received, without CRLF (e.g. {@code "250-PIPELINING"})
     */
    public record Reply(int code, List<String> lines) {
        public Reply {
            lines = List.copyOf(lines);
        }

        /** The last line, e.g. {@code "250 2.0.0 Ok"}. */
        public String lastLine() {
            return lines.get(lines.size() - 1);
        }

        /** All lines joined with CRLF, without the final CRLF (the reply as on the wire). */
        public String text() {
            return String.join("\r\n", lines);
        }

        public boolean isMultiline() {
            return lines.size() > 1;
        }

        @Override
        public String toString() {
            return String.join(" | ", lines);
        }
    }

    /**
     * A reply and how long the client waited for it, in milliseconds: from the later of the last
     * {@code send}/{@code sendRaw} and the end of the previous reply (or the connect), to the
     * arrival of the reply's last line.
     */
    public record TimedReply(Reply reply, long millis) {
        public int code() {
            return reply.code();
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private long waitStartNanos;
    private byte[] lastReplyBytes = new byte[0];

    /** A client over a socket that is already connected (e.g. one just upgraded to TLS). */
    public static SmtpTestClient over(Socket socket) throws IOException {
        return new SmtpTestClient(socket);
    }

    private SmtpTestClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new java.io.BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.waitStartNanos = System.nanoTime();
    }

    public static SmtpTestClient connect(String host, int port) throws IOException {
        return connect(host, port, null, DEFAULT_TIMEOUT);
    }

    public static SmtpTestClient connect(String host, int port, Duration timeout) throws IOException {
        return connect(host, port, null, timeout);
    }

    /**
     * @param localAddress source address to bind (e.g. {@code "127.0.0.66"} to appear as another
     *                     client), or null for the default
     */
    public static SmtpTestClient connect(String host, int port, String localAddress, Duration timeout)
            throws IOException {
        Socket s = new Socket();
        try {
            if (localAddress != null) {
                s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
            }
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            return new SmtpTestClient(s);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Changes the read timeout for subsequent reads. */
    public SmtpTestClient timeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        return this;
    }

    /** Sends {@code line} followed by CRLF (UTF-8). */
    public void send(String line) throws IOException {
        sendRaw((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Sends bytes exactly as given. */
    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        waitStartNanos = System.nanoTime();
    }

    /** {@link #send} then {@link #readReply}. */
    public Reply command(String line) throws IOException {
        send(line);
        return readReply();
    }

    /** {@link #send} then {@link #readReplyTimed}. */
    public TimedReply commandTimed(String line) throws IOException {
        send(line);
        return readReplyTimed();
    }

    /** Reads one complete (possibly multi-line) reply. */
    public Reply readReply() throws IOException {
        return readReplyTimed().reply();
    }

    /** Reads one complete reply and reports how long the client waited for it. */
    public TimedReply readReplyTimed() throws IOException {
        long start = waitStartNanos;
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        while (true) {
            byte[] lineBytes = readLineBytes();
            raw.write(lineBytes);
            String line = stripEol(new String(lineBytes, StandardCharsets.UTF_8));
            lines.add(line);
            if (line.length() < 3 || !isDigits(line.substring(0, 3))) {
                throw new IOException("malformed reply line: " + line + " (after " + lines + ")");
            }
            if (line.length() == 3 || line.charAt(3) == ' ') {
                long end = System.nanoTime();
                waitStartNanos = end;
                lastReplyBytes = raw.toByteArray();
                Reply reply = new Reply(Integer.parseInt(line.substring(0, 3)), lines);
                return new TimedReply(reply, (end - start) / 1_000_000);
            }
            if (line.charAt(3) != '-') {
                throw new IOException("malformed reply line: " + line);
            }
        }
    }

    /** The bytes of the last complete reply, line endings included (to check for CRLF). */
    public byte[] lastReplyBytes() {
        return lastReplyBytes.clone();
    }

    /**
     * Waits until the server closes the connection, up to {@code timeout}. Returns true on EOF
     * (or reset), false if the connection is still open; fails if the server sends data instead.
     */
    public boolean awaitClose(Duration timeout) throws IOException {
        int saved = socket.getSoTimeout();
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        try {
            int b = in.read();
            if (b < 0) {
                return true;
            }
            throw new IOException("expected close, server sent data starting with byte " + b);
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true; // connection reset
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(saved);
            }
        }
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private byte[] readLineBytes() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException(line.size() == 0
                        ? "connection closed by server"
                        : "connection closed by server in the middle of a line: "
                                + line.toString(StandardCharsets.UTF_8));
            }
            line.write(b);
            if (b == '\n') {
                return line.toByteArray();
            }
            if (line.size() > MAX_LINE) {
                throw new IOException("reply line longer than " + MAX_LINE + " bytes");
            }
        }
    }

    private static String stripEol(String s) {
        int end = s.length();
        if (end > 0 && s.charAt(end - 1) == '\n') {
            end--;
        }
        if (end > 0 && s.charAt(end - 1) == '\r') {
            end--;
        }
        return s.substring(0, end);
    }

    private static boolean isDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
