package dev.portcullis.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VerdictCodecTest {

    private static final Instant T = Instant.parse("2026-11-22T03:00:00Z");

    @Test
    void roundTripsWithEveryEntry() throws Exception {
        Verdict v = new Verdict(Verdict.SCHEMA, "192.0.2.7", T, "reputation-0", List.of(
                new Verdict.Entry(Verdict.CONNECTION_RATE, 31, 30, T.plusSeconds(20)),
                new Verdict.Entry(Verdict.CARRIED_ERRORS, 12, 10, T.plusSeconds(600))));
        assertEquals(v, VerdictCodec.decode(VerdictCodec.encode(v)));
        String json = new String(VerdictCodec.encode(v), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"limit\":\"smtpd_client_connection_rate_limit\""), json);
        assertTrue(json.contains("\"until\":\"2026-11-22T03:00:20Z\""), json);
    }

    @Test
    void entriesExpireOneByOne() {
        Verdict v = new Verdict(Verdict.SCHEMA, "192.0.2.0/24", T, "r", List.of(
                new Verdict.Entry(Verdict.MESSAGE_RATE, 101, 100, T.plusSeconds(10)),
                new Verdict.Entry(Verdict.RECIPIENT_RATE, 501, 500, T.plusSeconds(60))));
        assertEquals(2, v.activeAt(T).size());
        assertEquals(List.of(Verdict.RECIPIENT_RATE),
                v.activeAt(T.plusSeconds(10)).stream().map(Verdict.Entry::limit).toList());
        assertNull(v.active(Verdict.MESSAGE_RATE, T.plusSeconds(10)));
        assertEquals(501, v.active(Verdict.RECIPIENT_RATE, T.plusSeconds(59)).value());
        assertTrue(v.activeAt(T.plusSeconds(60)).isEmpty());
    }

    @Test
    void unknownFieldsAndUnknownLimitsAreRead() throws Exception {
        String json = "{\"schema\":1,\"subject\":\"2001:db8::1\",\"issued\":\"2026-11-22T03:00:00Z\","
                + "\"issuer\":\"r\",\"extra\":true,\"limits\":[{\"limit\":\"some_future_limit\",\"value\":1,"
                + "\"configured\":1,\"until\":\"2026-11-22T03:01:00Z\",\"more\":2}]}";
        Verdict v = VerdictCodec.decode(json.getBytes(StandardCharsets.UTF_8));
        assertEquals("some_future_limit", v.limits().get(0).limit());
    }

    @Test
    void unreadableRecordsRaiseTheSkipException() {
        String[] bad = {
                "not json",
                "{\"subject\":\"192.0.2.1\",\"issued\":\"2026-11-22T03:00:00Z\",\"limits\":[]}",
                "{\"schema\":2,\"subject\":\"192.0.2.1\",\"issued\":\"2026-11-22T03:00:00Z\",\"limits\":[]}",
                "{\"schema\":1,\"issued\":\"2026-11-22T03:00:00Z\",\"limits\":[]}",
                "{\"schema\":1,\"subject\":\"192.0.2.1\",\"issued\":\"2026-11-22T03:00:00Z\",\"limits\":[{\"limit\":\"x\"}]}",
        };
        for (String b : bad) {
            assertThrows(UnreadableEventException.class, () -> VerdictCodec.decode(b.getBytes(StandardCharsets.UTF_8)), b);
        }
        assertThrows(UnreadableEventException.class, () -> VerdictCodec.decode(null));
    }
}
