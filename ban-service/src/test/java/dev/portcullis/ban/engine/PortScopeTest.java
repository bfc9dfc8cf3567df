package dev.portcullis.ban.engine;

import dev.portcullis.events.Decision;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PortScopeTest {

    static final Instant T = Instant.parse("2026-12-01T08:00:00Z");

    static Decision only(Integer... ports) {
        return new Decision(1, "192.0.2.0/24", Decision.Action.BAN, List.of(ports), "o", "r", T, null, "b");
    }

    static Decision allBut(Integer... ports) {
        return new Decision(1, "192.0.2.0/24", Decision.Action.BAN, List.of(), "o", "r", T, null, "b", List.of(ports));
    }

    static PortScope union(Decision... ds) {
        return PortScope.union(List.of(ds));
    }

    @Test
    void everyPortBeatsExceptPortsBeatsPortLists() {
        assertEquals(PortScope.EVERY_PORT, union(allBut(80), only()));
        assertEquals(PortScope.EVERY_PORT, union(only(25), only(), allBut(80)));
        assertEquals(new PortScope(List.of(), List.of(80)), union(allBut(80), only(25, 465)));
        assertEquals(new PortScope(List.of(25, 80, 587), List.of()), union(only(25, 587), only(80, 25)));
    }

    @Test
    void exceptionsShrinkToWhatEveryExceptClaimLeavesOutAndNoListCovers() {
        assertEquals(new PortScope(List.of(), List.of(443)), union(allBut(80, 443), allBut(443, 8080)));
        assertEquals(new PortScope(List.of(), List.of(443)), union(allBut(80, 443), only(80)));
        assertEquals(PortScope.EVERY_PORT, union(allBut(80), allBut(443)), "nothing excepted by both");
        assertEquals(PortScope.EVERY_PORT, union(allBut(80), only(80)), "the list fills the only hole");
    }

    @Test
    void theUnionNeverUncoversAPortAClaimCovered() {
        List<List<Decision>> cases = List.of(
                List.of(allBut(80, 443), only(443, 25)),
                List.of(allBut(1, 2, 3), allBut(2, 3, 4), only(3)),
                List.of(only(22), only(65535)),
                List.of(allBut(65535), only(1)));
        for (List<Decision> claims : cases) {
            PortScope s = PortScope.union(claims);
            Decision merged = new Decision(1, "192.0.2.0/24", Decision.Action.BAN, s.ports(), "o", "r", T, null,
                    "b", s.exceptPorts());
            for (int port = 1; port <= 65535; port++) {
                int p = port;
                boolean any = claims.stream().anyMatch(c -> c.coversPort(p));
                assertEquals(any, merged.coversPort(p), claims + " on port " + p);
            }
            assertTrue(s.ports().isEmpty() || s.exceptPorts().isEmpty());
        }
    }
}
