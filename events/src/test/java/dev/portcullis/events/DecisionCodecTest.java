package dev.portcullis.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecisionCodecTest {

    static final Instant T = Instant.parse("2026-11-22T03:00:00Z");

    @Test
    void roundTripsBansAndAllows() throws Exception {
        Decision ban = new Decision(Decision.SCHEMA, "192.0.2.0/24", Decision.Action.BAN, List.of(25, 587),
                "jail:postfix", "3 rejects in 10m", T, T.plusSeconds(86_400), "ban-0");
        Decision allow = new Decision(Decision.SCHEMA, "2001:db8::/64", Decision.Action.ALLOW, List.of(),
                "manual:ops", "partner", T, null, "ban-0");
        assertEquals(ban, DecisionCodec.decode(DecisionCodec.encode(ban)));
        assertEquals(allow, DecisionCodec.decode(DecisionCodec.encode(allow)));
        String json = new String(DecisionCodec.encode(ban), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"action\":\"BAN\"") && json.contains("\"ports\":[25,587]"), json);
    }

    @Test
    void expiryAndPorts() {
        Decision d = new Decision(1, "192.0.2.7/32", Decision.Action.BAN, null, "manual:x", "r", T,
                T.plusSeconds(60), "b");
        assertTrue(d.activeAt(T.plusSeconds(59)));
        assertFalse(d.activeAt(T.plusSeconds(60)));
        assertTrue(d.coversPort(25) && d.coversPort(80), "no ports = every port");
        Decision web = new Decision(1, "192.0.2.7/32", Decision.Action.BAN, List.of(80), "blocklist:x", "r", T,
                null, "b");
        assertTrue(web.activeAt(T.plusSeconds(1_000_000_000)));
        assertFalse(web.coversPort(25));
    }

    @Test
    void unreadableDecisionsAreRefused() {
        String[] bad = {
                "[]",
                "{\"schema\":2,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
                "{\"schema\":1,\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\"}",
                "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"NUKE\",\"created\":\"2026-11-22T03:00:00Z\"}",
                "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\"}",
                "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"ports\":[0]}",
        };
        for (String b : bad) {
            assertThrows(UnreadableEventException.class, () -> DecisionCodec.decode(b.getBytes(StandardCharsets.UTF_8)), b);
        }
        assertThrows(UnreadableEventException.class, () -> DecisionCodec.decode(null));
    }
}
