package dev.portcullis.events;

/** A record on the bus that this reader cannot understand; skip it and count it. */
public final class UnreadableEventException extends Exception {
    public UnreadableEventException(String reason) {
        super(reason);
    }
}
