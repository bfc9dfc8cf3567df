package dev.portcullis.edge.relay;

import dev.portcullis.edge.protocol.SmtpReply;

/**
 * The conversation with a next hop broke down: it timed out, dropped the connection, sent
 * something that is not SMTP, or answered out of protocol. The session is closed when this
 * is raised; {@link #reply()} is what the edge tells its own client, the same reply
 * Postfix's smtpd gives when its smtpd_proxy_filter fails (see {@link ProxyReplies}).
 *
 * <p>A 4xx or 5xx from the next hop is not an exception: it completes the command's future
 * as an ordinary {@link SmtpReply} and is passed through to the client.
 */
public class NextHopException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the conversation ended. */
    public enum Kind {
        /** TCP connect failed or was refused. */
        CONNECT,
        /** No reply, or no write progress, within the timeout ({@code smtpd_proxy_timeout}). */
        TIMEOUT,
        /** The next hop closed the connection, or the socket failed, while we waited. */
        LOST_CONNECTION,
        /** The bytes received are not an SMTP reply, or a reply arrived unasked. */
        PROTOCOL,
        /** A positive reply of the wrong kind (2xx to DATA, 3xx to MAIL), or a refused banner or EHLO. */
        UNEXPECTED_REPLY,
        /** The session was used after {@link ProxySession#close()}. */
        CLOSED
    }

    private final Kind kind;

    public NextHopException(Kind kind, String reason) {
        super(reason);
        this.kind = kind;
    }

    public NextHopException(Kind kind, String reason, Throwable cause) {
        super(reason, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The reply for the edge's client: {@code 451 4.3.0 Error: queue file write error}. */
    public SmtpReply reply() {
        return ProxyReplies.QUEUE_FILE_WRITE_ERROR;
    }
}
