package dev.portcullis.events;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replay's one-pass reader never reads a record differently from the general decoder:
 * whatever it takes, the general decoder reads as the same decision; whatever it leaves, the
 * general decoder decides (and {@link DecisionCodec} answers the same either way).
 */
class CanonicalDecisionReaderTest {

    static final Instant T = Instant.parse("2026-11-22T03:00:00Z");

    /** Decisions of every shape our producers write. */
    static List<Decision> samples() {
        List<Decision> out = new ArrayList<>();
        out.add(new Decision(1, "192.0.2.0/24", Decision.Action.BAN, List.of(25, 587), "jail:postfix",
                "3 rejects in 10m", T, T.plusSeconds(86_400), "ban-0"));
        out.add(new Decision(1, "2001:db8::/64", Decision.Action.ALLOW, List.of(), "manual:ops", "partner", T, null,
                "ban-0"));
        out.add(new Decision(1, "198.51.100.0/24", Decision.Action.BAN, List.of(), "blocklist:seeds",
                "drop everything but port 80", T.plusNanos(123_456_789), null, "ban-0", List.of(80, 443)));
        out.add(new Decision(1, "203.0.113.9/32", Decision.Action.BAN, null, null, null, T.plusMillis(5), null, null));
        out.add(new Decision(1, "10.0.0.1/32", Decision.Action.BAN, List.of(65535), "jail:x", "", T,
                T.plusNanos(1), "b", null));
        return out;
    }

    @Test
    void readsWhatOurEncoderWritesAsTheGeneralDecoderDoes() throws Exception {
        for (Decision d : samples()) {
            byte[] json = DecisionCodec.encode(d);
            Decision fast = CanonicalDecisionReader.read(json);
            assertNotNull(fast, "our own shape takes the fast path: " + new String(json, StandardCharsets.UTF_8));
            assertEquals(general(json), fast);
            assertEquals(d, fast);
        }
    }

    /** Outside the subset: left to the general decoder, which reads or refuses it. */
    @ParameterizedTest
    @ValueSource(strings = {
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"new\":1}",
            "{\"schema\":1, \"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            " {\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"} ",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}{}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"cidr\":\"10.0.0.0/8\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":2,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":01,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1.0,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":\"1\",\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":-1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1234567890,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0\\/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"reason\":\"caf\u00e9\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"reason\":\"a\tb\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"ban\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":0,\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":null,\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00+00:00\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":1763780400}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:60Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"ports\":[\"25\"]}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"ports\":[25,]}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"ports\":25}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"ports\":[-25]}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"ports\":[nul]}",
            "{\"schema\":1,\"cidr\":nul,\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"",
            "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",}",
            "[]", "{}", "", "null"})
    void leavesEverythingElseToTheGeneralDecoder(String json) {
        assertNull(CanonicalDecisionReader.read(json.getBytes(StandardCharsets.UTF_8)), json);
    }

    /**
     * Every single-byte change, deletion and insertion of our own records: whatever the reader
     * still takes, the general decoder reads the same; and the codec answers as the general
     * decoder alone would (same decision, or both refuse).
     */
    @Test
    void mutatedRecordsAreNeverReadDifferently() {
        Random random = new Random(4);
        byte[] alphabet = "{}[]\":,0123456789-.eE+ nulltrueBANALLOWZT/\\a".getBytes(StandardCharsets.US_ASCII);
        int taken = 0;
        int tried = 0;
        for (Decision d : samples()) {
            byte[] json = DecisionCodec.encode(d);
            for (int at = 0; at <= json.length; at++) {
                for (int k = 0; k < 6; k++) {
                    byte c = alphabet[random.nextInt(alphabet.length)];
                    byte[] m = switch (k % 3) {
                        case 0 -> at < json.length ? replace(json, at, c) : json;
                        case 1 -> at < json.length ? delete(json, at) : json;
                        default -> insert(json, at, c);
                    };
                    tried++;
                    Decision fast = CanonicalDecisionReader.read(m);
                    Object general = generalOrRefusal(m);
                    if (fast != null) {
                        taken++;
                        assertEquals(general, fast, new String(m, StandardCharsets.UTF_8));
                    }
                    assertEquals(general instanceof Decision g ? checked(g) : general, codecOrRefusal(m),
                            new String(m, StandardCharsets.UTF_8));
                }
            }
        }
        assertTrue(taken > 0 && taken < tried, taken + " of " + tried);
    }

    private static Decision general(byte[] json) throws UnreadableEventException {
        return VersionedJson.decode(json, "/schema", Decision.SCHEMA, Decision.class);
    }

    private static Object generalOrRefusal(byte[] json) {
        try {
            return general(json);
        } catch (UnreadableEventException e) {
            return "refused";
        }
    }

    /** What the codec's checks after decoding make of a decision the general decoder read. */
    private static Object checked(Decision d) {
        try {
            return DecisionCodec.decode(DecisionCodec.encode(d));
        } catch (UnreadableEventException e) {
            return "refused";
        }
    }

    private static Object codecOrRefusal(byte[] json) {
        try {
            return DecisionCodec.decode(json);
        } catch (UnreadableEventException e) {
            return "refused";
        }
    }

    private static byte[] replace(byte[] b, int at, byte c) {
        byte[] m = b.clone();
        m[at] = c;
        return m;
    }

    private static byte[] delete(byte[] b, int at) {
        byte[] m = new byte[b.length - 1];
        System.arraycopy(b, 0, m, 0, at);
        System.arraycopy(b, at + 1, m, at, b.length - at - 1);
        return m;
    }

    private static byte[] insert(byte[] b, int at, byte c) {
        byte[] m = new byte[b.length + 1];
        System.arraycopy(b, 0, m, 0, at);
        m[at] = c;
        System.arraycopy(b, at, m, at + 1, b.length - at);
        return m;
    }
}
