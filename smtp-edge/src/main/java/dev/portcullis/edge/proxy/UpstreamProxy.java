package dev.portcullis.edge.proxy;

import dev.portcullis.edge.log.MailLog;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.net.InetAddress;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The PROXY protocol in front of the SMTP session ({@code smtpd_upstream_proxy_protocol =
 * haproxy}): reads one header from a trusted load balancer and hands the connection on with
 * the client address the header carries, before a single byte of SMTP is written.
 *
 * <p>Trust: only peers in {@code portcullis_upstream_proxy_networks} may speak the PROXY
 * protocol. Any other peer is refused at accept, before its first byte is read: it could
 * claim any client address (and so any mynetworks or allow-listed one). While the protocol
 * is on, every connection must come through a trusted proxy, as with Postfix's own
 * {@code smtpd_upstream_proxy_protocol}, which requires the header on every connection.
 *
 * <p>Refusals (untrusted peer, malformed or overlong header, none within {@code
 * smtpd_upstream_proxy_timeout}, peer gone) close the connection without a reply, log one
 * warning line with the real peer's address and the problem (never the peer's bytes), and
 * count in {@code portcullis.edge.proxy.refused{reason}}.
 */
public final class UpstreamProxy {

    /** The longest v2 header accepted: 16 fixed bytes, IPv6 addresses, and TLVs up to this total. */
    public static final int MAX_V2_LENGTH = 4096;

    /** Where the decoded client goes. */
    @FunctionalInterface
    public interface Admission {
        /**
         * @param client     the client (the header's source, or the peer itself for LOCAL/UNKNOWN)
         * @param clientPort its port
         * @param early      bytes that followed the header in the same read: the client's first SMTP input
         */
        void admit(InetAddress client, int clientPort, Buffer early);
    }

    /** Counts for the metrics. */
    public interface Counters {
        void proxyRefused(String reason);

        void proxyAccepted(String command);
    }

    /**
     * @param trusted   {@code portcullis_upstream_proxy_networks}
     * @param timeout   {@code smtpd_upstream_proxy_timeout}
     */
    public record Settings(Predicate<InetAddress> trusted, Duration timeout) {
    }

    private final Vertx vertx;
    private final Settings settings;
    private final MailLog log;
    private final Counters counters;

    public UpstreamProxy(Vertx vertx, Settings settings, MailLog log, Counters counters) {
        this.vertx = vertx;
        this.settings = settings;
        this.log = log;
        this.counters = counters;
    }

    /**
     * Reads the header on {@code socket} (from the event loop that accepted it), then calls
     * {@code admission} on that loop; or refuses the connection.
     */
    public void read(NetSocket socket, InetAddress peer, int peerPort, Admission admission) {
        String who = "[" + peer.getHostAddress() + "]:" + peerPort;
        if (!settings.trusted().test(peer)) {
            log.smtpd("warning: refusing connection from " + who + ": PROXY protocol peer not in "
                    + "portcullis_upstream_proxy_networks");
            counters.proxyRefused("untrusted");
            socket.close();
            return;
        }
        new Handshake(socket, peer, peerPort, who, admission).begin();
    }

    /** One connection's wait for its header; every callback runs on the connection's event loop. */
    private final class Handshake {
        private final NetSocket socket;
        private final InetAddress peer;
        private final int peerPort;
        private final String who;
        private final Admission admission;
        private final ProxyHeaderDecoder decoder = new ProxyHeaderDecoder(MAX_V2_LENGTH);
        private long timer;
        private boolean done;

        Handshake(NetSocket socket, InetAddress peer, int peerPort, String who, Admission admission) {
            this.socket = socket;
            this.peer = peer;
            this.peerPort = peerPort;
            this.who = who;
            this.admission = admission;
        }

        void begin() {
            timer = vertx.setTimer(settings.timeout().toMillis(), id -> refuse("timeout",
                    "no complete PROXY header within smtpd_upstream_proxy_timeout ("
                            + settings.timeout().toSeconds() + "s)"));
            socket.handler(this::input);
            socket.exceptionHandler(e -> socket.close());
            socket.closeHandler(v -> {
                if (!done) {
                    done = true;
                    vertx.cancelTimer(timer);
                    log.smtpd("warning: haproxy read from " + who + ": lost connection before the PROXY header ended");
                    counters.proxyRefused("lost");
                }
            });
        }

        private void input(Buffer chunk) {
            if (done) {
                return;
            }
            ProxyHeaderDecoder.Result r = decoder.feed(chunk);
            if (r instanceof ProxyHeaderDecoder.Malformed bad) {
                refuse("malformed", bad.problem());
            } else if (r instanceof ProxyHeaderDecoder.Decoded ok) {
                done = true;
                vertx.cancelTimer(timer);
                socket.handler(null);
                ProxyHeader h = ok.header();
                boolean relayed = h.command() == ProxyHeader.Command.PROXY;
                counters.proxyAccepted(relayed ? "proxy" : "local");
                if (relayed) {
                    admission.admit(h.source().getAddress(), h.source().getPort(), ok.rest());
                } else {
                    admission.admit(peer, peerPort, ok.rest());
                }
            }
        }

        private void refuse(String reason, String problem) {
            if (done) {
                return;
            }
            done = true;
            vertx.cancelTimer(timer);
            log.smtpd("warning: haproxy read from " + who + ": " + problem + "; connection closed");
            counters.proxyRefused(reason);
            socket.close();
        }
    }
}
