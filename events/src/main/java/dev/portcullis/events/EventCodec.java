package dev.portcullis.events;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;

import java.io.IOException;
import java.time.Instant;

/**
 * JSON form of {@link SessionEvent}. Readers are lenient about fields they do not know
 * (a newer producer may add some) and strict about what they need: an unknown kind, a
 * newer schema, or bytes that are not JSON raise {@link UnreadableEventException}, which a
 * consumer counts and skips rather than stopping on.
 */
public final class EventCodec {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            // registered after JavaTimeModule, so it comes first for Instant
            .registerModule(new SimpleModule("portcullis-instants").addDeserializer(Instant.class, new IsoInstant()))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private EventCodec() {
    }

    public static byte[] encode(SessionEvent event) {
        return VersionedJson.encode(event);
    }

    /**
     * Reads one event. Records exactly in the shape {@link #encode} writes take a single-pass
     * reader ({@link SessionEventReader}); anything else - another key order, whitespace,
     * escapes, an older schema, a malformed record - the general Jackson path, which alone
     * decides what is unreadable. Both give the same event for the same bytes.
     */
    public static SessionEvent decode(byte[] bytes) throws UnreadableEventException {
        SessionEvent fast = SessionEventReader.read(bytes);
        if (fast != null) {
            return fast;
        }
        return VersionedJson.decode(bytes, "/meta/schema", SessionEvent.SCHEMA, SessionEvent.class);
    }

    /**
     * Reads an {@link Instant} as JavaTimeModule does, faster for the one form our producers
     * write ({@code DateTimeFormatter.ISO_INSTANT}: {@code 2026-11-22T03:00:00Z}, with 0 to 9
     * digits of fraction). A string of exactly that shape with every field in range (month
     * 1-12, the month's days, hours 0-23, minutes and seconds 0-59) is computed directly;
     * anything else - other years, a leap second, an offset, spaces, numbers - goes to
     * JavaTimeModule's own deserializer, so what is accepted and what it means do not change.
     */
    static final class IsoInstant extends StdScalarDeserializer<Instant> {

        IsoInstant() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.hasToken(JsonToken.VALUE_STRING)) {
                Instant fast = parse(p.getText());
                if (fast != null) {
                    return fast;
                }
            }
            return InstantDeserializer.INSTANT.deserialize(p, ctxt);
        }

        /** The instant {@code s} names in the exact ISO_INSTANT shape, or null to take the general path. */
        static Instant parse(String s) {
            int n = s.length();
            if (n < 20 || n > 30 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-'
                    || s.charAt(10) != 'T' || s.charAt(13) != ':' || s.charAt(16) != ':') {
                return null;
            }
            int year = digits(s, 0, 4);
            int month = digits(s, 5, 2);
            int day = digits(s, 8, 2);
            int hour = digits(s, 11, 2);
            int minute = digits(s, 14, 2);
            int second = digits(s, 17, 2);
            if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                    || second < 0 || second > 59 || day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
                return null;
            }
            int nanos = 0;
            if (n > 20) {
                int fraction = n - 21; // between '.' and 'Z'
                if (s.charAt(19) != '.' || fraction < 1 || fraction > 9) {
                    return null;
                }
                nanos = digits(s, 20, fraction);
                if (nanos < 0) {
                    return null;
                }
                for (int i = fraction; i < 9; i++) {
                    nanos *= 10;
                }
            }
            long days = java.time.LocalDate.of(year, month, day).toEpochDay();
            return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
        }

        /** The decimal number in {@code s[from, from+count)}, or -1 unless all are ASCII digits. */
        private static int digits(String s, int from, int count) {
            int v = 0;
            for (int i = from; i < from + count; i++) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                v = v * 10 + (c - '0');
            }
            return v;
        }
    }
}
