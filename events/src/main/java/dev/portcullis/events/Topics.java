package dev.portcullis.events;

/** Kafka topic names: the one place every service and the launcher take them from. */
public final class Topics {
    /** Session events, key = client IP as text. */
    public static final String EVENTS = "portcullis.events";
    /** Cluster-wide verdicts, compacted, key = IP or CIDR; a tombstone ends one. */
    public static final String VERDICTS = "portcullis.verdicts";
    /** Ban and allow decisions, compacted, key = CIDR; a tombstone lifts one. */
    public static final String DECISIONS = "portcullis.decisions";

    private Topics() {
    }
}
