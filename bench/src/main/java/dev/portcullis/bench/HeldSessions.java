package dev.portcullis.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Opens and holds many tarpitted SMTP sessions from one selector thread.
 *
 * <p>How: each session connects from the next source address in turn, waits for the 220
 * banner, and then sends {@code BOGUS} after every reply, one command at a time. The edge
 * answers the first one at once (500, error count 1) and, with {@code smtpd_soft_error_limit
 * = 1}, every later reply after {@code smtpd_error_sleep_time}: a held session costs the
 * edge one unknown command per sleep time, for as long as it likes. A session is "held"
 * from its first 500 on, when its second command is already waiting in the edge's tarpit.
 *
 * <p>Opening is paced: at most {@code maxPending} sessions may be connecting or awaiting
 * their first reply, so the edge's accept backlog never overflows. All state lives on the
 * selector thread; the counters are atomics so the caller can read progress.
 */
final class HeldSessions implements Runnable {

    private static final byte[] BOGUS = "BOGUS\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Reply lines longer than this are cut; only the code and a short text are looked at. */
    private static final int LINE_KEEP = 160;

    private enum State { CONNECTING, BANNER, WAITING, DEAD }

    private final InetSocketAddress target;
    private final List<InetAddress> sources;
    private final int wanted;
    private final int maxPending;
    private final long openDeadlineNanos;
    private final Selector selector;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(16 * 1024);
    private final Thread thread;

    private volatile boolean stopping;
    private volatile boolean opening = true;
    private int started;
    private int pending;

    final AtomicInteger connected = new AtomicInteger();
    final AtomicInteger held = new AtomicInteger();
    /** Held sessions that ended before the bench closed them (edge closed, reset, 421). */
    final AtomicInteger lostAfterHeld = new AtomicInteger();
    /** Sessions that never got held (connect refused, bad banner, closed early). */
    final AtomicInteger failedBeforeHeld = new AtomicInteger();
    final AtomicLong replies = new AtomicLong();
    final AtomicLong unexpectedReplies = new AtomicLong();
    final AtomicReference<String> firstProblem = new AtomicReference<>();
    /** Time from sending BOGUS to its (tarpitted) reply, for every reply after the first. */
    final Histogram tarpitLatency = new Histogram(120_000);

    HeldSessions(InetSocketAddress target, List<InetAddress> sources, int wanted, int maxPending,
                 long openTimeoutMillis) throws IOException {
        this.target = target;
        this.sources = List.copyOf(sources);
        this.wanted = wanted;
        this.maxPending = maxPending;
        this.openDeadlineNanos = System.nanoTime() + openTimeoutMillis * 1_000_000L;
        this.selector = Selector.open();
        this.thread = new Thread(this, "held-sessions-selector");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Stops opening new sessions (the ones open are kept). */
    void stopOpening() {
        opening = false;
    }

    boolean openingDone() {
        return !opening;
    }

    /** Closes every session and ends the selector thread; waits at most {@code millis}. */
    void close(long millis) throws InterruptedException {
        stopping = true;
        selector.wakeup();
        thread.join(millis);
    }

    int alive() {
        return held.get() - lostAfterHeld.get();
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (IOException | RuntimeException e) {
            problem("selector thread: " + e);
        } finally {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // nothing left to do
            }
        }
    }

