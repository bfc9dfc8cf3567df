package dev.portcullis.events;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;

import java.util.Map;

/**
 * One thing that happened in an SMTP session at an edge, as published on
 * {@link Topics#EVENTS}. The JSON form names the kind in a {@code kind} property; a consumer
 * that meets a kind or a schema version it does not know skips the record and counts it
 * (see {@link EventCodec}).
 *
 * <p>Untrusted client text (HELO names, addresses, command lines) is cut to a short
 * printable prefix by the producer before it goes into an event.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(SessionEvent.Connect.class),
        @JsonSubTypes.Type(SessionEvent.Helo.class),
        @JsonSubTypes.Type(SessionEvent.Mail.class),
        @JsonSubTypes.Type(SessionEvent.Rcpt.class),
        @JsonSubTypes.Type(SessionEvent.Data.class),
        @JsonSubTypes.Type(SessionEvent.Accepted.class),
        @JsonSubTypes.Type(SessionEvent.Reject.class),
        @JsonSubTypes.Type(SessionEvent.Error.class),
        @JsonSubTypes.Type(SessionEvent.Tarpit.class),
        @JsonSubTypes.Type(SessionEvent.Limit.class),
        @JsonSubTypes.Type(SessionEvent.Disconnect.class),
})
public sealed interface SessionEvent {

    /** The version of this record layout; bump it when a field changes meaning. */
    int SCHEMA = 1;

    EventMeta meta();

    /** A client connected (and got past the session cap). */
    @JsonTypeName("CONNECT")
    record Connect(EventMeta meta, int clientPort, String serverAddress) implements SessionEvent {
    }

    /** HELO or EHLO was accepted. */
    @JsonTypeName("HELO")
    record Helo(EventMeta meta, String heloName, boolean esmtp) implements SessionEvent {
    }

    /** MAIL FROM was accepted; {@code declaredSize} is the SIZE= parameter or -1. */
    @JsonTypeName("MAIL")
    record Mail(EventMeta meta, String sender, long declaredSize) implements SessionEvent {
    }

    /** RCPT TO was accepted. */
    @JsonTypeName("RCPT")
    record Rcpt(EventMeta meta, String sender, String recipient) implements SessionEvent {
    }

    /** DATA was accepted (354 sent). */
    @JsonTypeName("DATA")
    record Data(EventMeta meta, int recipients) implements SessionEvent {
    }

    /** The next hop accepted the message and the client was told 250. */
    @JsonTypeName("ACCEPTED")
    record Accepted(EventMeta meta, String sender, int recipients, long size, String nextHopReply)
            implements SessionEvent {
    }

    /**
     * A policy reject or deferral: {@code stage} is the SMTP command it answered (CONNECT,
     * HELO, MAIL, RCPT, DATA, END-OF-MESSAGE), {@code check} names what fired (a restriction
     * name, a limit parameter, {@code next-hop} for a reply passed through from the next hop).
     */
    @JsonTypeName("REJECT")
    record Reject(EventMeta meta, String stage, int code, String enhancedCode, String check, String text,
                  String sender, String recipient) implements SessionEvent {
    }

    /** A protocol error: unknown command, bad syntax, bad sequence, overlong line. */
    @JsonTypeName("ERROR")
    record Error(EventMeta meta, String command, int code, String enhancedCode, String text, int errorCount)
            implements SessionEvent {
    }

    /** A reply was held back by the tarpit for {@code delayMillis}. */
    @JsonTypeName("TARPIT")
    record Tarpit(EventMeta meta, long delayMillis, int errorCount) implements SessionEvent {
    }

    /** A limit was hit: {@code limit} is the Postfix parameter name, {@code value} what was seen. */
    @JsonTypeName("LIMIT")
    record Limit(EventMeta meta, String limit, long value, long configured) implements SessionEvent {
    }

    /**
     * The session ended. {@code counts} holds Postfix's per-command counters as in its
     * "disconnect from" log line ({@code ehlo}, {@code mail}, {@code rcpt} ... with
     * {@code <name>.ok} and {@code <name>.all}); {@code reason} is how it ended.
     */
    @JsonTypeName("DISCONNECT")
    record Disconnect(EventMeta meta, String reason, long durationMillis, int errors, int messages,
                      Map<String, Integer> counts) implements SessionEvent {
    }
}
