package dev.portcullis.ban;

import dev.portcullis.events.EventMeta;
import dev.portcullis.events.SessionEvent;

import java.time.Instant;
import java.util.UUID;

/** Session events as an edge publishes them, for tests. */
public final class Events {

    private Events() {
    }

    public static EventMeta meta(String ip, Instant at) {
        return new EventMeta(SessionEvent.SCHEMA, UUID.randomUUID().toString(), at, "edge-test", "s-" + UUID.randomUUID(), ip);
    }

    public static SessionEvent.Reject reject(String ip, Instant at, int code, String enhanced, String check) {
        return new SessionEvent.Reject(meta(ip, at), "RCPT", code, enhanced, check, code + " " + enhanced + " rejected",
                "a@example.org", "b@example.com");
    }

    /** Relay access denied, as Postfix words it. */
    public static SessionEvent.Reject relayDenied(String ip, Instant at) {
        return reject(ip, at, 554, "5.7.1", "reject_unauth_destination");
    }

    public static SessionEvent.Limit limit(String ip, Instant at, String name) {
        return new SessionEvent.Limit(meta(ip, at), name, 10, 5);
    }

    public static SessionEvent.Error error(String ip, Instant at, String command) {
        return new SessionEvent.Error(meta(ip, at), command, 500, "5.5.2", "Error: command not recognized", 1);
    }
}
