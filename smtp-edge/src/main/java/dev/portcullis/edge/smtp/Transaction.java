package dev.portcullis.edge.smtp;

import dev.portcullis.edge.relay.ProxySession;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The envelope of the transaction in progress and its next-hop connection. */
final class Transaction {
    final String sender;
    final String mailArgs;
    final long declaredSize;
    /** Opened at the first RCPT that passes the local checks, as Postfix's smtpd_proxy does. */
    ProxySession proxy;
    int recipients;
    String lastRecipient;
    /** Every accepted recipient (at most smtpd_recipient_limit), for the content filter's envelope. */
    final List<String> recipientList = new ArrayList<>();
    boolean broken;
    /** Set by an access table's DISCARD (the check that fired): nothing more goes to the next hop. */
    String discard;
    /** PREPEND headers for the top of the message, in the order they fired. */
    final List<String> prepend = new ArrayList<>(1);
    /** The last REDIRECT target, and the one the next hop was given. */
    String redirect;
    String redirectSent;
    /** BCC recipients, each given to the next hop once, before DATA. */
    final Set<String> bcc = new LinkedHashSet<>(1);
    final Set<String> bccSent = new HashSet<>(1);

    Transaction(String sender, String mailArgs, long declaredSize) {
        this.sender = sender;
        this.mailArgs = mailArgs;
        this.declaredSize = declaredSize;
    }

    void close() {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
    }
}
