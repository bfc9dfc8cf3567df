package dev.portcullis.events;

import org.apache.kafka.common.serialization.Serializer;

/** Kafka serializer for {@link Decision} (JSON, see {@link DecisionCodec}); null stays null (a tombstone). */
public final class DecisionSerializer implements Serializer<Decision> {
    @Override
    public byte[] serialize(String topic, Decision decision) {
        return decision == null ? null : DecisionCodec.encode(decision);
    }
}
