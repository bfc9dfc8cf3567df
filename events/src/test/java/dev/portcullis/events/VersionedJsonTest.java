package dev.portcullis.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one-pass reader against the two-pass one it replaced: the schema is found where a
 * Jackson tree would find it, and Instants read as JavaTimeModule reads them.
 */
class VersionedJsonTest {

    private static final ObjectMapper TREE = new ObjectMapper();
    private static final ObjectMapper REFERENCE = new ObjectMapper().registerModule(new JavaTimeModule());

    private static final String META_TAIL = "\"id\":\"x\",\"time\":\"2026-11-22T03:00:00Z\",\"edgeId\":\"e\","
            + "\"sessionId\":\"s\",\"clientIp\":\"192.0.2.1\"}";

    private static String data(String schemaJson) {
        return "{\"kind\":\"DATA\",\"recipients\":2,\"meta\":{\"schema\":" + schemaJson + "," + META_TAIL + "}";
    }

    /** What the tree reader answered: the value at the pointer if it converts to an int. */
    private static Long byTree(String json, String pointer) throws Exception {
        JsonNode tree = TREE.readTree(json.getBytes(StandardCharsets.UTF_8));
        JsonNode at = tree == null ? null : tree.at(pointer);
        return at == null || !at.canConvertToInt() ? null : (long) at.intValue();
    }

    private static Long byStream(String json, String pointer) throws Exception {
        try (var p = TREE.getFactory().createParser(json.getBytes(StandardCharsets.UTF_8))) {
            return VersionedJson.schemaOf(p, pointer.substring(1).split("/"));
        }
    }

    @Test
    void schemaIsFoundWhereTheTreeFindsIt() throws Exception {
        String[] docs = {
                data("1"), data("0"), data("-3"), data("99"), data("1.0"), data("1.9"), data("1e2"),
                data("\"1\""), data("null"), data("true"), data("[1]"), data("{\"v\":1}"),
                data("2147483647"), data("2147483648"), data("-2147483649"), data("12345678901234567890"),
                data("3e9"),
                "{\"meta\":{\"schema\":1},\"meta\":{\"schema\":99}}", // a repeated key: the last one counts
                "{\"meta\":{\"schema\":99},\"meta\":{\"schema\":1}}",
                "{\"meta\":{\"schema\":1,\"schema\":99}}",
                "{\"meta\":{\"schema\":1},\"meta\":7}",
                "{\"meta\":[{\"schema\":1}]}",
                "{\"other\":{\"meta\":{\"schema\":1}},\"schema\":4}",
                "{\"meta\":{\"inner\":{\"schema\":1}}}",
                "{}", "[]", "[{\"meta\":{\"schema\":1}}]", "7", "\"text\"", "null", "   ",
                "{\"meta\":{\"schema\":1}} trailing",
        };
        for (String doc : docs) {
            for (String pointer : new String[]{"/meta/schema", "/schema"}) {
                assertEquals(byTree(doc, pointer), byStream(doc, pointer), doc + " at " + pointer);
            }
        }
    }

    @Test
    void malformedJsonIsRefusedEvenAfterAGoodSchema() {
        String[] bad = {
                "{\"meta\":{\"schema\":1,\"id\":", // cut short
                "{\"meta\":{\"schema\":1}, nope}",
                "{\"meta\":{\"schema\":1}}}".substring(0, 20) + "\u0000",
                "{\"kind\":\"DATA\",\"meta\":{\"schema\":1," + META_TAIL + ",\"recipients\":[1,}",
        };
        for (String b : bad) {
            assertThrows(UnreadableEventException.class, () -> EventCodec.decode(b.getBytes(StandardCharsets.UTF_8)), b);
        }
    }

    @Test
    void schemaRulesOfTheTreeReaderStillHold() throws Exception {
        assertEquals(2, ((SessionEvent.Data) EventCodec.decode(data("1").getBytes(StandardCharsets.UTF_8))).recipients());
        assertEquals(2, ((SessionEvent.Data) EventCodec.decode(data("1.0").getBytes(StandardCharsets.UTF_8))).recipients());
        UnreadableEventException newer = assertThrows(UnreadableEventException.class,
                () -> EventCodec.decode(data("2").getBytes(StandardCharsets.UTF_8)));
        assertTrue(newer.getMessage().contains("newer"), newer.getMessage());
        for (String s : new String[]{"\"1\"", "null", "2147483648"}) {
            UnreadableEventException e = assertThrows(UnreadableEventException.class,
                    () -> EventCodec.decode(data(s).getBytes(StandardCharsets.UTF_8)), s);
            assertEquals("no schema version", e.getMessage(), s);
        }
        // the later of two meta objects is the one bound and the one whose schema counts
        String twice = "{\"kind\":\"DATA\",\"recipients\":1,\"meta\":{\"schema\":1," + META_TAIL
                + ",\"meta\":{\"schema\":5," + META_TAIL + "}";
        assertThrows(UnreadableEventException.class, () -> EventCodec.decode(twice.getBytes(StandardCharsets.UTF_8)));
        // verdicts and decisions keep their schema at the top
        assertThrows(UnreadableEventException.class, () -> VerdictCodec.decode(
                "{\"schema\":\"1\",\"subject\":\"192.0.2.1\"}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void instantsReadAsJavaTimeModuleReadsThem() throws Exception {
        List<String> texts = new ArrayList<>(List.of(
                "2026-11-22T03:00:00Z", "2026-11-22T03:00:00.5Z", "2026-11-22T03:00:00.123Z",
                "2026-11-22T03:00:00.123456Z", "2026-11-22T03:00:00.123456789Z", "1970-01-01T00:00:00Z",
                "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-02-29T12:00:00Z",
                "1969-12-31T23:59:59.999Z",
                // not the fast shape: the general path decides, as before
                "2023-02-29T12:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-11-31T00:00:00Z",
                "2026-11-22T24:00:00Z", "2026-11-22T23:60:00Z", "2026-11-22T23:59:60Z", "2026-11-22T03:00:00.Z",
                "2026-11-22T03:00:00.1234567890Z", "2026-11-22T03:00:00+01:00", "2026-11-22T03:00:00z",
                " 2026-11-22T03:00:00Z", "2026-11-22T03:00:00Z ", "+12026-11-22T03:00:00Z", "-0001-11-22T03:00:00Z",
                "2026-11-22 03:00:00Z", "2026-1a-22T03:00:00Z", "1764000000", "", "yesterday",
                "2026-11-22T03:00Z", "２026-11-22T03:00:00Z"));
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 253_000_000_000L),
                    switch (i % 4) {
                        case 0 -> 0;
                        case 1 -> random.nextInt(1000) * 1_000_000;
                        case 2 -> random.nextInt(1_000_000) * 1_000;
                        default -> random.nextInt(1_000_000_000);
                    });
            texts.add(t.toString());
        }
        for (String text : texts) {
            String json = "\"" + text + "\"";
            Object expected = outcome(REFERENCE, json);
            assertEquals(expected, outcome(EventCodec.MAPPER, json), text);
        }
        assertEquals(Instant.parse("2026-11-22T03:00:00.123Z"), EventCodec.IsoInstant.parse("2026-11-22T03:00:00.123Z"));
        assertNull(EventCodec.IsoInstant.parse("2026-11-22T23:59:60Z"));
        assertNotNull(EventCodec.IsoInstant.parse("2026-11-22T23:59:59Z"));
    }

    /** The Instant read, or the kind of failure. */
    private static Object outcome(ObjectMapper mapper, String json) {
        try {
            return mapper.readValue(json, Instant.class);
        } catch (Exception e) {
            return "failed";
        }
    }
}
