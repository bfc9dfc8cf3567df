package dev.portcullis.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;

/**
 * JSON form of {@link Verdict}, with the same reading rules as {@link EventCodec}: lenient
 * about unknown fields, an {@link UnreadableEventException} for a newer schema, a missing
 * subject or bytes that are not JSON. A tombstone (null bytes) is not decoded here: it
 * means "no verdict" and the consumer handles it before calling {@link #decode}.
 */
public final class VerdictCodec {

    private VerdictCodec() {
    }

    public static byte[] encode(Verdict verdict) {
        try {
            return EventCodec.MAPPER.writeValueAsBytes(verdict);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a verdict", e);
        }
    }

    public static Verdict decode(byte[] bytes) throws UnreadableEventException {
        if (bytes == null) {
            throw new UnreadableEventException("a tombstone is not a verdict");
        }
        try {
            JsonNode tree = EventCodec.MAPPER.readTree(bytes);
            JsonNode schema = tree == null ? null : tree.get("schema");
            if (schema == null || !schema.canConvertToInt()) {
                throw new UnreadableEventException("no schema version");
            }
            if (schema.intValue() > Verdict.SCHEMA) {
                throw new UnreadableEventException("schema " + schema.intValue() + " is newer than " + Verdict.SCHEMA);
            }
            Verdict verdict = EventCodec.MAPPER.treeToValue(tree, Verdict.class);
            if (verdict.subject() == null || verdict.subject().isBlank() || verdict.issued() == null) {
                throw new UnreadableEventException("verdict without subject or issue time");
            }
            for (Verdict.Entry e : verdict.limits()) {
                if (e.limit() == null || e.until() == null) {
                    throw new UnreadableEventException("verdict entry without limit or expiry");
                }
            }
            return verdict;
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new UnreadableEventException(EventCodec.shorten(e.getMessage()));
        }
    }
}
