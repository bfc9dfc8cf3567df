package dev.portcullis.edge.smtp;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** Short session ids, unique per edge process, in the spirit of Postfix queue ids. */
final class SessionIds {
    private static final AtomicLong SEQUENCE = new AtomicLong(ThreadLocalRandom.current().nextLong(1L << 40));

    private SessionIds() {
    }

    static String next() {
        return Long.toString(SEQUENCE.incrementAndGet() & 0xFFFF_FFFF_FFFFL, 36).toUpperCase(java.util.Locale.ROOT);
    }
}
