package dev.portcullis.edge.tls;

import dev.portcullis.edge.protocol.SmtpReply;

/**
 * {@code smtpd_tls_security_level = encrypt}: which commands a client may give before
 * STARTTLS, and Postfix's reply to the others.
 *
 * <p>Postfix's smtpd marks HELO, EHLO, STARTTLS, NOOP and QUIT (and XCLIENT, which the edge
 * does not offer) as allowed before TLS; every other known command, RSET included, gets
 * "530 5.7.0 Must issue a STARTTLS command first" and counts as an error. An unknown command
 * keeps its own "500 5.5.2 Error: command not recognized". Checked against a real Postfix by
 * TlsSideBySideTest.
 */
public final class TlsGate {

    private static final SmtpReply MUST_START_TLS = SmtpReply.of(530, "5.7.0", "Must issue a STARTTLS command first");

    private TlsGate() {
    }

    /** @param verb the command word, upper case */
    public static boolean allowedBeforeTls(String verb) {
        return switch (verb) {
            case "EHLO", "HELO", "STARTTLS", "NOOP", "QUIT" -> true;
            case "MAIL", "RCPT", "DATA", "RSET", "VRFY", "AUTH", "ETRN", "BDAT" -> false;
            default -> true; // unknown commands get "command not recognized" as usual
        };
    }

    public static SmtpReply mustStartTls() {
        return MUST_START_TLS;
    }
}
