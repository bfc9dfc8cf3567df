package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.SmtpReply;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * One SMTP connection to a next hop, already greeted and EHLO'd, carrying the edge's client's
 * mail transactions one command at a time (no pipelining).
 *
 * <p>Every method may be called from any thread; the work runs on the event loop of the
 * {@link Context} the session was opened for, and futures complete there. Commands must not
 * overlap: wait for one future before the next command (a second command while one is pending
 * fails with {@link IllegalStateException}).
 *
 * <p>Futures of {@link #mail}, {@link #rcpt}, {@link #data}, {@link #endData} and
 * {@link #rset} <em>succeed</em> with the next hop's reply when it is the expected positive
 * class (2xx; 354 for DATA) or a 4xx/5xx, which the edge passes through to its client. They
 * <em>fail</em> with a {@link NextHopException} on timeout, lost connection, garbage, or an
 * out-of-protocol positive reply; the session is then closed, and the edge answers
 * {@link ProxyReplies#forFailure}. After a failure every further call fails the same way.
 *
 * <p>If the next hop answers 4xx/5xx in the middle of DATA (before the final dot, as
 * {@code smtp-sink -A} or a size-enforcing server may), the reply is kept: further
 * {@link #write}s are discarded and complete at once, and {@link #endData} returns that
 * reply without sending the dot and closes the session, whose state is then unknown.
 */
public final class ProxySession {

    private static final Logger LOG = Logger.getLogger(ProxySession.class);

    /** One enum instead of a handful of booleans. */
    private enum State {
        /** Connected, banner and EHLO not yet done. */
        GREETING,
        /** Ready for MAIL, RCPT, DATA or RSET. */
        IDLE,
        /** A command was sent, its reply is awaited. */
        COMMAND,
        /** After 354: message content is streamed with {@link #write}. */
        DATA,
        /** The final dot was sent, its reply is awaited. */
        DOT,
        CLOSED
    }

    /** A command waiting for its reply. */
    private record Pending(Promise<SmtpReply> promise, int expectClass, String what,
                           State onExpected, State onNegative) {
    }

    private final Vertx vertx;
    private final Context context;
    private final NetSocket socket;
    private final NextHop hop;
    private final long timeoutMillis;
    private final ReplyParser parser;

    private State state = State.GREETING;
    private Pending pending;
    private long replyTimer = -1;
    private NextHopException failure;
    private SmtpReply earlyReply;
    private final ArrayDeque<Promise<Void>> drainWaiters = new ArrayDeque<>();
    private long drainTimer = -1;

    private Set<String> extensions = Set.of();
    private long sizeLimit = -1;

    ProxySession(Vertx vertx, Context context, NetSocket socket, NextHop hop, long timeoutMillis,
                 int maxReplyLineLength, int maxReplyLines) {
        this.vertx = vertx;
        this.context = context;
        this.socket = socket;
        this.hop = hop;
        this.timeoutMillis = timeoutMillis;
        this.parser = new ReplyParser(new ReplyParser.Listener() {
            @Override
            public void onReply(SmtpReply reply) {
                handleReply(reply);
            }

            @Override
            public void onGarbage(String why) {
                fail(NextHopException.Kind.PROTOCOL, "garbage from next hop: " + why);
            }
        }, maxReplyLineLength, maxReplyLines);
    }

    /** The hop this session talks to. */
    public NextHop nextHop() {
        return hop;
    }

    /** EHLO keywords the next hop announced, upper case (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ...). */
    public Set<String> extensions() {
        return extensions;
    }

    public boolean supports(String extension) {
        return extensions.contains(extension.toUpperCase(Locale.ROOT));
    }

    /** The next hop's SIZE limit, when it announced one other than 0 (no limit). */
    public OptionalLong sizeLimit() {
        return sizeLimit > 0 ? OptionalLong.of(sizeLimit) : OptionalLong.empty();
    }

    /** False once the session failed or was closed. */
    public boolean isOpen() {
        return state != State.CLOSED;
    }

    /**
     * MAIL FROM. {@code mailArgs} is the argument the client sent ({@code FROM:<a@b> SIZE=123
     * BODY=8BITMIME}), already validated by the edge; parameters of extensions the next hop
     * did not announce are dropped.
     */
    public Future<SmtpReply> mail(String mailArgs) {
        return onContext(() -> idleCommand("MAIL ", mailArgs, "MAIL"));
    }

    /** RCPT TO, with {@code rcptArgs} like {@code TO:<c@d> NOTIFY=NEVER}; unsupported parameters dropped. */
    public Future<SmtpReply> rcpt(String rcptArgs) {
        return onContext(() -> idleCommand("RCPT ", rcptArgs, "RCPT"));
    }

    /** DATA; the expected reply is 354, after which the content goes through {@link #write}. */
    public Future<SmtpReply> data() {
        return onContext(() -> {
            Future<SmtpReply> refused = refuse(State.IDLE, "DATA");
            return refused != null ? refused : send("DATA\r\n", State.COMMAND, 3, "DATA", State.DATA, State.IDLE);
        });
    }

    /**
     * Streams a chunk of message content, already in wire form (CRLF line ends, dot-stuffed).
     * The buffer is handed to the socket: do not modify it afterwards. The future completes at
     * once while the socket's write queue is below its high-water mark, otherwise when it has
     * drained ({@code writeQueueFull()} and {@code drainHandler}); meanwhile the edge should
     * pause its client. No drain within the timeout fails the session.
     */
    public Future<Void> write(Buffer wireBytes) {
        return onContext(() -> {
            if (earlyReply != null) {
                return Future.succeededFuture();
            }
            if (state == State.CLOSED) {
                return Future.failedFuture(failure);
            }
            if (state != State.DATA) {
                return Future.failedFuture(new IllegalStateException("write() outside DATA, state " + state));
            }
            socket.write(wireBytes);
            if (!socket.writeQueueFull()) {
                return Future.succeededFuture();
            }
            Promise<Void> waiter = Promise.promise();
            drainWaiters.add(waiter);
            if (drainTimer < 0) {
                drainTimer = vertx.setTimer(timeoutMillis, id -> {
                    drainTimer = -1;
                    fail(NextHopException.Kind.TIMEOUT,
                            "timeout after " + timeoutMillis + " ms writing message content");
                });
            }
            return waiter.future();
        });
    }

    /** Sends the final {@code .\r\n} (the edge guarantees the content ended with CRLF) and returns the verdict. */
    public Future<SmtpReply> endData() {
        return onContext(() -> {
            if (earlyReply != null) {
                SmtpReply reply = earlyReply;
                earlyReply = null;
                closeNow(false);
                return Future.succeededFuture(reply);
            }
            Future<SmtpReply> refused = refuse(State.DATA, "end of data");
            return refused != null ? refused : send(".\r\n", State.DOT, 2, "end of data", State.IDLE, State.IDLE);
        });
    }

    /** RSET: abort the transaction, the session stays usable. */
    public Future<SmtpReply> rset() {
        return onContext(() -> {
            Future<SmtpReply> refused = refuse(State.IDLE, "RSET");
            return refused != null ? refused : send("RSET\r\n", State.COMMAND, 2, "RSET", State.IDLE, State.IDLE);
        });
    }

    /**
     * Sends QUIT (unless in the middle of DATA, where it would become message content and the
     * abrupt close is what aborts the transaction) and closes the socket without waiting for
     * the reply. A pending command fails with {@link NextHopException.Kind#CLOSED}. Idempotent.
     */
    public void close() {
        onContext(() -> {
            closeNow(true);
            return Future.succeededFuture();
        });
    }

    // ---------------------------------------------------------------- internals, on the context

    /** Banner then EHLO; completes with this session or fails with the reason (session closed). */
    Future<ProxySession> handshake(String ehloName) {
        socket.handler(data -> {
            try {
                parser.feed(data);
            } catch (RuntimeException e) {
                LOG.error("bug while reading reply from " + hop, e);
                fail(NextHopException.Kind.PROTOCOL, "internal error reading reply: " + e);
            }
        });
        socket.closeHandler(v -> fail(NextHopException.Kind.LOST_CONNECTION,
                "lost connection with next hop" + (state == State.DATA ? " during DATA" : "")));
        socket.exceptionHandler(e -> fail(NextHopException.Kind.LOST_CONNECTION,
                "connection error: " + NextHop.quote(String.valueOf(e.getMessage()))));
        socket.drainHandler(v -> drained());

        Promise<SmtpReply> banner = Promise.promise();
        await(new Pending(banner, 2, "banner", State.GREETING, State.GREETING));
        return banner.future()
                .compose(reply -> reply.isPositive()
                        ? send("EHLO " + ehloName + "\r\n", State.GREETING, 2, "EHLO", State.GREETING, State.GREETING)
                        : refusedGreeting("banner", reply))
                .compose(reply -> {
                    if (!reply.isPositive()) {
                        return refusedGreeting("EHLO", reply);
                    }
                    parseEhlo(reply);
                    state = State.IDLE;
                    return Future.succeededFuture(this);
                })
                .onFailure(e -> closeNow(true));
    }

    private static <T> Future<T> refusedGreeting(String what, SmtpReply reply) {
        return Future.failedFuture(new NextHopException(NextHopException.Kind.UNEXPECTED_REPLY,
                what + " refused: " + NextHop.quote(reply.toString())));
    }

    private void parseEhlo(SmtpReply reply) {
        Set<String> found = new HashSet<>();
        for (int i = 1; i < reply.lines().size(); i++) {
            String[] words = reply.lines().get(i).strip().split("[ \t]+");
            if (words[0].isEmpty()) {
                continue;
            }
            String keyword = words[0].toUpperCase(Locale.ROOT);
            found.add(keyword);
            if (keyword.equals("SIZE") && words.length > 1) {
                try {
                    sizeLimit = Long.parseLong(words[1]);
                } catch (NumberFormatException e) {
                    sizeLimit = -1;
                }
            }
        }
        extensions = Collections.unmodifiableSet(found);
    }

    private Future<SmtpReply> idleCommand(String verb, String args, String what) {
        Future<SmtpReply> refused = refuse(State.IDLE, what);
        if (refused != null) {
            return refused;
        }
        String filtered;
        try {
            filtered = EsmtpParameters.filter(args, extensions);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
        }
        return send(verb + filtered + "\r\n", State.COMMAND, 2, what, State.IDLE, State.IDLE);
    }

    /** A failed future when the session is not in {@code required} state, else null. */
    private <T> Future<T> refuse(State required, String what) {
        if (state == State.CLOSED) {
            return Future.failedFuture(failure);
        }
        if (state != required) {
            return Future.failedFuture(new IllegalStateException(what + " not allowed in state " + state));
        }
        return null;
    }

    private Future<SmtpReply> send(String line, State during, int expectClass, String what,
                                   State onExpected, State onNegative) {
        Promise<SmtpReply> promise = Promise.promise();
        state = during;
        await(new Pending(promise, expectClass, what, onExpected, onNegative));
        socket.write(line);
        return promise.future();
    }

    private void await(Pending p) {
        pending = p;
        replyTimer = vertx.setTimer(timeoutMillis, id -> {
            if (replyTimer == id) {
                replyTimer = -1;
                fail(NextHopException.Kind.TIMEOUT,
                        "timeout after " + timeoutMillis + " ms waiting for reply to " + p.what());
            }
        });
    }

    private void handleReply(SmtpReply reply) {
        if (state == State.CLOSED) {
            return;
        }
        Pending p = pending;
        if (p == null) {
            if (state == State.DATA && earlyReply == null && reply.code() >= 400) {
                // Rejected before the final dot: keep the verdict for endData().
                earlyReply = reply;
                completeDrainWaiters();
                return;
            }
            fail(NextHopException.Kind.PROTOCOL, "unsolicited reply: " + NextHop.quote(reply.toString()));
            return;
        }
        int replyClass = reply.code() / 100;
        if (replyClass < 4 && replyClass != p.expectClass()) {
            // Postfix 2.6+ smtpd_proxy_cmd(): unexpected 2xx/3xx become a generic 451.
            fail(NextHopException.Kind.UNEXPECTED_REPLY,
                    "unexpected reply to " + p.what() + ": " + NextHop.quote(reply.toString()));
            return;
        }
        pending = null;
        cancelReplyTimer();
        state = replyClass == p.expectClass() ? p.onExpected() : p.onNegative();
        p.promise().complete(reply);
    }

    private void drained() {
        if (state == State.CLOSED || socket.writeQueueFull()) {
            return;
        }
        completeDrainWaiters();
    }

    private void completeDrainWaiters() {
        if (drainTimer >= 0) {
            vertx.cancelTimer(drainTimer);
            drainTimer = -1;
        }
        Promise<Void> w;
        while ((w = drainWaiters.poll()) != null) {
            w.complete();
        }
    }

    /** Ends the session with a failure; pending futures fail with it. No-op when already closed. */
    private void fail(NextHopException.Kind kind, String reason) {
        if (state == State.CLOSED) {
            return;
        }
        LOG.warnf("next hop %s: %s", hop, reason);
        state = State.CLOSED;
        failure = new NextHopException(kind, hop + ": " + reason);
        release();
        socket.close();
    }

    private void closeNow(boolean quit) {
        if (state == State.CLOSED) {
            return;
        }
        boolean sendQuit = quit && state != State.DATA;
        state = State.CLOSED;
        failure = new NextHopException(NextHopException.Kind.CLOSED, hop + ": session closed");
        release();
        if (sendQuit) {
            socket.write("QUIT\r\n");
        }
        socket.close();
    }

    private void release() {
        cancelReplyTimer();
        if (drainTimer >= 0) {
            vertx.cancelTimer(drainTimer);
            drainTimer = -1;
        }
        Pending p = pending;
        pending = null;
        if (p != null) {
            p.promise().tryFail(failure);
        }
        Promise<Void> w;
        while ((w = drainWaiters.poll()) != null) {
            w.tryFail(failure);
        }
    }

    private void cancelReplyTimer() {
        if (replyTimer >= 0) {
            vertx.cancelTimer(replyTimer);
            replyTimer = -1;
        }
    }

    /** Runs {@code op} on the session's context; nothing it throws escapes to the event loop. */
    private <T> Future<T> onContext(Supplier<Future<T>> op) {
        if (Vertx.currentContext() == context) {
            return guarded(op);
        }
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> guarded(op).onComplete(promise));
        return promise.future();
    }

    private <T> Future<T> guarded(Supplier<Future<T>> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            LOG.error("bug in next-hop session with " + hop, e);
            fail(NextHopException.Kind.PROTOCOL, "internal error: " + e);
            return Future.failedFuture(e);
        }
    }
}
