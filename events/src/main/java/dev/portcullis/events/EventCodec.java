package dev.portcullis.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;

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
        try {
            return MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            // Only our own records go in here, so this is a programming error.
            throw new IllegalStateException("cannot encode " + event.getClass().getSimpleName(), e);
        }
    }

    public static SessionEvent decode(byte[] bytes) throws UnreadableEventException {
        if (bytes == null) {
            throw new UnreadableEventException("empty record");
        }
        try {
            JsonNode tree = MAPPER.readTree(bytes);
            JsonNode schema = tree == null ? null : tree.path("meta").get("schema");
            if (schema == null || !schema.canConvertToInt()) {
                throw new UnreadableEventException("no schema version");
            }
            if (schema.intValue() > SessionEvent.SCHEMA) {
                throw new UnreadableEventException("schema " + schema.intValue() + " is newer than "
                        + SessionEvent.SCHEMA);
            }
            return MAPPER.treeToValue(tree, SessionEvent.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new UnreadableEventException(shorten(e.getMessage()));
        }
    }

    /** Jackson quotes input in its messages; keep only a short first line of it. */
    static String shorten(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        String first = nl >= 0 ? message.substring(0, nl) : message;
        return first.length() > 160 ? first.substring(0, 160) + "..." : first;
    }
}
