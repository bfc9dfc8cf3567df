package dev.portcullis.events;

import java.util.List;

/**
 * JSON form of {@link Decision}, read by the rules of every bus record (see
 * {@link EventCodec}); also refused: a decision without network, action or creation time,
 * with a port (or except-port) outside 1-65535, or with both {@code ports} and
 * {@code exceptPorts} non-empty (no meaning either way, so no guess).
 * A tombstone (null bytes) means "lifted" and is handled by the consumer before decoding.
 *
 * <p>Records in the exact shape {@link #encode} writes are read by
 * {@link CanonicalDecisionReader} (an edge replays every decision at start); every other
 * record by {@link VersionedJson}, with the same result for any record both can read.
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
        // Our producers' own shape is read in one pass; anything else by the general rules.
        Decision d = CanonicalDecisionReader.read(bytes);
        if (d == null) {
            d = VersionedJson.decode(bytes, "/schema", Decision.SCHEMA, Decision.class);
        }
        if (d.cidr() == null || d.cidr().isBlank() || d.action() == null || d.created() == null) {
            throw new UnreadableEventException("decision without network, action or creation time");
        }
        checkPorts(d.ports(), "port");
        checkPorts(d.exceptPorts(), "except-port");
        if (!d.ports().isEmpty() && !d.exceptPorts().isEmpty()) {
            throw new UnreadableEventException("decision with both ports and exceptPorts");
        }
        return d;
    }

    private static void checkPorts(List<Integer> ports, String what) throws UnreadableEventException {
        for (Integer port : ports) {
            if (port == null || port < 1 || port > 65535) {
                throw new UnreadableEventException("decision with " + what + " outside 1-65535");
            }
        }
    }
}
