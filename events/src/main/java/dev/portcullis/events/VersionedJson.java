package dev.portcullis.events;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;

/**
 * The reading rule every record on the bus shares: a schema version at a known place,
 * lenient about unknown fields, and an {@link UnreadableEventException} - never another
 * exception - for bytes that are not JSON, a missing or newer schema, or a shape that does
 * not bind.
 */
final class VersionedJson {

    private VersionedJson() {
    }

    static byte[] encode(Object record) {
        try {
            return EventCodec.MAPPER.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            // Only our own records go in here, so this is a programming error.
            throw new IllegalStateException("cannot encode " + record.getClass().getSimpleName(), e);
        }
    }

    static <T> T decode(byte[] bytes, String schemaPointer, int newestSchema, Class<T> type)
            throws UnreadableEventException {
        if (bytes == null) {
            throw new UnreadableEventException("empty record");
        }
        try {
            JsonNode tree = EventCodec.MAPPER.readTree(bytes);
            JsonNode schema = tree == null ? null : tree.at(JsonPointer.compile(schemaPointer));
            if (schema == null || !schema.canConvertToInt()) {
                throw new UnreadableEventException("no schema version");
            }
            if (schema.intValue() > newestSchema) {
                throw new UnreadableEventException("schema " + schema.intValue() + " is newer than " + newestSchema);
            }
            return EventCodec.MAPPER.treeToValue(tree, type);
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
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
