package dev.portcullis.reputation.counts;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rejects of one bucket by what fired ({@code check:<name>}) and by SMTP code
 * ({@code code:<nnn>}). The names come from our own edges, but a check name can carry a
 * table name an admin chose, so the number of distinct keys is capped
 * ({@value #MAX_KEYS}); the rest are counted under {@code check:other} or {@code code:other}.
 */
public final class Breakdown {

    static final String CHECK = "check:";
    static final String CODE = "code:";
    static final int MAX_KEYS = 16;
    private static final String OTHER = "other";

    private String[] keys = new String[2];
    private long[] counts = new long[2];
    private int size;

    public void add(String key, long amount) {
        for (int i = 0; i < size; i++) {
            if (keys[i].equals(key)) {
                counts[i] += amount;
                return;
            }
        }
        if (size >= MAX_KEYS && !key.endsWith(OTHER)) {
            // Full: count it under its kind's "other" (which may take a slot past the cap).
            add(key.startsWith(CODE) ? CODE + OTHER : CHECK + OTHER, amount);
            return;
        }
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            counts = Arrays.copyOf(counts, size * 2);
        }
        keys[size] = key;
        counts[size++] = amount;
    }

    void addAll(Breakdown other) {
        for (int i = 0; i < other.size; i++) {
            add(other.keys[i], other.counts[i]);
        }
    }

    int size() {
        return size;
    }

    String key(int i) {
        return keys[i];
    }

    long count(int i) {
        return counts[i];
    }

    /** Rejects by check name. */
    public Map<String, Long> byCheck() {
        return strip(CHECK);
    }

    /** Rejects by SMTP code. */
    public Map<String, Long> byCode() {
        return strip(CODE);
    }

    private Map<String, Long> strip(String prefix) {
        Map<String, Long> out = new TreeMap<>();
        for (int i = 0; i < size; i++) {
            if (keys[i].startsWith(prefix)) {
                out.merge(keys[i].substring(prefix.length()), counts[i], Long::sum);
            }
        }
        return out;
    }
}
