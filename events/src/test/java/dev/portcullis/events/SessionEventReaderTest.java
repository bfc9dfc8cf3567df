package dev.portcullis.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The single-pass reader against the general Jackson path ({@link VersionedJson}): it must
 * take everything {@link EventCodec#encode} writes, and whatever it takes it must read exactly
 * as Jackson does; the rest it leaves to Jackson.
 */
class SessionEventReaderTest {

    private static final EventMeta META = new EventMeta(SessionEvent.SCHEMA, "e1",
            Instant.parse("2026-11-22T03:00:00.123456Z"), "edge-a", "s1", "2001:db8::7");

    static List<SessionEvent> everyKind(EventMeta m) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put("ehlo.ok", 1);
        counts.put("rcpt.all", -2_147_483_648);
        return List.of(
                new SessionEvent.Connect(m, 40000, "127.0.0.1:25"),
                new SessionEvent.Connect(m, -1, null),
                new SessionEvent.Helo(m, "mx.example", true),
                new SessionEvent.Helo(m, "", false),
                new SessionEvent.Mail(m, "a@example.org", Long.MAX_VALUE / 10),
                new SessionEvent.Mail(m, null, -1),
                new SessionEvent.Rcpt(m, "a@example.org", "b@example.com"),
                new SessionEvent.Data(m, 0),
                new SessionEvent.Accepted(m, "a@example.org", 2, 4096, "250 2.0.0 Ok: queued as X"),
                new SessionEvent.Reject(m, "RCPT", 550, "5.1.1", "reject_unlisted_recipient",
                        "<x@example.com>: Recipient address rejected: User unknown", null, "x@example.com"),
                new SessionEvent.Error(m, "BOGUS", 500, "5.5.2", "Error: command not recognized", 3),
                // what the edge writes for the bytes of a TLS hello sent in clear, and other escapes
                new SessionEvent.Error(m, "\\x16\\x03\\x01", 502, "5.5.2", "a \"quoted\" /\b\f\n\r\t \\", 1),
                new SessionEvent.Tarpit(m, 1000, 11),
                new SessionEvent.Limit(m, "smtpd_client_connection_rate_limit", 31, 30),
                new SessionEvent.Disconnect(m, "quit", 1500, 2, 1, counts),
                new SessionEvent.Disconnect(m, "lost", 0, 0, 0, Map.of()),
                new SessionEvent.Disconnect(m, "idle", 300_000, Integer.MAX_VALUE, 0, null));
    }

    private static SessionEvent general(byte[] bytes) throws UnreadableEventException {
        return VersionedJson.decode(bytes, "/meta/schema", SessionEvent.SCHEMA, SessionEvent.class);
    }

    @Test
    void readsEverythingTheProducerWritesAsJacksonDoes() throws Exception {
        for (EventMeta m : List.of(META, new EventMeta(1, "x", Instant.parse("2026-02-28T23:59:59Z"), "e", "s", "192.0.2.1"),
                new EventMeta(1, "", Instant.parse("2026-12-01T00:00:00.1Z"), "edge \"quoted\"", "s", "::1"))) {
            for (SessionEvent event : everyKind(m)) {
                byte[] bytes = EventCodec.encode(event);
                assertEquals(event, SessionEventReader.read(bytes), new String(bytes, StandardCharsets.UTF_8));
                assertEquals(general(bytes), EventCodec.decode(bytes));
            }
        }
    }

    @Test
    void leavesOtherShapesToJackson() throws Exception {
        String meta = "\"meta\":{\"schema\":1,\"id\":\"x\",\"time\":\"2026-11-22T03:00:00Z\",\"edgeId\":\"e\","
                + "\"sessionId\":\"s\",\"clientIp\":\"::1\"}";
        String[] others = {
                "{\"kind\":\"DATA\"," + meta + ",\"recipients\":3,\"shiny\":true}",        // a newer producer's field
                "{" + meta + ",\"kind\":\"DATA\",\"recipients\":3}",                         // another order
                "{\"kind\":\"DATA\", " + meta + ",\"recipients\":3}",                        // whitespace
                "{\"kind\":\"DATA\"," + meta + ",\"recipients\":3}\n",
                "{\"kind\":\"DATA\"," + meta.replace("\"s\"", "\"s\\u00e9\"") + ",\"recipients\":3}", // an escape
                "{\"kind\":\"DATA\"," + meta.replace("\"s\"", "\"s\u00e9\"") + ",\"recipients\":3}",  // UTF-8
                "{\"kind\":\"DATA\"," + meta.replace("\"schema\":1", "\"schema\":0") + ",\"recipients\":3}",
                "{\"kind\":\"DATA\"," + meta.replace("03:00:00Z", "03:00:00+00:00") + ",\"recipients\":3}",
                "{\"kind\":\"DATA\"," + meta + ",\"recipients\":3.0}",                       // Jackson coerces
                "{\"kind\":\"DATA\"," + meta + ",\"recipients\":null}",
                "{\"kind\":\"DATA\"," + meta + ",\"recipients\":\"3\"}",
                "{\"kind\":\"DATA\"," + meta + "}",
        };
        for (String json : others) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            assertNull(SessionEventReader.read(bytes), json);
            assertEquals(general(bytes), EventCodec.decode(bytes), json);
        }
    }

    /**
     * Every truncation and every single-byte change (to bytes that matter in JSON) of encoded
     * events: where the reader takes the result, Jackson must read the very same event.
     */
    @Test
    void neverReadsAChangedRecordDifferentlyFromJackson() {
        byte[] probes = ascii(" \"\\09-.e,}ntx");
        probes = Arrays.copyOf(probes, probes.length + 4);
        probes[probes.length - 4] = 0;
        probes[probes.length - 3] = (byte) 0xC3;
        probes[probes.length - 2] = (byte) 0x7F;
        probes[probes.length - 1] = (byte) 0xFF;
        int taken = 0;
        int checked = 0;
        for (SessionEvent event : everyKind(META)) {
            byte[] bytes = EventCodec.encode(event);
            List<byte[]> variants = new ArrayList<>();
            for (int n = 0; n < bytes.length; n++) {
                variants.add(Arrays.copyOf(bytes, n));
            }
            for (int i = 0; i < bytes.length; i++) {
                for (byte p : probes) {
                    if (bytes[i] != p) {
                        byte[] v = bytes.clone();
                        v[i] = p;
                        variants.add(v);
                    }
                }
                byte[] dropped = new byte[bytes.length - 1];
                System.arraycopy(bytes, 0, dropped, 0, i);
                System.arraycopy(bytes, i + 1, dropped, i, bytes.length - i - 1);
                variants.add(dropped);
            }
            for (byte[] v : variants) {
                checked++;
                SessionEvent fast = SessionEventReader.read(v);
                if (fast == null) {
                    continue;
                }
                taken++;
                try {
                    assertEquals(general(v), fast, new String(v, StandardCharsets.ISO_8859_1));
                } catch (UnreadableEventException e) {
                    fail("the reader took what Jackson refuses (" + e.getMessage() + "): "
                            + new String(v, StandardCharsets.ISO_8859_1));
                }
            }
        }
        // some changes are still valid records (a digit for a digit, a letter in a string): they are read fast
        if (taken == 0 || taken == checked) {
            fail(taken + " of " + checked + " changed records taken by the reader: the comparison proved nothing");
        }
    }

    @Test
    void randomEventsAgreeWithJackson() throws Exception {
        Random random = new Random(42);
        String alphabet = "abcXYZ019.:@<>-_ /=+[]{}'!~\u007f";
        for (int i = 0; i < 2_000; i++) {
            EventMeta m = new EventMeta(1, text(random, alphabet), Instant.ofEpochSecond(random.nextInt(2_000_000_000),
                    random.nextBoolean() ? 0 : random.nextInt(1_000_000_000)), text(random, alphabet),
                    text(random, alphabet), text(random, alphabet));
            List<SessionEvent> kinds = everyKind(m);
            SessionEvent event = switch (random.nextInt(4)) {
                case 0 -> new SessionEvent.Mail(m, text(random, alphabet), random.nextLong() / 100);
                case 1 -> new SessionEvent.Error(m, text(random, alphabet), random.nextInt(), null, text(random, alphabet),
                        random.nextInt());
                case 2 -> new SessionEvent.Tarpit(m, random.nextLong() % 1_000_000_000_000L, random.nextInt());
                default -> kinds.get(random.nextInt(kinds.size()));
            };
            byte[] bytes = EventCodec.encode(event);
            assertEquals(event, SessionEventReader.read(bytes), new String(bytes, StandardCharsets.UTF_8));
            assertEquals(general(bytes), event);
        }
    }

    private static String text(Random random, String alphabet) {
        StringBuilder s = new StringBuilder();
        for (int n = random.nextInt(12); n > 0; n--) {
            s.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
