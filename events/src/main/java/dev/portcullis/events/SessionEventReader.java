package dev.portcullis.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A single-pass reader for the one JSON shape our producers write: {@link EventCodec#encode}
 * (Jackson) with its key order ({@code kind}, then {@code meta} with {@code schema}, {@code id},
 * {@code time}, {@code edgeId}, {@code sessionId}, {@code clientIp}, then the record's
 * components in declaration order), no whitespace, and {@code meta.schema} equal to
 * {@link SessionEvent#SCHEMA}. Nothing else is read here: on the first byte that differs from
 * that shape it gives up and returns null, and the caller takes the general Jackson path
 * ({@link VersionedJson}), which decides what the record means or that it is unreadable.
 *
 * <p>Why: the general path costs a parser, a streaming pass for the schema and a data-binding
 * pass per record; this one walks the bytes once and allocates only the record and its
 * strings. It is several times faster, and a consumer of a full topic spends most of its
 * decoding time here.
 *
 * <p>How it stays exact (it must never read a record differently from the general path): it
 * accepts a strict subset of what Jackson accepts and builds the same values from it. Strings
 * are taken only when every byte is printable ASCII or DEL, or one of JSON's two-character
 * escapes (a {@code \}{@code u} escape, a control byte or a UTF-8 sequence goes to the general
 * path), so the bytes are the characters; {@code null} is
 * taken only for a component that may be null ({@link String} components and {@code counts});
 * numbers only as Jackson writes them (an optional minus, no leading zero, no fraction or
 * exponent, in range for the component's type); {@code time} only when
 * {@link EventCodec.IsoInstant#parse} takes it, the same fast path Jackson's binding uses;
 * {@code counts} with {@code int} values into a {@link LinkedHashMap}, as Jackson binds a
 * {@code Map}, the last of a repeated key winning as there. The record must end at the last byte.
 * {@code EventCodecTest} checks the two paths agree on every kind and on every truncation and
 * single-byte change of encoded events.
 */
final class SessionEventReader {

    /** Thrown on the first byte that is not the expected shape; preallocated, without a stack trace. */
    private static final class Mismatch extends RuntimeException {
        Mismatch() {
            super(null, null, false, false);
        }
    }

    private static final Mismatch MISMATCH = new Mismatch();

    private static final byte[] KIND = ascii("{\"kind\":\"");
    private static final byte[] META = ascii("\",\"meta\":{\"schema\":" + SessionEvent.SCHEMA + ",\"id\":");
    private static final byte[] TIME = ascii(",\"time\":");
    private static final byte[] EDGE_ID = ascii(",\"edgeId\":");
    private static final byte[] SESSION_ID = ascii(",\"sessionId\":");
    private static final byte[] CLIENT_IP = ascii(",\"clientIp\":");
    private static final byte[] NULL = ascii("null");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");

    private final byte[] b;
    private int pos;

    private SessionEventReader(byte[] bytes) {
        this.b = bytes;
    }

    /** The event {@code bytes} hold if they are exactly in our producers' shape, else null. */
    static SessionEvent read(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            SessionEventReader r = new SessionEventReader(bytes);
            SessionEvent event = r.event();
            return r.pos == bytes.length ? event : null;
        } catch (Mismatch | ArrayIndexOutOfBoundsException e) {
            return null; // the bytes ended early or differ from the shape: the general path decides
        }
    }

    private SessionEvent event() {
        expect(KIND);
        int kindStart = pos;
        while (b[pos] != '"') {
            pos++;
        }
        int kindEnd = pos;
        expect(META);
        String id = requiredString();
        expect(TIME);
        Instant time = EventCodec.IsoInstant.parse(requiredString());
        if (time == null) {
            throw MISMATCH;
        }
        expect(EDGE_ID);
        String edgeId = requiredString();
        expect(SESSION_ID);
        String sessionId = requiredString();
        expect(CLIENT_IP);
        String clientIp = requiredString();
        expect('}');
        EventMeta meta = new EventMeta(SessionEvent.SCHEMA, id, time, edgeId, sessionId, clientIp);
        SessionEvent event = switch (kind(kindStart, kindEnd)) {
            case "CONNECT" -> new SessionEvent.Connect(meta, intField("clientPort"), stringField("serverAddress"));
            case "HELO" -> new SessionEvent.Helo(meta, stringField("heloName"), booleanField("esmtp"));
            case "MAIL" -> new SessionEvent.Mail(meta, stringField("sender"), longField("declaredSize"));
            case "RCPT" -> new SessionEvent.Rcpt(meta, stringField("sender"), stringField("recipient"));
            case "DATA" -> new SessionEvent.Data(meta, intField("recipients"));
            case "ACCEPTED" -> new SessionEvent.Accepted(meta, stringField("sender"), intField("recipients"),
                    longField("size"), stringField("nextHopReply"));
            case "REJECT" -> new SessionEvent.Reject(meta, stringField("stage"), intField("code"),
                    stringField("enhancedCode"), stringField("check"), stringField("text"), stringField("sender"),
                    stringField("recipient"));
            case "ERROR" -> new SessionEvent.Error(meta, stringField("command"), intField("code"),
                    stringField("enhancedCode"), stringField("text"), intField("errorCount"));
            case "TARPIT" -> new SessionEvent.Tarpit(meta, longField("delayMillis"), intField("errorCount"));
            case "LIMIT" -> new SessionEvent.Limit(meta, stringField("limit"), longField("value"),
                    longField("configured"));
            case "DISCONNECT" -> new SessionEvent.Disconnect(meta, stringField("reason"), longField("durationMillis"),
                    intField("errors"), intField("messages"), countsField());
            default -> throw MISMATCH; // an unknown kind: the general path says so
        };
        expect('}');
        return event;
    }

    /** The kind between the quotes, compared without making a string of it. */
    private String kind(int from, int to) {
        for (String k : KINDS) {
            if (k.length() == to - from && same(k, from)) {
                return k;
            }
        }
        return "";
    }

    private static final String[] KINDS = {"CONNECT", "HELO", "MAIL", "RCPT", "DATA", "ACCEPTED", "REJECT", "ERROR",
            "TARPIT", "LIMIT", "DISCONNECT"};

    private boolean same(String s, int from) {
        for (int i = 0; i < s.length(); i++) {
            if (b[from + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** {@code ,"name":} - the component names are ASCII constants, compared in place. */
    private void name(String name) {
        expect(',');
        expect('"');
        if (!same(name, pos)) {
            throw MISMATCH;
        }
        pos += name.length();
        expect('"');
        expect(':');
    }

    private String stringField(String name) {
        name(name);
        if (b[pos] == 'n') {
            expect(NULL);
            return null;
        }
        return requiredString();
    }

    private int intField(String name) {
        name(name);
        long v = number(10);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw MISMATCH;
        }
        return (int) v;
    }

    private long longField(String name) {
        name(name);
        return number(18); // 18 digits always fit a long; longer ones go to the general path
    }

    private boolean booleanField(String name) {
        name(name);
        if (b[pos] == 't') {
            expect(TRUE);
            return true;
        }
        expect(FALSE);
        return false;
    }

    private Map<String, Integer> countsField() {
        name("counts");
        if (b[pos] == 'n') {
            expect(NULL);
            return null;
        }
        expect('{');
        Map<String, Integer> counts = new LinkedHashMap<>();
        if (b[pos] == '}') {
            pos++;
            return counts;
        }
        do {
            String key = requiredString();
            expect(':');
            long v = number(10);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw MISMATCH;
            }
            counts.put(key, (int) v);
        } while (b[pos++] == ',');
        if (b[pos - 1] != '}') {
            throw MISMATCH;
        }
        return counts;
    }

    /** A JSON string of printable ASCII; anything else is for the general path. */
    private String requiredString() {
        expect('"');
        int start = pos;
        for (byte c = b[pos]; c != '"'; c = b[++pos]) {
            if (c == '\\') {
                return escaped(start);
            }
            if (c < 0x20) { // a negative byte is UTF-8 beyond ASCII
                throw MISMATCH;
            }
        }
        String s = new String(b, start, pos - start, StandardCharsets.ISO_8859_1);
        pos++;
        return s;
    }

    /**
     * The rest of a string with escapes, from {@code start} (just after its opening quote):
     * JSON's two-character escapes ({@code \\ \" \/ \b \f \n \r \t}), which the edge's
     * producer writes for the control bytes and backslashes a client sent (as {@code \\x16}
     * text); a {@code \}{@code u} escape goes to the general path.
     */
    private String escaped(int start) {
        StringBuilder out = new StringBuilder(pos - start + 16);
        for (int i = start; i < pos; i++) {
            out.append((char) b[i]);
        }
        for (byte c = b[pos]; c != '"'; c = b[++pos]) {
            if (c < 0x20) {
                throw MISMATCH;
            }
            if (c != '\\') {
                out.append((char) c);
                continue;
            }
            out.append(switch (b[++pos]) {
                case '"' -> '"';
                case '\\' -> '\\';
                case '/' -> '/';
                case 'b' -> '\b';
                case 'f' -> '\f';
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                default -> throw MISMATCH;
            });
        }
        pos++;
        return out.toString();
    }

    /** An integer as Jackson writes one: optional minus, then 0 or a digit 1-9 and at most {@code maxDigits} digits. */
    private long number(int maxDigits) {
        boolean negative = b[pos] == '-';
        if (negative) {
            pos++;
        }
        int start = pos;
        long v = 0;
        while (b[pos] >= '0' && b[pos] <= '9') {
            v = v * 10 + (b[pos] - '0');
            pos++;
        }
        int n = pos - start;
        if (n == 0 || n > maxDigits || n > 1 && b[start] == '0') {
            throw MISMATCH;
        }
        return negative ? -v : v;
    }

    private void expect(char c) {
        if (b[pos] != c) {
            throw MISMATCH;
        }
        pos++;
    }

    private void expect(byte[] literal) {
        for (byte c : literal) {
            if (b[pos] != c) {
                throw MISMATCH;
            }
            pos++;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
