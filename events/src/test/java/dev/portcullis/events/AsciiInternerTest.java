package dev.portcullis.events;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AsciiInternerTest {

    private static byte[] framed(String s) {
        return ("[\"" + s + "\"]").getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void repeatedTextIsOneStringWhereverItStandsInItsBytes() {
        AsciiInterner interner = new AsciiInterner(64, 100);
        byte[] a = framed("jail:postfix");
        byte[] b = ("xx" + "jail:postfix").getBytes(StandardCharsets.ISO_8859_1);
        String first = interner.intern(a, 2, 2 + 12);
        String second = interner.intern(b, 2, 14);
        assertEquals("jail:postfix", first);
        assertSame(first, second);
        assertEquals("", interner.intern(a, 2, 2));
    }

    @Test
    void aCollisionOrALongTextStillGetsItsOwnEqualString() {
        AsciiInterner one = new AsciiInterner(1, 8); // every text collides in the one slot
        String x = one.intern(framed("alpha"), 2, 7);
        String y = one.intern(framed("bravo"), 2, 7);
        assertEquals("alpha", x);
        assertEquals("bravo", y);
        assertEquals("alpha", one.intern(framed("alpha"), 2, 7), "the slot went to bravo: a new, equal string");
        String longText = "a reason longer than eight";
        String l1 = one.intern(framed(longText), 2, 2 + longText.length());
        String l2 = one.intern(framed(longText), 2, 2 + longText.length());
        assertEquals(longText, l1);
        assertNotSame(l1, l2, "text over the bound is never kept");
        assertThrows(IllegalArgumentException.class, () -> new AsciiInterner(3, 8));
    }

    @Test
    void decisionsOfOneJailShareTheirRepeatedTextAndPortList() throws Exception {
        Instant t = Instant.parse("2026-11-22T03:00:00Z");
        Decision a = DecisionCodec.decode(DecisionCodec.encode(new Decision(1, "192.0.2.1/32", Decision.Action.BAN,
                List.of(80), "jail:postfix", "3 rejects in 10m", t, t.plusSeconds(60), "ban-0")));
        Decision b = DecisionCodec.decode(DecisionCodec.encode(new Decision(1, "192.0.2.2/32", Decision.Action.BAN,
                List.of(80), "jail:postfix", "3 rejects in 10m", t, t.plusSeconds(60), "ban-0")));
        assertSame(a.origin(), b.origin());
        assertSame(a.reason(), b.reason());
        assertSame(a.issuer(), b.issuer());
        assertSame(a.ports(), b.ports());
        assertEquals(List.of(80), b.ports());
        Decision twoPorts = DecisionCodec.decode(DecisionCodec.encode(new Decision(1, "192.0.2.3/32",
                Decision.Action.BAN, List.of(25, 587), "jail:postfix", "r", t, null, "ban-0")));
        assertEquals(List.of(25, 587), twoPorts.ports());
        Decision highPort = DecisionCodec.decode(DecisionCodec.encode(new Decision(1, "192.0.2.4/32",
                Decision.Action.BAN, List.of(8025), "jail:postfix", "r", t, null, "ban-0")));
        assertEquals(List.of(8025), highPort.ports());
    }
}
