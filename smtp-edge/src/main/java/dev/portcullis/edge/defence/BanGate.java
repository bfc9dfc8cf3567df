package dev.portcullis.edge.defence;

import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionTable;

import java.net.InetAddress;
import java.time.Clock;
import java.util.Locale;

/**
 * The first thing the edge does with a new connection: is the client banned? The answer comes
 * from the live decisions of {@code portcullis.decisions} held in memory ({@link DecisionTable}),
 * so it costs a few hash lookups and never waits on the bus. An allow covering the client wins
 * over any ban. Decisions scoped to ports are matched against {@code port}: the port clients
 * dial (25 for an MX), which behind a Kubernetes Service or a NAT is not the port the edge
 * listens on.
 *
 * <p>What a banned client gets ({@code portcullis.ban.action}): {@link Action#REPLY} sends
 * {@code 554 5.7.1 Service unavailable; Client host [IP] blocked} and closes, which tells a
 * legitimate sender caught by mistake what happened (the next hop of its mail logs the reply);
 * {@link Action#CLOSE} closes without a word, which costs an attacker's bot a little more but
 * leaves a legitimate sender guessing. Beyond Postfix: smtpd has no such step; it is what
 * postscreen's {@code postscreen_access_list} with {@code postscreen_blacklist_action = drop}
 * does on one host, with the list shared by the fleet.
 */
public final class BanGate {

    /** The check name in events, metrics and the mail log (so jails can leave these out). */
    public static final String CHECK = "portcullis_ban";

    public enum Action {
        REPLY, CLOSE;

        /** {@code reply} or {@code close}, case-insensitive. */
        public static Action parse(String s) {
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("portcullis.ban.action must be reply or close, not '" + s + "'");
            }
        }
    }

    private final DecisionTable decisions;
    private final Action action;
    private final int port;
    private final Clock clock;

    public BanGate(DecisionTable decisions, Action action, int port, Clock clock) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("portcullis.ban.port must be 1-65535, not " + port);
        }
        this.decisions = decisions;
        this.action = action;
        this.port = port;
        this.clock = clock;
    }

    /** The ban in force for {@code client}, or null when it may connect. */
    public Decision banOf(InetAddress client) {
        Decision d = decisions.lookup(client, port, clock.instant()).orElse(null);
        return d != null && d.action() == Decision.Action.BAN ? d : null;
    }

    public Action action() {
        return action;
    }
}
