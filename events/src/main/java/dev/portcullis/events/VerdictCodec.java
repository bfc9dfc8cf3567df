package dev.portcullis.events;

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
        return VersionedJson.encode(verdict);
    }

    public static Verdict decode(byte[] bytes) throws UnreadableEventException {
        if (bytes == null) {
            throw new UnreadableEventException("a tombstone is not a verdict");
        }
        Verdict verdict = VersionedJson.decode(bytes, "/schema", Verdict.SCHEMA, Verdict.class);
        if (verdict.subject() == null || verdict.subject().isBlank() || verdict.issued() == null) {
            throw new UnreadableEventException("verdict without subject or issue time");
        }
        for (Verdict.Entry e : verdict.limits()) {
            if (e.limit() == null || e.until() == null) {
                throw new UnreadableEventException("verdict entry without limit or expiry");
            }
        }
        return verdict;
    }
}
