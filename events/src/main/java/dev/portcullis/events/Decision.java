package dev.portcullis.events;

import java.time.Instant;
import java.util.List;

/**
 * A ban or an exception for a network, as published on {@link Topics#DECISIONS}
 * (compacted; the durable record of every live decision). The record key is {@link #cidr};
 * a later record for the same key replaces the earlier one, a tombstone (null value) lifts
 * it. Enforcement points read the topic from the beginning at start, so they know every
 * live decision, and honour {@link #expires} even when no tombstone came.
 *
 * <p>Matching: a client is covered by every decision whose network contains it; an
 * {@link Action#ALLOW} covering it wins over any {@link Action#BAN} (fail2ban's
 * {@code ignoreip}, Postfix's {@code permit} before {@code reject}).
 *
 * @param schema  the layout version ({@link #SCHEMA}); a reader skips newer ones
 * @param cidr    the network in canonical CIDR form, a single address as /32 or /128
 *                ({@code 192.0.2.7/32}, {@code 2001:db8::/64}); equal to the record key
 * @param action  ban or allow
 * @param ports   the TCP ports it applies to; empty means every port
 * @param origin  what decided it: {@code jail:<name>}, {@code manual:<who>}, {@code blocklist:<name>}
 * @param reason  a short human-readable reason (never client-supplied text)
 * @param created when it was first decided (kept when a repeat offence extends it)
 * @param expires when it ends by itself; null for never
 * @param issuer  which service instance published it
 */
public record Decision(int schema, String cidr, Action action, List<Integer> ports, String origin, String reason,
                       Instant created, Instant expires, String issuer) {

    /** The version of this record layout; bump it when a field changes meaning. */
    public static final int SCHEMA = 1;

    public enum Action { BAN, ALLOW }

    public Decision {
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    /** Whether it is in force at {@code now}. */
    public boolean activeAt(Instant now) {
        return expires == null || now.isBefore(expires);
    }

    /** Whether it applies to a connection on {@code port}. */
    public boolean coversPort(int port) {
        return ports.isEmpty() || ports.contains(port);
    }
}
