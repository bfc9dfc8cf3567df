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
 * @param ports   the TCP ports it applies to; empty means every port (but {@code exceptPorts})
 * @param origin  what decided it: {@code jail:<name>}, {@code manual:<who>}, {@code blocklist:<name>}
 * @param reason  a short human-readable reason (never client-supplied text)
 * @param created when it was first decided (kept when a repeat offence extends it)
 * @param expires when it ends by itself; null for never
 * @param issuer  which service instance published it
 * @param exceptPorts the TCP ports it does not apply to, only when {@code ports} is empty:
 *                "every port except 80"; never both non-empty. A record written before the
 *                field existed reads as empty (every port). The schema stays 1: a reader that
 *                predates the field ignores it and so enforces an except-ports ban on every
 *                port, which errs towards blocking and is right for every port but the
 *                excepted ones.
 */
public record Decision(int schema, String cidr, Action action, List<Integer> ports, String origin, String reason,
                       Instant created, Instant expires, String issuer, List<Integer> exceptPorts) {

    /** The version of this record layout; bump it when a field changes meaning. */
    public static final int SCHEMA = 1;

    public enum Action { BAN, ALLOW }

    public Decision {
        ports = ports == null ? List.of() : List.copyOf(ports);
        exceptPorts = exceptPorts == null ? List.of() : List.copyOf(exceptPorts);
    }

    /** A decision for the listed ports only (or every port when empty), with no exceptions. */
    public Decision(int schema, String cidr, Action action, List<Integer> ports, String origin, String reason,
                    Instant created, Instant expires, String issuer) {
        this(schema, cidr, action, ports, origin, reason, created, expires, issuer, List.of());
    }

    /** Whether it is in force at {@code now}. */
    public boolean activeAt(Instant now) {
        return expires == null || now.isBefore(expires);
    }

    /** Whether it applies to a connection on {@code port}. */
    public boolean coversPort(int port) {
        return ports.isEmpty() ? !exceptPorts.contains(port) : ports.contains(port);
    }
}
