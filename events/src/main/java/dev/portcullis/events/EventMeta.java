package dev.portcullis.events;

import java.time.Instant;
import java.util.Objects;

/**
 * What every session event carries: the schema version it was written with, a unique id,
 * when it happened, which edge and session produced it, and the client address it is about
 * (also the Kafka record key, so one consumer owns one client's events).
 */
public record EventMeta(int schema, String id, Instant time, String edgeId, String sessionId, String clientIp) {

    public EventMeta {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(edgeId, "edgeId");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(clientIp, "clientIp");
    }
}
