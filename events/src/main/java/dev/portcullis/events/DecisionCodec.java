package dev.portcullis.events;

/**
 * JSON form of {@link Decision}, read by the rules of every bus record (see
 * {@link EventCodec}); also refused: a decision without network, action or creation time.
 * A tombstone (null bytes) means "lifted" and is handled by the consumer before decoding.
 */
public final class DecisionCodec {

    private DecisionCodec() {
    }

    public static byte[] encode(Decision decision) {
        return VersionedJson.encode(decision);
    }

    public static Decision decode(byte[] bytes) throws UnreadableEventException {
        if (bytes == null) {
            throw new UnreadableEventException("a tombstone is not a decision");
        }
        Decision d = VersionedJson.decode(bytes, "/schema", Decision.SCHEMA, Decision.class);
        if (d.cidr() == null || d.cidr().isBlank() || d.action() == null || d.created() == null) {
            throw new UnreadableEventException("decision without network, action or creation time");
        }
        for (Integer port : d.ports()) {
            if (port == null || port < 1 || port > 65535) {
                throw new UnreadableEventException("decision with a port outside 1-65535");
            }
        }
        return d;
    }
}
