package dev.portcullis.events;

import java.time.Instant;
import java.util.List;

/**
 * Cluster-wide state about one client IP or network that every edge acts on, as published
 * on {@link Topics#VERDICTS} (compacted). The record key is {@link #subject}: an IP address
 * in its canonical text form ({@code 192.0.2.7}, {@code 2001:db8::1}) or a network in CIDR
 * form ({@code 192.0.2.0/24}). A later record for the same key replaces the earlier one; a
 * tombstone (null value) ends it.
 *
 * <p>{@link #limits} lists every limit the subject is over, each with its own expiry: an
 * edge applies an entry while {@code now < until} and ignores it afterwards even if no
 * tombstone came, so a verdict never outlives its reason by more than clock skew.
 *
 * @param schema  the layout version ({@link #SCHEMA}); a reader skips newer ones
 * @param subject the IP or CIDR this is about (equal to the record key)
 * @param issued  when the issuer decided it
 * @param issuer  which reputation-service instance decided it
 * @param limits  the limits crossed, never empty in a live record
 */
public record Verdict(int schema, String subject, Instant issued, String issuer, List<Entry> limits) {

    /** The version of this record layout; bump it when a field changes meaning. */
    public static final int SCHEMA = 1;

    /** {@code smtpd_client_connection_count_limit} over all edges: refuse new sessions. */
    public static final String CONNECTION_COUNT = "smtpd_client_connection_count_limit";
    /** {@code smtpd_client_connection_rate_limit} over all edges: refuse new sessions. */
    public static final String CONNECTION_RATE = "smtpd_client_connection_rate_limit";
    /** {@code smtpd_client_message_rate_limit} over all edges: defer MAIL. */
    public static final String MESSAGE_RATE = "smtpd_client_message_rate_limit";
    /** {@code smtpd_client_recipient_rate_limit} over all edges: defer RCPT. */
    public static final String RECIPIENT_RATE = "smtpd_client_recipient_rate_limit";
    /**
     * Errors carried across reconnects ({@code value} = the client's errors since its last
     * delivered message, at least {@code smtpd_soft_error_limit}): a new session starts with
     * that error count, so it is tarpitted from its first reply.
     */
    public static final String CARRIED_ERRORS = "smtpd_soft_error_limit";

    public Verdict {
        limits = List.copyOf(limits);
    }

    /**
     * One crossed limit.
     *
     * @param limit      the Postfix parameter it is about (one of the constants above; an edge
     *                   ignores names it does not know, so new kinds can be added)
     * @param value      what the cluster counted (connections, messages, errors ...)
     * @param configured the limit's configured value
     * @param until      when it stops applying unless renewed
     */
    public record Entry(String limit, long value, long configured, Instant until) {
        public boolean activeAt(Instant now) {
            return now.isBefore(until);
        }
    }

    /** The entries still in force at {@code now}. */
    public List<Entry> activeAt(Instant now) {
        return limits.stream().filter(e -> e.activeAt(now)).toList();
    }

    /** The entry for {@code limit} in force at {@code now}, or null. */
    public Entry active(String limit, Instant now) {
        for (Entry e : limits) {
            if (e.limit().equals(limit) && e.activeAt(now)) {
                return e;
            }
        }
        return null;
    }
}