    private void loop() throws IOException {
        while (!stopping) {
            if (opening) {
                openMore();
            }
            selector.select(50);
            var it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                Session s = (Session) key.attachment();
                try {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isConnectable()) {
                        finishConnect(key, s);
                    }
                    if (key.isValid() && key.isWritable()) {
                        flush(key, s);
                    }
                    if (key.isValid() && key.isReadable()) {
                        read(key, s);
                    }
                } catch (IOException e) {
                    dead(key, s, "I/O: " + e.getMessage());
                }
            }
        }
    }

    private void openMore() {
        if (System.nanoTime() > openDeadlineNanos) {
            problem("open timeout: " + started + " started, " + held.get() + " held");
            opening = false;
            return;
        }
        if (started >= wanted) {
            if (pending == 0) {
                opening = false;
            }
            return;
        }
        // Too many failures means the edge or the host is refusing: stop instead of spinning.
        if (failedBeforeHeld.get() > Math.max(100, wanted / 50)) {
            problem("too many failed sessions, stopped opening at " + started);
            opening = false;
            return;
        }
        while (started < wanted && pending < maxPending) {
            InetAddress source = sources.get(started % sources.size());
            started++;
            pending++;
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open();
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.bind(new InetSocketAddress(source, 0));
                Session s = new Session();
                if (ch.connect(target)) {
                    SelectionKey key = ch.register(selector, SelectionKey.OP_READ, s);
                    connected(s);
                    key.interestOps(SelectionKey.OP_READ);
                } else {
                    ch.register(selector, SelectionKey.OP_CONNECT, s);
                }
            } catch (IOException e) {
                pending--;
                failedBeforeHeld.incrementAndGet();
                problem("connect from " + source.getHostAddress() + ": " + e);
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // already failing
                    }
                }
                return;
            }
        }
    }

    private void finishConnect(SelectionKey key, Session s) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        if (ch.finishConnect()) {
            connected(s);
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void connected(Session s) {
        s.state = State.BANNER;
        connected.incrementAndGet();
    }

    private void read(SelectionKey key, Session s) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        for (int rounds = 0; rounds < 8; rounds++) {
            readBuffer.clear();
            int n = ch.read(readBuffer);
            if (n < 0) {
                dead(key, s, "closed by the edge");
                return;
            }
            if (n == 0) {
                return;
            }
            readBuffer.flip();
            while (readBuffer.hasRemaining()) {
                byte b = readBuffer.get();
                if (b == '\n') {
                    line(key, s);
                    if (s.state == State.DEAD) {
                        return;
                    }
                    s.len = 0;
                } else if (b != '\r' && s.len < s.line.length) {
                    s.line[s.len++] = b;
                }
            }
        }
    }

    /** One reply line: only the last line of a reply (code followed by a space) counts. */
    private void line(SelectionKey key, Session s) throws IOException {
        if (s.len >= 4 && s.line[3] == '-') {
            return;
        }
        int code = s.len >= 3 ? parseCode(s) : -1;
        long now = System.nanoTime();
        switch (s.state) {
            case BANNER -> {
                if (code != 220) {
                    unexpected(s, "banner");
                    dead(key, s, "no 220 banner");
                    return;
                }
                s.state = State.WAITING;
                send(key, s, now);
            }
            case WAITING -> {
                if (code < 500 || code > 599) {
                    // 421 is the edge ending the session: the hard limit, or a drain
                    unexpected(s, "reply to BOGUS");
                    if (code == 421) {
                        dead(key, s, "421 from the edge");
                        return;
                    }
                }
                replies.incrementAndGet();
                s.replies++;
                if (s.replies == 1) {
                    s.held = true;
                    pending--;
                    held.incrementAndGet();
                } else {
                    tarpitLatency.record((now - s.sentAt) / 1_000_000L);
                }
                send(key, s, now);
            }
            default -> {
                // a late line on a session we gave up on
            }
        }
    }

    private static int parseCode(Session s) {
        int code = 0;
        for (int i = 0; i < 3; i++) {
            byte b = s.line[i];
            if (b < '0' || b > '9') {
                return -1;
            }
            code = code * 10 + (b - '0');
        }
        return code;
    }

    private void send(SelectionKey key, Session s, long now) throws IOException {
        s.sentAt = now;
        s.out = ByteBuffer.wrap(BOGUS);
        flush(key, s);
    }

    private void flush(SelectionKey key, Session s) throws IOException {
        if (s.out == null) {
            key.interestOps(SelectionKey.OP_READ);
            return;
        }
        ((SocketChannel) key.channel()).write(s.out);
        if (s.out.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        } else {
            s.out = null;
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void unexpected(Session s, String where) {
        unexpectedReplies.incrementAndGet();
        problem("unexpected " + where + ": " + new String(s.line, 0, Math.min(s.len, 100), StandardCharsets.ISO_8859_1));
    }

    private void dead(SelectionKey key, Session s, String why) {
        if (s.state == State.DEAD) {
            return;
        }
        boolean wasConnecting = s.state == State.CONNECTING;
        s.state = State.DEAD;
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // it is gone either way
        }
        if (stopping) {
            return;
        }
        if (s.held) {
            lostAfterHeld.incrementAndGet();
        } else {
            pending--;
            failedBeforeHeld.incrementAndGet();
        }
        problem((wasConnecting ? "connect failed: " : "session lost: ") + why);
    }

    private void problem(String text) {
        firstProblem.compareAndSet(null, text);
    }

    private static final class Session {
        State state = State.CONNECTING;
        final byte[] line = new byte[LINE_KEEP];
        int len;
        long sentAt;
        int replies;
        boolean held;
        ByteBuffer out;
    }
}
