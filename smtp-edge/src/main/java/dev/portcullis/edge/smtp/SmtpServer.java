package dev.portcullis.edge.smtp;

import dev.portcullis.edge.config.EdgeSettings;
import dev.portcullis.edge.defence.BanGate;
import dev.portcullis.edge.protocol.SmtpReply;
import dev.portcullis.edge.proxy.UpstreamProxy;
import dev.portcullis.events.Decision;
import dev.portcullis.events.SessionEvent;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The SMTP listener: one Vert.x verticle per event loop, all bound to the same port, so
 * sessions spread over the loops and none gets a thread of its own.
 *
 * <p>Admission: at {@code default_process_limit} concurrent sessions a new client gets
 * "421 4.3.2 All server ports are busy" and is closed at once, instead of waiting unseen in
 * the accept backlog as it would behind Postfix's master.
 *
 * <p>Drain: {@link #stop} stops admitting sessions (a new client is told "421 4.3.2 ...
 * Service shutting down"), tells idle sessions the same, lets sessions in a transaction
 * finish for up to the grace period, then closes what is left and the listeners. The
 * listeners stay bound until then because closing a Vert.x server closes the connections
 * it accepted.
 */
public final class SmtpServer {

    private static final Logger LOG = Logger.getLogger(SmtpServer.class);

    private final SessionServices services;
    private final String host;
    private final int port;
    private final Set<SmtpSession> sessions = ConcurrentHashMap.newKeySet();
    private volatile int boundPort = -1;
    private volatile boolean draining;
    /** The PROXY protocol reader in front of every session; null when it is off. */
    private UpstreamProxy upstreamProxy;
    private String deploymentId;
    private long reloadTimer = -1;

    public SmtpServer(SessionServices services, String host, int port) {
        this.services = services;
        this.host = host;
        this.port = port;
    }

    public int port() {
        return boundPort;
    }

    public boolean draining() {
        return draining;
    }

    public int activeSessions() {
        return services.metrics().activeSessions().get();
    }

    /** Binds the port on every event loop; fails if it cannot be bound. */
    public Future<Void> start(int instances) {
        EdgeSettings settings = services.settings();
        NetServerOptions options = new NetServerOptions()
                .setHost(host)
                .setPort(port)
                .setTcpNoDelay(true)
                .setReuseAddress(true)
                .setAcceptBacklog(4096);
        if (settings.tls() != null) {
            // Key material, protocols and suites for STARTTLS; the listener itself starts in clear text.
            options.setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(settings.tls().certFile().toString())
                    .setKeyPath(settings.tls().keyFile().toString()));
            options.setEnabledSecureTransportProtocols(settings.tls().protocols());
            settings.tls().cipherSuites().forEach(options::addEnabledCipherSuite);
        }
        upstreamProxy = settings.upstreamProxy() == null ? null
                : new UpstreamProxy(services.vertx(), settings.upstreamProxy(), services.log(), services.metrics());
        Promise<String> deployed = Promise.promise();
        services.vertx().deployVerticle(() -> new Listener(options),
                new DeploymentOptions().setInstances(Math.max(1, instances)), deployed);
        return deployed.future().map(id -> {
            deploymentId = id;
            startTableReloads();
            return null;
        });
    }

    /**
     * Table files (a ConfigMap) are re-read when they change, on a worker thread: sessions keep
     * running and each lookup sees one whole table, the old or the new; a broken file keeps the
     * old one and is logged (file:line) by the restrictions.
     */
    private void startTableReloads() {
        java.time.Duration every = services.restrictions().reloadInterval();
        if (every.isZero() || services.restrictions().tableCount() == 0) {
            return;
        }
        io.vertx.core.Vertx vertx = services.vertx();
        reloadTimer = vertx.setPeriodic(every.toMillis(), id -> vertx.executeBlocking(() ->
                services.restrictions().reloadTables(services.log()::smtpd), false));
    }

    /** Stops admitting, drains, and closes what is left after {@code grace}. Blocking; not for an event loop. */
    public void stop(Duration grace) {
        draining = true;
        if (reloadTimer >= 0) {
            services.vertx().cancelTimer(reloadTimer);
            reloadTimer = -1;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        int rounds = 0;
        while (!sessions.isEmpty() && System.nanoTime() < deadline) {
            // Idle sessions are told to go now (and a busy one once its command is done).
            if (rounds++ % 5 == 0) {
                for (SmtpSession s : sessions) {
                    s.contextRun(s::shutdown);
                }
            }
            try {
                Thread.sleep(100); // the shutdown thread, never an event loop
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (SmtpSession s : sessions) {
            s.contextRun(s::forceClose);
        }
        if (deploymentId != null) {
            try {
                services.vertx().undeploy(deploymentId).toCompletionStage().toCompletableFuture()
                        .get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warnf("closing SMTP listeners: %s", e.toString());
            }
            deploymentId = null;
        }
    }

    /**
     * A banned client: the reply (or nothing, with {@code portcullis.ban.action = close}), one
     * mail-log line in Postfix's reject format, a REJECT event at stage CONNECT with check
     * {@link BanGate#CHECK} (so reputation counts it and jails can tell it from a fresh offence).
     */
    private void refuseBanned(NetSocket socket, InetAddress client, Decision ban) {
        String ip = client.getHostAddress();
        SmtpReply reply = Replies.banned(ip);
        boolean silent = services.bans().action() == BanGate.Action.CLOSE;
        services.metrics().banned(silent ? "close" : "reply");
        String what = silent ? "connection closed" : reply.code() + " " + reply.enhanced() + " " + reply.lines().get(0);
        services.log().smtpd("NOQUEUE: reject: CONNECT from unknown[" + ip + "]: " + what + "; " + ban.origin() + " until "
                + (ban.expires() == null ? "lifted" : ban.expires()) + "; proto=SMTP");
        services.events().accept(new SessionEvent.Reject(services.meta(SessionIds.next(), ip), "CONNECT",
                reply.code(), reply.enhanced(), BanGate.CHECK, ban.origin(), null, null));
        if (silent) {
            socket.close();
        } else {
            socket.write(reply.toBuffer()).onComplete(v -> socket.close());
        }
    }

    private final class Listener extends AbstractVerticle {
        private final NetServerOptions options;
        private NetServer server;

        Listener(NetServerOptions options) {
            this.options = options;
        }

        @Override
        public void start(Promise<Void> started) {
            server = vertx.createNetServer(options).connectHandler(this::accept);
            server.listen().onSuccess(s -> {
                boundPort = s.actualPort();
                started.complete();
            }).onFailure(started::fail);
        }

        @Override
        public void stop(Promise<Void> stopped) {
            server.close().onComplete(ar -> stopped.complete());
        }

        private void accept(NetSocket socket) {
            InetAddress peer;
            try {
                peer = InetAddress.getByName(socket.remoteAddress().hostAddress());
            } catch (UnknownHostException e) {
                // remote addresses are numeric; this cannot resolve anything
                socket.close();
                return;
            }
            if (upstreamProxy == null) {
                admit(socket, peer, socket.remoteAddress().port(), null);
            } else {
                // The header comes first; the client it names is the client for everything after.
                upstreamProxy.read(socket, peer, socket.remoteAddress().port(),
                        (client, clientPort, early) -> admit(socket, client, clientPort, early));
            }
        }

        private void admit(NetSocket socket, InetAddress client, int clientPort, Buffer early) {
            // Before any other work: a banned client costs no session slot, no anvil count.
            Decision ban = services.bans().banOf(client);
            if (ban != null) {
                refuseBanned(socket, client, ban);
                return;
            }
            if (draining) {
                socket.write(Replies.shuttingDown(services.settings().myhostname()).toBuffer())
                        .onComplete(v -> socket.close());
                return;
            }
            int active = services.metrics().activeSessions().incrementAndGet();
            if (active > services.settings().processLimit()) {
                services.metrics().activeSessions().decrementAndGet();
                services.log().smtpd("warning: " + "too many sessions (default_process_limit="
                        + services.settings().processLimit() + "), refusing " + client.getHostAddress());
                socket.write(Replies.allPortsBusy().toBuffer()).onComplete(v -> socket.close());
                return;
            }
            SmtpSession session = new SmtpSession(services, socket, client, clientPort, vertx.getOrCreateContext());
            sessions.add(session);
            session.start(() -> sessions.remove(session), early);
        }
    }
}
