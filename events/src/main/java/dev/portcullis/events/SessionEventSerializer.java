package dev.portcullis.events;

import org.apache.kafka.common.serialization.Serializer;

/** Kafka serializer for {@link SessionEvent} (JSON, see {@link EventCodec}). */
public final class SessionEventSerializer implements Serializer<SessionEvent> {
    @Override
    public byte[] serialize(String topic, SessionEvent event) {
        return event == null ? null : EventCodec.encode(event);
    }
}
