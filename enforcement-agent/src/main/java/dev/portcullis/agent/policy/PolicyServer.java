package dev.portcullis.agent.policy;

import dev.portcullis.agent.Untrusted;
import dev.portcullis.postfix.NetworkList;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Postfix policy-delegation server ({@code check_policy_service inet:HOST:PORT}): a Vert.x
 * TCP server speaking SMTPD_POLICY_README's protocol, answering from the live decisions and
 * verdicts ({@link PolicyResponder}).
 *
 * <p>Each connection is persistent and carries any number of requests, one after the other
 * or pipelined; each gets {@code action=...} and an empty line, in order. Everything runs on
 * the connection's event loop and nothing blocks: a reply is two hash-map probes per prefix
 * length in use. When the client does not read its replies, the socket is paused until the
 * write queue drains, so a client cannot make the server buffer without bound.
 *
 * <p>Refused and counted: a connection from outside {@code clients} (closed at once), one
 * over {@code max-connections} (closed at once), a request over its size limits (closed, see
 * {@link PolicyDecoder}), a connection idle for {@code idle-timeout} (closed; Postfix
 * reconnects when it next needs the service).
 */
public final class PolicyServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PolicyServer.class);
    private static final byte[] ACTION = "action=".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * Why a connection ended without a reply to everything it sent (a metric tag): closed at
     * once as not allowed or over the cap, closed for a request over the limits, or ended in
     * the middle of a request (the idle timeout, or the client went away).
     */
    public enum Refusal { NOT_ALLOWED, TOO_MANY_CONNECTIONS, REQUEST_TOO_LARGE, INCOMPLETE_REQUEST }

    private final Vertx vertx;
    private final String host;
    private final int port;
    private final NetworkList clients;
    private final int maxConnections;
    private final int maxLine;
    private final int maxRequest;
    private final int maxAttributes;
    private final Duration idleTimeout;
    private final PolicyResponder responder;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong skippedLines = new AtomicLong();
    private final Map<Refusal, AtomicLong> refused = new EnumMap<>(Refusal.class);
    private final Map<PolicyResponder.Outcome, AtomicLong> replies = new EnumMap<>(PolicyResponder.Outcome.class);
    private NetServer server;

    public PolicyServer(Vertx vertx, String host, int port, NetworkList clients, int maxConnections, int maxLine,
                        int maxRequest, int maxAttributes, Duration idleTimeout, PolicyResponder responder) {
        this.vertx = vertx;
        this.host = host;
        this.port = port;
        this.clients = clients;
        this.maxConnections = maxConnections;
        this.maxLine = maxLine;
        this.maxRequest = maxRequest;
        this.maxAttributes = maxAttributes;
        this.idleTimeout = idleTimeout;
        this.responder = responder;
        for (Refusal r : Refusal.values()) {
            refused.put(r, new AtomicLong());
        }
        for (PolicyResponder.Outcome o : PolicyResponder.Outcome.values()) {
            replies.put(o, new AtomicLong());
        }
    }

    /** Binds and returns the port bound (useful with port 0). */
    public int start() {
        NetServerOptions options = new NetServerOptions().setHost(host).setPort(port).setTcpNoDelay(true)
                .setIdleTimeout((int) Math.max(1, idleTimeout.toMillis())).setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        server = vertx.createNetServer(options).connectHandler(this::connected);
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("policy server cannot listen on " + host + ":" + port + ": "
                    + cause.getMessage(), cause);
        }
        LOG.infof("policy server listening on %s:%d", host, server.actualPort());
        return server.actualPort();
    }

    public int port() {
        return server.actualPort();
    }

    private void connected(NetSocket socket) {
        connections.incrementAndGet();
        if (!allowed(socket.remoteAddress().hostAddress())) {
            refuse(socket, Refusal.NOT_ALLOWED);
            return;
        }
        if (active.incrementAndGet() > maxConnections) {
            active.decrementAndGet();
            refuse(socket, Refusal.TOO_MANY_CONNECTIONS);
            return;
        }
        PolicyDecoder decoder = new PolicyDecoder(maxLine, maxRequest, maxAttributes);
        long[] closedByUs = {0};
        socket.closeHandler(v -> {
            active.decrementAndGet();
            if (closedByUs[0] == 0 && decoder.inRequest()) {
                // the idle timer or the client ended a connection in the middle of a request
                refused.get(Refusal.INCOMPLETE_REQUEST).incrementAndGet();
            }
        });
        socket.exceptionHandler(e -> LOG.debugf("policy connection from %s: %s", socket.remoteAddress(), e.toString()));
        socket.handler(data -> {
            Buffer out = Buffer.buffer();
            long skippedBefore = decoder.skippedTotal();
            boolean ok = decoder.feed(data.getBytes(), request -> {
                PolicyResponder.Reply reply = responder.respond(request);
                replies.get(reply.outcome()).incrementAndGet();
                out.appendBytes(ACTION).appendString(reply.action(), "US-ASCII").appendString("\n\n");
                if (reply.outcome() == PolicyResponder.Outcome.BAN && LOG.isDebugEnabled()) {
                    LOG.debugf("policy: %s %s at %s: %s", Untrusted.printable(request.queueId(), 20),
                            Untrusted.printable(request.clientAddress(), 45),
                            Untrusted.printable(request.protocolState(), 20), reply.action());
                }
            });
            skippedLines.addAndGet(decoder.skippedTotal() - skippedBefore);
            if (out.length() > 0) {
                socket.write(out);
            }
            if (!ok) {
                closedByUs[0] = 1;
                refused.get(Refusal.REQUEST_TOO_LARGE).incrementAndGet();
                LOG.warnf("policy client %s sent a request over the size limits; closing", socket.remoteAddress());
                socket.close();
                return;
            }
            if (socket.writeQueueFull()) {
                socket.pause();
                socket.drainHandler(v -> socket.resume());
            }
        });
    }

    private boolean allowed(String address) {
        try {
            return clients.matches(InetAddress.getByName(address));
        } catch (UnknownHostException e) {
            return false; // a literal from the socket always parses; anything else is refused
        }
    }

    private void refuse(NetSocket socket, Refusal why) {
        long n = refused.get(why).incrementAndGet();
        if (n == 1 || n % 1000 == 0) {
            LOG.warnf("policy server: closing connection from %s: %s (%d so far)", socket.remoteAddress(), why, n);
        }
        socket.close();
    }

    public int activeConnections() {
        return active.get();
    }

    public long connections() {
        return connections.get();
    }

    public long skippedLines() {
        return skippedLines.get();
    }

    public long refused(Refusal why) {
        return refused.get(why).get();
    }

    public long replies(PolicyResponder.Outcome outcome) {
        return replies.get(outcome).get();
    }

    @Override
    public void close() {
        if (server != null) {
            try {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debugf("closing the policy server: %s", e.toString());
            }
        }
    }
}
