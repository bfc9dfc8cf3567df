package dev.portcullis.agent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every setting of the agent, under {@code portcullis.agent.} (environment:
 * {@code PORTCULLIS_AGENT_...}). Checked at start-up by {@link Agent}: a bad value stops the
 * agent with the key, the value and what is wrong. The manual page ({@code package-info})
 * lists them with their defaults.
 */
@ConfigMapping(prefix = "portcullis.agent")
public interface AgentConfig {

    /** This agent's name in logs and metrics (default: the host name). */
    Optional<String> id();

    /** Topic with the decisions (compacted, key = CIDR). */
    @WithDefault("portcullis.decisions")
    String decisionsTopic();

    /** Topic with the reputation verdicts (compacted, key = IP or CIDR). */
    @WithDefault("portcullis.verdicts")
    String verdictsTopic();

    /** Whether to read the verdicts at all (only the policy server uses them). */
    @WithDefault("true")
    boolean readVerdicts();

    /** Most decisions held; past it new ones are counted as overflowed and not enforced. */
    @WithDefault("1000000")
    int maxDecisions();

    /** Most verdict subjects held; past it new ones are counted and ignored. */
    @WithDefault("1000000")
    int maxVerdicts();

    /** How often expired decisions and verdicts are dropped from memory. */
    @WithDefault("30s")
    Duration sweepInterval();

    Nft nft();

    Policy policy();

    Export export();

    /** The nftables enforcer. */
    interface Nft {
        @WithDefault("false")
        boolean enabled();

        /** The command that runs nft; the agent appends {@code -f -} and writes the script to its input. */
        @WithDefault("nft")
        List<String> command();

        /** The table (family inet) the agent owns: it replaces the whole table at every full sync. */
        @WithDefault("portcullis")
        String table();

        /** The netfilter hook of the agent's chain: {@code input} (a node, a pod) or {@code forward} (a router). */
        @WithDefault("input")
        String hook();

        /** The chain's priority; below 0 runs before the usual {@code filter} chains. */
        @WithDefault("-10")
        int priority();

        /** What a banned packet gets: {@code drop} or {@code reject} (TCP reset / ICMP unreachable). */
        @WithDefault("drop")
        String verdict();

        /** Changes are collected this long and applied as one nft transaction. */
        @WithDefault("200ms")
        Duration batchInterval();

        /** Most element changes in one transaction (more wait for the next batch). */
        @WithDefault("50000")
        int maxBatch();

        /** How long one nft run may take before it is killed and counted as a failure. */
        @WithDefault("60s")
        Duration commandTimeout();
    }

    /** The Postfix policy-delegation server. */
    interface Policy {
        @WithDefault("false")
        boolean enabled();

        @WithDefault("127.0.0.1")
        String host();

        @WithDefault("10040")
        int port();

        /** Who may connect, as a Postfix network list (like {@code mynetworks}); others are closed at once. */
        @WithDefault("127.0.0.0/8 [::1]/128")
        String clients();

        /** Longest attribute line in bytes; a longer one is skipped up to its newline and counted. */
        @WithDefault("4096")
        int maxLine();

        /** Largest request in bytes; a client that sends more is disconnected. */
        @WithDefault("65536")
        int maxRequest();

        /** Most attributes in one request; a client that sends more is disconnected. */
        @WithDefault("256")
        int maxAttributes();

        /** A connection with nothing read or written for this long is closed (Postfix's max_idle is 300s). */
        @WithDefault("330s")
        Duration idleTimeout();

        @WithDefault("1000")
        int maxConnections();

        /** The port to check decisions' port scopes against when the request has no {@code server_port}. */
        @WithDefault("25")
        int defaultPort();

        /** Reply for a banned client; {@code $client_address} and {@code $reason} are replaced. */
        @WithDefault("554 5.7.1 Service unavailable; Client host [$client_address] blocked by Portcullis")
        String banAction();

        /** Reply for a client covered by an allow decision. */
        @WithDefault("DUNNO")
        String allowAction();

        /** Reply when nothing decides. */
        @WithDefault("DUNNO")
        String defaultAction();

        /** Reply while the cluster counts the client over smtpd_client_connection_count_limit or _rate_limit. */
        @WithDefault("450 4.7.1 Error: too many connections from $client_address")
        String connectionAction();

        /** Reply at MAIL and RCPT while the client is over smtpd_client_message_rate_limit cluster-wide. */
        @WithDefault("450 4.7.1 Error: too much mail from $client_address")
        String messageRateAction();

        /** Reply at RCPT while the client is over smtpd_client_recipient_rate_limit cluster-wide. */
        @WithDefault("450 4.7.1 Error: too many recipients from $client_address")
        String recipientRateAction();
    }

    /** The Postfix cidr access table export. */
    interface Export {
        @WithDefault("false")
        boolean enabled();

        /** The cidr table file, replaced atomically (rename) whenever its content changes. */
        Optional<Path> file();

        /** The table value for a banned network (an access(5) action). */
        @WithDefault("REJECT")
        String banValue();

        /** The table value for an allowed network, written before every ban so it matches first. */
        @WithDefault("DUNNO")
        String allowValue();

        /** Decisions scoped to ports are exported when they cover this port (the Postfix host's SMTP port). */
        @WithDefault("25")
        int port();

        /** Run after each replacement (e.g. {@code postfix reload}); empty: none. */
        Optional<List<String>> reloadCommand();
    }
}
