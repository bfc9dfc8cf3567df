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
    void exceptPortsRoundTripAndOldRecordsReadAsNone() throws Exception {
        Decision web = new Decision(Decision.SCHEMA, "198.51.100.0/24", Decision.Action.BAN, List.of(),
                "blocklist:seeds", "drop everything but port 80", T, null, "ban-0", List.of(80, 443));
        Decision back = DecisionCodec.decode(DecisionCodec.encode(web));
        assertEquals(web, back);
        assertEquals(List.of(80, 443), back.exceptPorts());
        String json = new String(DecisionCodec.encode(web), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"exceptPorts\":[80,443]") && json.contains("\"schema\":1"), json);
        Decision old = DecisionCodec.decode(("{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\","
                + "\"ports\":[],\"origin\":\"jail:postfix\",\"created\":\"2026-11-22T03:00:00Z\"}")
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of(), old.exceptPorts(), "a record from before the field means no exceptions");
        assertTrue(old.coversPort(80) && old.coversPort(25));
        assertEquals(old, new Decision(1, "192.0.2.0/24", Decision.Action.BAN, List.of(), "jail:postfix", null,
                T, null, null), "the nine-argument constructor means no exceptions");
    }

    @Test
    void coversPortHonoursExceptions() {
        Decision butWeb = new Decision(1, "192.0.2.7/32", Decision.Action.BAN, List.of(), "blocklist:x", "r", T,
                null, "b", List.of(80));
        assertFalse(butWeb.coversPort(80));
        assertTrue(butWeb.coversPort(25) && butWeb.coversPort(443) && butWeb.coversPort(65535));
        Decision nullExcept = new Decision(1, "192.0.2.7/32", Decision.Action.BAN, List.of(25), "m", "r", T,
                null, "b", null);
        assertEquals(List.of(), nullExcept.exceptPorts());
        assertTrue(nullExcept.coversPort(25) && !nullExcept.coversPort(80));
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
                "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"exceptPorts\":[0]}",
                "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"exceptPorts\":[65536]}",
                "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"exceptPorts\":[null]}",
                "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"exceptPorts\":\"80\"}",
                "{\"schema\":1,\"cidr\":\"192.0.2.0/24\",\"action\":\"BAN\",\"created\":\"2026-11-22T03:00:00Z\",\"ports\":[25],\"exceptPorts\":[80]}",
        };
        for (String b : bad) {
            assertThrows(UnreadableEventException.class, () -> DecisionCodec.decode(b.getBytes(StandardCharsets.UTF_8)), b);
        }
        assertThrows(UnreadableEventException.class, () -> DecisionCodec.decode(null));
    }
}
