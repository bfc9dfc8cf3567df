package dev.portcullis.edge.smtp;

import dev.portcullis.edge.protocol.SmtpReply;

/**
 * The replies the edge gives, in Postfix's words. Each text was checked against a real
 * Postfix 3.7 smtpd on loopback (see docs/postfix-oracle.md); where Portcullis has no
 * Postfix counterpart the comment says so.
 */
public final class Replies {

    private Replies() {
    }

    /**
     * To a client banned by a decision ({@code BanGate}). No Postfix smtpd counterpart; the
     * words are those of Postfix's reject_rbl_client ("Service unavailable; Client host [IP]
     * blocked using ..."), which admins and senders already recognise.
     */
    public static SmtpReply banned(String clientIp) {
        return SmtpReply.of(554, "5.7.1", "Service unavailable; Client host [" + clientIp + "] blocked");
    }

    /**
     * End of DATA when the content filter could not judge the message and
     * {@code portcullis.content-filter.failure-action = tempfail}: the client keeps the message
     * and retries. Postfix's milter_default_action = tempfail says "451 4.7.1 Service
     * unavailable - try again later"; 4.3.0 names a system problem, which this is.
     */
    public static SmtpReply contentFilterUnavailable() {
        return SmtpReply.of(451, "4.3.0", "Error: content check temporarily unavailable, try again later");
    }

    /** A content REJECT without its own text: cleanup(8)'s default. */
    public static SmtpReply contentRejected() {
        return SmtpReply.of(550, "5.7.1", "Message content rejected");
    }

    /**
     * A DISCARDed message: the client is told what a delivery would tell it (Postfix says
     * "250 2.0.0 Ok: queued as QUEUEID" for a message its cleanup then discards).
     */
    public static SmtpReply discardedAsQueued(String id) {
        return SmtpReply.of(250, "2.0.0", "Ok: queued as " + id);
    }

    public static SmtpReply greeting(String banner) {
        return SmtpReply.of(220, null, banner);
    }

    public static SmtpReply ok() {
        return SmtpReply.of(250, "2.0.0", "Ok");
    }

    public static SmtpReply mailOk() {
        return SmtpReply.of(250, "2.1.0", "Ok");
    }

    public static SmtpReply rcptOk() {
        return SmtpReply.of(250, "2.1.5", "Ok");
    }

    public static SmtpReply helo(String myhostname) {
        return SmtpReply.of(250, null, myhostname);
    }

    public static SmtpReply bye() {
        return SmtpReply.of(221, "2.0.0", "Bye");
    }

    public static SmtpReply startData() {
        return SmtpReply.of(354, null, "End data with <CR><LF>.<CR><LF>");
    }

    public static SmtpReply readyToStartTls() {
        return SmtpReply.of(220, "2.0.0", "Ready to start TLS");
    }

    public static SmtpReply vrfy(String address) {
        return SmtpReply.of(252, "2.0.0", address);
    }

    public static SmtpReply vrfyDisabled() {
        return SmtpReply.of(502, "5.5.1", "VRFY command is disabled");
    }

    public static SmtpReply unknownCommand() {
        return SmtpReply.of(500, "5.5.2", "Error: command not recognized");
    }

    public static SmtpReply badSyntax() {
        return SmtpReply.of(500, "5.5.2", "Error: bad syntax");
    }

    public static SmtpReply badUtf8() {
        return SmtpReply.of(500, "5.5.2", "Error: bad UTF-8 syntax");
    }

    /** smtpd_forbidden_commands: the reply before Postfix hangs up on a non-SMTP client. */
    public static SmtpReply breakRules() {
        return SmtpReply.of(221, "2.7.0", "Error: I can break rules, too. Goodbye.");
    }

    public static SmtpReply noValidRecipients() {
        return SmtpReply.of(554, "5.5.1", "Error: no valid recipients");
    }

    /** At end of data, when the message grew past message_size_limit. */
    public static SmtpReply messageFileTooBig() {
        return SmtpReply.of(552, "5.3.4", "Error: message file too big");
    }

    /**
     * Not Postfix: Postfix runs the first line_length_limit bytes of an overlong command as
     * the command. Portcullis refuses the line and counts an error instead, so an attacker
     * cannot smuggle a command past a length-based filter.
     */
    public static SmtpReply lineTooLong() {
        return SmtpReply.of(500, "5.5.2", "Error: command line too long");
    }

    public static SmtpReply bareNewline(String myhostname) {
        return SmtpReply.of(550, "5.5.2", myhostname + " Error: bare <LF> received");
    }

    public static SmtpReply syntax(String usage) {
        return SmtpReply.of(501, "5.5.4", "Syntax: " + usage);
    }

