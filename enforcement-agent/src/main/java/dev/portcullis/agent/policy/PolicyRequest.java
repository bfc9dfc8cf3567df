package dev.portcullis.agent.policy;

/**
 * The attributes of one policy request that the agent decides on (SMTPD_POLICY_README);
 * every other attribute is read and ignored. Null when absent. When an attribute comes twice
 * the first one counts.
 *
 * @param request        must be {@code smtpd_access_policy}
 * @param protocolState  CONNECT, EHLO, HELO, MAIL, RCPT, DATA, END-OF-MESSAGE, VRFY, ETRN ...
 * @param clientAddress  the SMTP client's IP address, as Postfix writes it
 * @param serverPort     the port the client connected to (Postfix 3.5 and later)
 * @param queueId        for logs
 * @param skippedLines   lines of this request that were not name=value, or over the line limit
 */
public record PolicyRequest(String request, String protocolState, String clientAddress, String serverPort,
                            String queueId, int skippedLines) {
}
