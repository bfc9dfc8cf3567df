package dev.portcullis.agent;

import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;

import java.time.Instant;
import java.util.List;

/** Decisions for tests, and the way to hand them to a {@link LiveSet} as the bus would (encoded). */
public final class TestDecisions {

    private TestDecisions() {
    }

    public static Decision ban(String cidr, Instant expires, Integer... ports) {
        return new Decision(Decision.SCHEMA, cidr, Decision.Action.BAN, List.of(ports), "manual:test", "test ban",
                Instant.now(), expires, "test");
    }

    public static Decision allow(String cidr, Instant expires, Integer... ports) {
        return new Decision(Decision.SCHEMA, cidr, Decision.Action.ALLOW, List.of(ports), "manual:test", "test allow",
                Instant.now(), expires, "test");
    }

    /** A ban of every port but {@code exceptPorts} ("drop everything but port 80"). */
    public static Decision allBut(String cidr, Instant expires, Integer... exceptPorts) {
        return new Decision(Decision.SCHEMA, cidr, Decision.Action.BAN, List.of(), "blocklist:test", "all but",
                Instant.now(), expires, "test", List.of(exceptPorts));
    }

    /** Hands {@code d} to {@code live} as a bus record keyed by its network. */
    public static void publish(LiveSet live, Decision d) {
        live.decision(d.cidr(), DecisionCodec.encode(d), "test");
    }

    /** A tombstone for {@code cidr}. */
    public static void lift(LiveSet live, String cidr) {
        live.decision(cidr, null, "test");
    }
}