    /** Postfix gives this one without an enhanced status code. */
    public static SmtpReply heloSyntax(String verb) {
        return SmtpReply.of(501, null, "Syntax: " + verb + " hostname");
    }

    public static SmtpReply badSenderSyntax() {
        return SmtpReply.of(501, "5.1.7", "Bad sender address syntax");
    }

    public static SmtpReply badRecipientSyntax() {
        return SmtpReply.of(501, "5.1.3", "Bad recipient address syntax");
    }

    public static SmtpReply unsupportedOption(String option) {
        return SmtpReply.of(555, "5.5.4", "Unsupported option: " + option);
    }

    public static SmtpReply badSize() {
        return SmtpReply.of(501, "5.5.4", "Bad message size syntax");
    }

    public static SmtpReply badBody() {
        return SmtpReply.of(501, "5.5.4", "Unsupported BODY parameter");
    }

    public static SmtpReply sendHeloFirst() {
        return SmtpReply.of(503, "5.5.1", "Error: send HELO/EHLO first");
    }

    public static SmtpReply nestedMail() {
        return SmtpReply.of(503, "5.5.1", "Error: nested MAIL command");
    }

    public static SmtpReply needMail() {
        return SmtpReply.of(503, "5.5.1", "Error: need MAIL command");
    }

    public static SmtpReply needRcpt() {
        return SmtpReply.of(503, "5.5.1", "Error: need RCPT command");
    }

    public static SmtpReply alreadyTls() {
        return SmtpReply.of(554, "5.5.1", "Error: TLS already active");
    }

    /** STARTTLS when no key pair is configured, ETRN: Postfix's reply for what it does not offer. */
    public static SmtpReply notImplemented() {
        return SmtpReply.of(502, "5.5.1", "Error: command not implemented");
    }

    public static SmtpReply authNotEnabled() {
        return SmtpReply.of(503, "5.5.1", "Error: authentication not enabled");
    }

    public static SmtpReply tooManyRecipients() {
        return SmtpReply.of(452, "4.5.3", "Error: too many recipients");
    }

    public static SmtpReply sizeExceedsLimit() {
        return SmtpReply.of(552, "5.3.4", "Message size exceeds fixed limit");
    }

    public static SmtpReply relayDenied(String recipient, boolean defer) {
        return defer ? SmtpReply.of(454, "4.7.1", "<" + recipient + ">: Relay access denied")
                : SmtpReply.of(554, "5.7.1", "<" + recipient + ">: Relay access denied");
    }

    /** Every command after a client refused at connect (smtpd_delay_reject = no), QUIT excepted. */
    public static SmtpReply accessDenied(String namaddr) {
        return SmtpReply.of(503, "5.7.0", "Error: access denied for " + namaddr);
    }

    public static SmtpReply tooManyErrors(String myhostname) {
        return SmtpReply.of(421, "4.7.0", myhostname + " Error: too many errors");
    }

    public static SmtpReply timeout(String myhostname) {
        return SmtpReply.of(421, "4.4.2", myhostname + " Error: timeout exceeded");
    }

    public static SmtpReply tooManyConnections(String myhostname, String ip) {
        return SmtpReply.of(421, "4.7.0", myhostname + " Error: too many connections from " + ip);
    }

    /** STARTTLS refused, the session goes on (Postfix's starttls_cmd); {@code client} is "unknown[IP]". */
    public static SmtpReply tooManyTlsSessions(String client) {
        return SmtpReply.of(454, "4.7.0", "Error: too many new TLS sessions from " + client);
    }

    /** The handshake that crossed the limit: told inside TLS, then closed (smtpd_start_tls). */
    public static SmtpReply tooManyNewTlsSessions(String myhostname, String client) {
        return SmtpReply.of(421, "4.7.0", myhostname + " Error: too many new TLS sessions from " + client);
    }

    public static SmtpReply tooMuchMail(String ip) {
        return SmtpReply.of(450, "4.7.1", "Error: too much mail from " + ip);
    }

    public static SmtpReply tooManyRecipientsFrom(String ip) {
        return SmtpReply.of(450, "4.7.1", "Error: too many recipients from " + ip);
    }

    /** postscreen's words when every slot is taken; smtpd itself would just not accept. */
    public static SmtpReply allPortsBusy() {
        return SmtpReply.of(421, "4.3.2", "All server ports are busy");
    }

    public static SmtpReply shuttingDown(String myhostname) {
        return SmtpReply.of(421, "4.3.2", myhostname + " Service shutting down");
    }

    /** What Postfix's smtpd answers when its before-queue proxy fails (smtpd_proxy.c). */
    public static SmtpReply proxyFailure() {
        return SmtpReply.of(451, "4.3.0", "Error: queue file write error");
    }
}
