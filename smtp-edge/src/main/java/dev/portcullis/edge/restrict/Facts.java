package dev.portcullis.edge.restrict;

import java.net.InetAddress;

/**
 * What a restriction may look at, as the session knows it when the check runs.
 *
 * @param client     the client's address
 * @param namaddr    "name[address]" as Postfix logs and replies it ("unknown[192.0.2.1]" until
 *                   the client name is looked up, or when it is not forward-confirmed)
 * @param helo       the HELO/EHLO argument, null before one
 * @param esmtp      whether the client said EHLO
 * @param sender     the MAIL FROM address ("" for the null sender), null outside a transaction
 * @param recipient  the RCPT TO address being checked, null outside RCPT
 * @param pipelined  whether the client has pipelined where RFC 2920 does not allow it (this session)
 * @param command    the command being checked (CONNECT, HELO, MAIL, RCPT, DATA, END-OF-MESSAGE)
 * @param clientName the client's names, null while not looked up
 * @param dns        the DNS answers prefetched for this check ({@link RestrictionEngine#prepare})
 */
public record Facts(InetAddress client, String namaddr, String helo, boolean esmtp, String sender,
                    String recipient, boolean pipelined, String command, ClientName clientName, DnsAnswers dns) {

    /** Facts without DNS: the client name not looked up, no answers. */
    public Facts(InetAddress client, String namaddr, String helo, boolean esmtp, String sender, String recipient,
                 boolean pipelined, String command) {
        this(client, namaddr, helo, esmtp, sender, recipient, pipelined, command, null, DnsAnswers.NONE);
    }

    /** The client's names, "unknown" when they were not looked up. */
    public ClientName names() {
        return clientName == null ? ClientName.NOT_LOOKED_UP : clientName;
    }

    Facts withClientName(ClientName n) {
        String addr = client.getHostAddress();
        return new Facts(client, n.name() + "[" + addr + "]", helo, esmtp, sender, recipient, pipelined, command, n,
                dns);
    }

    Facts withDns(DnsAnswers answers) {
        return new Facts(client, namaddr, helo, esmtp, sender, recipient, pipelined, command, clientName, answers);
    }
}
