package dev.portcullis.edge.restrict;

import java.net.InetAddress;

/**
 * What a restriction may look at, as the session knows it when the check runs.
 *
 * @param client    the client's address
 * @param namaddr   "name[address]" as Postfix logs and replies it ("unknown[192.0.2.1]": the
 *                  edge does no reverse lookups)
 * @param helo      the HELO/EHLO argument, null before one
 * @param esmtp     whether the client said EHLO
 * @param sender    the MAIL FROM address ("" for the null sender), null outside a transaction
 * @param recipient the RCPT TO address being checked, null outside RCPT
 * @param pipelined whether the client has pipelined where RFC 2920 does not allow it (this session)
 * @param command   the command being checked (CONNECT, HELO, MAIL, RCPT, DATA, END-OF-MESSAGE)
 */
public record Facts(InetAddress client, String namaddr, String helo, boolean esmtp, String sender,
                    String recipient, boolean pipelined, String command) {
}
