package dev.portcullis.events;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * JSON form of {@link SessionEvent}. Readers are lenient about fields they do not know
 * (a newer producer may add some) and strict about what they need: an unknown kind, a
 * newer schema, or bytes that are not JSON raise {@link UnreadableEventException}, which a
 * consumer counts and skips rather than stopping on.
 */
public final class EventCodec {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private EventCodec() {
    }

    public static byte[] encode(SessionEvent event) {
        return VersionedJson.encode(event);
    }

    public static SessionEvent decode(byte[] bytes) throws UnreadableEventException {
        return VersionedJson.decode(bytes, "/meta/schema", SessionEvent.SCHEMA, SessionEvent.class);
    }
}
