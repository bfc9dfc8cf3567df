package dev.portcullis.edge.restrict;

/**
 * An access-table action that changes what happens to the message rather than the reply, as
 * smtpd_check.c's check_table_result() records it for cleanup(8). The edge has no cleanup, so
 * the session carries them out itself while it proxies the transaction:
 * <ul>
 * <li>{@link Kind#DISCARD}: the transaction is accepted and dropped - no recipient and no byte
 * reaches the next hop (one already told is dropped without the final dot), and the client
 * gets "250 2.0.0 Ok: queued as ..." as a delivery would give;</li>
 * <li>{@link Kind#PREPEND}: {@code value} ("Header: text") is put on top of the forwarded
 * message, in the order the actions fired;</li>
 * <li>{@link Kind#REDIRECT}: the next hop gets {@code value} as the only envelope recipient
 * (the last REDIRECT wins);</li>
 * <li>{@link Kind#BCC}: {@code value} is added as an envelope recipient at the next hop.</li>
 * </ul>
 *
 * @param check the restriction and table that fired it
 */
public record EnvelopeAction(Kind kind, String value, String check) {

    /** The actions the edge honours. */
    public enum Kind { DISCARD, PREPEND, REDIRECT, BCC }
}
