package dev.portcullis.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reading rule every record on the bus shares: a schema version at a known place,
 * lenient about unknown fields, and an {@link UnreadableEventException} - never another
 * exception - for bytes that are not JSON, a missing or newer schema, or a shape that does
 * not bind.
 *
 * <p>How: the schema is found by a streaming pass over the tokens (no tree is built, no
 * string or number not on the schema's path is materialised), then the bytes are bound to
 * the record in one go. This reads each record once into objects instead of twice (a tree,
 * then the record from the tree), which was most of a consumer's decoding time. The pass
 * answers exactly what the tree did: it reads the whole document (so malformed JSON is
 * refused before the schema is looked at), a repeated key counts by its last occurrence as
 * in Jackson's trees, and a number is a schema version when it fits an {@code int} (a
 * fractional one is cut, as {@code JsonNode.intValue()} does); text or a missing value is
 * not a version.
 */
final class VersionedJson {

    private static final Map<Class<?>, ObjectReader> READERS = new ConcurrentHashMap<>();

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

    /**
     * @param schemaPointer where the schema version is, as a JSON pointer of object keys
     *                      ({@code /schema}, {@code /meta/schema}); no escapes, no array indexes
     */
    static <T> T decode(byte[] bytes, String schemaPointer, int newestSchema, Class<T> type)
            throws UnreadableEventException {
        if (bytes == null) {
            throw new UnreadableEventException("empty record");
        }
        try {
            Long schema;
            try (JsonParser p = EventCodec.MAPPER.getFactory().createParser(bytes)) {
                schema = schemaOf(p, path(schemaPointer));
            }
            if (schema == null) {
                throw new UnreadableEventException("no schema version");
            }
            if (schema > newestSchema) {
                throw new UnreadableEventException("schema " + schema + " is newer than " + newestSchema);
            }
            return READERS.computeIfAbsent(type, EventCodec.MAPPER::readerFor).readValue(bytes);
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new UnreadableEventException(shorten(e.getMessage()));
        }
    }

    private static final Map<String, String[]> PATHS = new ConcurrentHashMap<>();

    private static String[] path(String pointer) {
        return PATHS.computeIfAbsent(pointer, s -> {
            if (!s.startsWith("/") || s.length() < 2 || s.contains("~")) {
                throw new IllegalArgumentException("unsupported schema pointer " + s);
            }
            return s.substring(1).split("/", -1);
        });
    }

    /**
     * The schema version at {@code path} in the one JSON value {@code p} reads, or null when
     * there is none or it is not a number that fits an int. Reads the whole value.
     */
    static Long schemaOf(JsonParser p, String[] path) throws IOException {
        JsonToken t = p.nextToken();
        if (t == null) {
            return null; // no content: the tree reader's missing node
        }
        if (t != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null;
        }
        return inObject(p, path, 0);
    }

    /** Reads the object whose START_OBJECT was just read; the last occurrence of a key wins. */
    private static Long inObject(JsonParser p, String[] path, int depth) throws IOException {
        Long found = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            if (t != JsonToken.FIELD_NAME) {
                throw new IOException("unexpected token " + t); // the parser itself refuses these first
            }
            boolean onPath = path[depth].equals(p.currentName());
            JsonToken v = p.nextToken();
            if (!onPath) {
                p.skipChildren();
            } else if (depth == path.length - 1) {
                found = asInt(p, v);
                p.skipChildren();
            } else if (v == JsonToken.START_OBJECT) {
                found = inObject(p, path, depth + 1);
            } else {
                found = null;
                p.skipChildren();
            }
        }
        return found;
    }

    /** What {@code JsonNode.canConvertToInt()} and {@code intValue()} say of the value at hand. */
    private static Long asInt(JsonParser p, JsonToken v) throws IOException {
        if (v == JsonToken.VALUE_NUMBER_INT) {
            if (p.getNumberType() != JsonParser.NumberType.INT) {
                return null;
            }
            return (long) p.getIntValue();
        }
        if (v == JsonToken.VALUE_NUMBER_FLOAT) {
            double d = p.getDoubleValue();
            if (d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE) {
                return (long) (int) d;
            }
        }
        return null;
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
