package dev.portcullis.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A single-pass reader for the one JSON shape our own producers write for a {@link Decision}
 * ({@link DecisionCodec#encode}: compact, no whitespace, every field once), so that an edge's
 * start-up replay of {@link Topics#DECISIONS} does not pay Jackson's schema scan, parser set-up
 * and record binding for each of 100,000 records.
 *
 * <p>It answers for a strict subset of JSON and gives up ({@code null}) on anything outside
 * it; the caller then reads the record with the general decoder ({@link VersionedJson}), so
 * what is accepted and what it means never depend on which path read it. The subset:
 * <ul>
 *   <li>one object, nothing before or after it, no whitespace anywhere;</li>
 *   <li>only the fields of {@link Decision}, each at most once, in any order (an unknown field,
 *       as a newer producer may add, goes to the general path, which ignores it);</li>
 *   <li>{@code schema}: 1 to 9 ASCII digits without a leading zero, at most {@link Decision#SCHEMA}
 *       (a newer, missing or odd schema is the general path's to refuse);</li>
 *   <li>text fields: {@code null}, or a string of printable ASCII without {@code "} or
 *       {@code \} (no escapes, no multi-byte UTF-8 to validate);</li>
 *   <li>{@code action}: {@code "BAN"} or {@code "ALLOW"};</li>
 *   <li>{@code created}, {@code expires}: {@code null}, or the exact ISO_INSTANT shape
 *       {@link EventCodec.IsoInstant#parse} computes directly;</li>
 *   <li>{@code ports}, {@code exceptPorts}: {@code null} or an array of such small integers.</li>
 * </ul>
 * Within the subset, Jackson's binding gives the same record: the same strings, enum constant,
 * instants and lists, {@code null} (then an empty list, by {@link Decision}'s constructor) for
 * a missing field. {@code CanonicalDecisionReaderTest} checks this against the general decoder,
 * for our encoder's output and for mutated records. Range checks (ports 1-65535, required
 * fields) stay in {@link DecisionCodec}, after either path.
 */
final class CanonicalDecisionReader {

    private static final String[] FIELDS = {"schema", "cidr", "action", "ports", "origin", "reason", "created",
            "expires", "issuer", "exceptPorts"};
    private static final byte[][] FIELD_BYTES = new byte[FIELDS.length][];

    static {
        for (int i = 0; i < FIELDS.length; i++) {
            FIELD_BYTES[i] = FIELDS[i].getBytes(StandardCharsets.US_ASCII);
        }
    }

    /**
     * Origin, reason and issuer repeat across most decisions (one jail's bans share all three),
     * so a held decision shares them instead of keeping its own copies.
     */
    private static final AsciiInterner REPEATED = new AsciiInterner(1024, 200);
    /** Single-port lists ({@code [80]}, {@code [25]}) are shared too; below this port. */
    private static final int SHARED_PORTS = 1024;
    @SuppressWarnings("unchecked")
    private static final List<Integer>[] ONE_PORT = new List[SHARED_PORTS];

    private static final int SCHEMA = 0, CIDR = 1, ACTION = 2, PORTS = 3, ORIGIN = 4, REASON = 5, CREATED = 6,
            EXPIRES = 7, ISSUER = 8, EXCEPT_PORTS = 9;

    private final byte[] b;
    private int pos;

    private CanonicalDecisionReader(byte[] bytes) {
        this.b = bytes;
    }

    /** The decision in {@code bytes} when they are in the subset (see the class comment), else null. */
    static Decision read(byte[] bytes) {
        try {
            return new CanonicalDecisionReader(bytes).decision();
        } catch (Outside e) {
            return null;
        }
    }

    private Decision decision() throws Outside {
        int seen = 0;
        long schema = -1;
        String cidr = null, origin = null, reason = null, issuer = null;
        Decision.Action action = null;
        Instant created = null, expires = null;
        List<Integer> ports = null, exceptPorts = null;
        expect('{');
        if (peek() != '}') {
            do {
                int field = fieldName(Integer.bitCount(seen));
                if ((seen & (1 << field)) != 0) {
                    throw Outside.INSTANCE; // a repeated key: the general path knows which occurrence counts
                }
                seen |= 1 << field;
                expect(':');
                switch (field) {
                    case SCHEMA -> schema = number();
                    case CIDR -> cidr = text();
                    case ACTION -> action = action();
                    case PORTS -> ports = numbers();
                    case ORIGIN -> origin = repeatedText();
                    case REASON -> reason = repeatedText();
                    case CREATED -> created = instant();
                    case EXPIRES -> expires = instant();
                    case ISSUER -> issuer = repeatedText();
                    default -> exceptPorts = numbers();
                }
            } while (next() == ',' || back());
        }
        expect('}');
        if (pos != b.length || schema < 0 || schema > Decision.SCHEMA) {
            throw Outside.INSTANCE;
        }
        return new Decision((int) schema, cidr, action, ports, origin, reason, created, expires, issuer, exceptPorts);
    }

    /** Steps back over the byte {@link #next()} just read (it was not a comma); false, to end the loop. */
    private boolean back() {
        pos--;
        return false;
    }

    /** The field whose name comes next; {@code likely} (our encoder's order) is tried first. */
    private int fieldName(int likely) throws Outside {
        expect('"');
        int start = pos;
        int end = closingQuote();
        if (likely < FIELD_BYTES.length && named(likely, start, end)) {
            return likely;
        }
        for (int f = 0; f < FIELD_BYTES.length; f++) {
            if (named(f, start, end)) {
                return f;
            }
        }
        throw Outside.INSTANCE;
    }

    private boolean named(int field, int start, int end) {
        byte[] name = FIELD_BYTES[field];
        return name.length == end - start && java.util.Arrays.equals(b, start, end, name, 0, name.length);
    }

    /** From just after an opening quote: the index of the closing one, past it; printable ASCII only. */
    private int closingQuote() throws Outside {
        for (int i = pos; i < b.length; i++) {
            byte c = b[i];
            if (c == '"') {
                pos = i + 1;
                return i;
            }
            if (c < 0x20 || c > 0x7e || c == '\\') {
                throw Outside.INSTANCE;
            }
        }
        throw Outside.INSTANCE;
    }

    private boolean isNull() throws Outside {
        if (peek() != 'n') {
            return false;
        }
        if (pos + 4 > b.length || b[pos + 1] != 'u' || b[pos + 2] != 'l' || b[pos + 3] != 'l') {
            throw Outside.INSTANCE;
        }
        pos += 4;
        return true;
    }

    private String text() throws Outside {
        return text(null);
    }

    /** As {@link #text()}, shared with earlier records that had the same text (see {@link #REPEATED}). */
    private String repeatedText() throws Outside {
        return text(REPEATED);
    }

    /** A text field's value: null, or the string (from {@code shared} when given). */
    private String text(AsciiInterner shared) throws Outside {
        if (isNull()) {
            return null;
        }
        expect('"');
        int start = pos;
        int end = closingQuote();
        return shared == null ? new String(b, start, end - start, StandardCharsets.ISO_8859_1)
                : shared.intern(b, start, end);
    }

    private Decision.Action action() throws Outside {
        String s = text();
        if ("BAN".equals(s)) {
            return Decision.Action.BAN;
        }
        if ("ALLOW".equals(s)) {
            return Decision.Action.ALLOW;
        }
        throw Outside.INSTANCE;
    }

    private Instant instant() throws Outside {
        String s = text();
        if (s == null) {
            return null;
        }
        Instant t = EventCodec.IsoInstant.parse(s);
        if (t == null) {
            throw Outside.INSTANCE;
        }
        return t;
    }

    /** 1 to 9 digits, no leading zero unless it is {@code 0} itself (so it fits an int as Jackson's INT). */
    private long number() throws Outside {
        int start = pos;
        long v = 0;
        while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
            v = v * 10 + (b[pos++] - '0');
        }
        int len = pos - start;
        if (len == 0 || len > 9 || (len > 1 && b[start] == '0')) {
            throw Outside.INSTANCE;
        }
        return v;
    }

    private List<Integer> numbers() throws Outside {
        if (isNull()) {
            return null;
        }
        expect('[');
        if (peek() == ']') {
            pos++;
            return List.of();
        }
        int first = (int) number();
        if (peek() == ']') {
            pos++;
            return onePort(first);
        }
        List<Integer> out = new ArrayList<>(4);
        out.add(first);
        while (next() == ',' || back()) {
            out.add((int) number());
        }
        expect(']');
        return out;
    }

    /** {@code List.of(port)}, the same instance for every record with that one (well-known) port. */
    private static List<Integer> onePort(int port) {
        if (port >= SHARED_PORTS) {
            return List.of(port);
        }
        List<Integer> list = ONE_PORT[port];
        if (list == null) {
            list = List.of(port); // a racing thread may make another: equal, and one of them stays
            ONE_PORT[port] = list;
        }
        return list;
    }

    private int peek() throws Outside {
        if (pos >= b.length) {
            throw Outside.INSTANCE;
        }
        return b[pos];
    }

    private int next() throws Outside {
        int c = peek();
        pos++;
        return c;
    }

    private void expect(char c) throws Outside {
        if (next() != c) {
            throw Outside.INSTANCE;
        }
    }

    /** Not in the subset; a shared instance without a stack trace, as it is control flow. */
    private static final class Outside extends Exception {
        static final Outside INSTANCE = new Outside();

        private Outside() {
            super(null, null, false, false);
        }
    }
}
