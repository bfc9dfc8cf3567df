package dev.portcullis.edge.relay;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

/**
 * Opens SMTP sessions to the next-hop MTAs, the way Postfix's smtpd opens its
 * {@code smtpd_proxy_filter} connection: connect, read the banner, send EHLO, and hand the
 * session to the caller for MAIL, RCPT, DATA. Non-blocking, on the caller's event loop.
 *
 * <h2>Hop selection</h2>
 * Each {@link #open} starts at the next hop in a round-robin (a shared counter modulo the
 * number of hops, so successive sessions spread over all hops) and tries every hop at most
 * once, in list order from there, wrapping around. It moves to the following hop when the
 * connect fails or times out, or the banner or EHLO reply is missing, late, not 2xx, or
 * garbage. When every hop failed, the future fails with {@link NextHopUnavailableException}
 * listing each hop's reason. There is no memory of dead hops between calls: a dead first
 * choice costs each session one connect attempt (refused at once, or up to the timeout).
 *
 * <h2>Limits (constructor arguments)</h2>
 * <ul>
 * <li>{@code timeout}: Postfix {@code smtpd_proxy_timeout} (default 100s): the TCP connect,
 *   each reply (banner, EHLO, every command, the final dot), and each wait for the write
 *   queue to drain. A session that times out is closed.</li>
 * <li>{@code ehloName}: Postfix {@code smtpd_proxy_ehlo} (default {@code $myhostname}).</li>
 * <li>{@code maxReplyLineLength}: longer reply lines are cut to this (Postfix uses
 *   {@code line_length_limit}, 2048); at least 512, the RFC 5321 reply line limit.</li>
 * <li>{@code maxReplyLines}: lines kept of a multi-line reply, the rest dropped (EHLO
 *   keywords beyond it are not seen).</li>
 * </ul>
 */
public final class NextHopClient {

    private static final Logger LOG = Logger.getLogger(NextHopClient.class);

    /** Postfix smtpd_proxy_timeout default. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(100);

    private final Vertx vertx;
    private final List<NextHop> hops;
    private final long timeoutMillis;
    private final String ehloName;
    private final int maxReplyLineLength;
    private final int maxReplyLines;
    private final NetClient netClient;
    private final AtomicInteger rotation = new AtomicInteger();

    public NextHopClient(Vertx vertx, List<NextHop> hops, Duration timeout, String ehloName,
                         int maxReplyLineLength, int maxReplyLines) {
        if (vertx == null) {
            throw new IllegalArgumentException("vertx is required");
        }
        if (hops == null || hops.isEmpty()) {
            throw new IllegalArgumentException("next hop list is empty");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.toMillis() < 1) {
            throw new IllegalArgumentException("smtpd_proxy_timeout must be at least 1ms: " + timeout);
        }
        if (ehloName == null || ehloName.isEmpty() || ehloName.length() > 255
                || !ehloName.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("smtpd_proxy_ehlo must be a host name or address literal: \""
                    + NextHop.quote(String.valueOf(ehloName)) + "\"");
        }
        if (maxReplyLineLength < 512) {
            throw new IllegalArgumentException("maxReplyLineLength must be at least 512 (RFC 5321 4.5.3.1.5): "
                    + maxReplyLineLength);
        }
        if (maxReplyLines < 1) {
            throw new IllegalArgumentException("maxReplyLines must be at least 1: " + maxReplyLines);
        }
        this.vertx = vertx;
        this.hops = List.copyOf(hops);
        this.timeoutMillis = timeout.toMillis();
        this.ehloName = ehloName;
        this.maxReplyLineLength = maxReplyLineLength;
        this.maxReplyLines = maxReplyLines;
        this.netClient = vertx.createNetClient(new NetClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .setTcpNoDelay(true));
    }

    public List<NextHop> hops() {
        return hops;
    }

    /**
     * Opens a session on {@code context}'s event loop (the edge passes the context of its client
     * connection, so both sockets share one thread). The future completes on that context.
     */
    public Future<ProxySession> open(Context context) {
        Promise<ProxySession> result = Promise.promise();
        int start = Math.floorMod(rotation.getAndIncrement(), hops.size());
        Runnable go = () -> attempt(context, start, 0, new StringBuilder(), result);
        if (Vertx.currentContext() == context) {
            go.run();
        } else {
            context.runOnContext(v -> go.run());
        }
        return result.future();
    }

    /** Closes the underlying NetClient and with it every open session. */
    public Future<Void> close() {
        return netClient.close();
    }

    private void attempt(Context context, int start, int tried, StringBuilder reasons,
                         Promise<ProxySession> result) {
        if (tried == hops.size()) {
            result.fail(new NextHopUnavailableException("no next hop available: " + reasons));
            return;
        }
        NextHop hop = hops.get((start + tried) % hops.size());
        Future<ProxySession> session;
        try {
            session = connect(context, hop);
        } catch (RuntimeException e) {
            session = Future.failedFuture(e);
        }
        session.onComplete(ar -> {
            if (ar.succeeded()) {
                result.complete(ar.result());
                return;
            }
            String why = ar.cause().getMessage() != null ? ar.cause().getMessage() : ar.cause().toString();
            LOG.warnf("next hop %s unusable: %s", hop, why);
            if (reasons.length() > 0) {
                reasons.append("; ");
            }
            reasons.append(why.startsWith(hop.toString()) ? why : hop + ": " + why);
            attempt(context, start, tried + 1, reasons, result);
        });
    }

    private Future<ProxySession> connect(Context context, NextHop hop) {
        return netClient.connect(hop.port(), hop.host())
                .recover(e -> Future.failedFuture(e instanceof ConnectTimeoutException
                        ? new NextHopException(NextHopException.Kind.TIMEOUT,
                                "connect timed out after " + timeoutMillis + " ms", e)
                        : new NextHopException(NextHopException.Kind.CONNECT,
                                "connect failed: " + NextHop.quote(String.valueOf(e.getMessage())), e)))
                .compose(socket -> new ProxySession(vertx, context, socket, hop, timeoutMillis,
                        maxReplyLineLength, maxReplyLines).handshake(ehloName));
    }
}
