package dev.portcullis.events;

import org.apache.kafka.common.serialization.Serializer;

/** Kafka serializer for {@link Verdict} (JSON, see {@link VerdictCodec}); null stays null (a tombstone). */
public final class VerdictSerializer implements Serializer<Verdict> {
    @Override
    public byte[] serialize(String topic, Verdict verdict) {
        return verdict == null ? null : VerdictCodec.encode(verdict);
    }
}
