package dev.portcullis.events;

import java.nio.charset.StandardCharsets;

/**
 * Hands out one shared {@link String} for text that repeats across records, read straight from
 * the record's bytes, so that the decisions an enforcement point holds do not each carry their
 * own copy of {@code jail:postfix}, {@code 3 rejects in 10m} or the publishing pod's name.
 *
 * <p>Why: an edge holds every live decision (up to {@code portcullis.decisions.max-entries},
 * two million by default), and its start-up replay inserts 100,000 of them in a second; those
 * three fields were about a third of what each held decision kept alive, and everything a
 * replay keeps alive is copied by the young collections that run during it.
 *
 * <p>How: a fixed array of slots indexed by a hash of the bytes; a slot holds the last string
 * seen with that hash. A hit compares the bytes with the slot's string and allocates nothing;
 * a miss (or a collision) makes a new string and takes the slot. So memory is bounded (the
 * slots) whatever the records say, text that does not repeat costs one compare more than
 * before, and the answer is always a string equal to the bytes. Slots are read and written
 * without locking: strings are immutable and a reference is written whole, so a race costs a
 * miss, never a wrong answer.
 *
 * <p>Only for printable ASCII (the reader's subset), read as ISO-8859-1, one byte per char.
 */
final class AsciiInterner {

    private final String[] slots;
    private final int mask;
    private final int maxLength;

    /**
     * @param slots     how many strings to keep (a power of two)
     * @param maxLength longer text is never kept (unlikely to repeat, and it would keep a large
     *                  string alive in a slot)
     */
    AsciiInterner(int slots, int maxLength) {
        if (slots < 1 || Integer.bitCount(slots) != 1) {
            throw new IllegalArgumentException("slots must be a power of two, not " + slots);
        }
        this.slots = new String[slots];
        this.mask = slots - 1;
        this.maxLength = maxLength;
    }

    /** The string of {@code b[start, end)}, shared with earlier calls for the same bytes where the slot still has it. */
    String intern(byte[] b, int start, int end) {
        int len = end - start;
        if (len > maxLength) {
            return new String(b, start, len, StandardCharsets.ISO_8859_1);
        }
        int h = len;
        for (int i = start; i < end; i++) {
            h = 31 * h + b[i];
        }
        int slot = (h ^ (h >>> 16)) & mask;
        String s = slots[slot];
        if (s != null && same(s, b, start, len)) {
            return s;
        }
        s = new String(b, start, len, StandardCharsets.ISO_8859_1);
        slots[slot] = s;
        return s;
    }

    private static boolean same(String s, byte[] b, int start, int len) {
        if (s.length() != len) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) != (char) (b[start + i] & 0xff)) {
                return false;
            }
        }
        return true;
    }
}
