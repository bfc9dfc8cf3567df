package dev.portcullis.reputation;

import inet.ipaddr.IPAddress;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SubjectsTest {

    @Test
    void addressesAreCanonical() {
        assertEquals("2001:db8::1", Subjects.text(Subjects.ip("2001:0DB8:0:0:0:0:0:1")));
        assertEquals("192.0.2.1", Subjects.text(Subjects.ip("::ffff:192.0.2.1")));
        assertEquals("192.0.2.0/24", Subjects.network(Subjects.ip("192.0.2.77"), 24, 64));
        assertEquals("2001:db8:1:2::/64", Subjects.network(Subjects.ip("2001:db8:1:2:3:4:5:6"), 24, 64));
    }

    @Test
    void onlyLiteralsAreAccepted() {
        assertNull(Subjects.ip("example.com"));
        assertNull(Subjects.ip("192.0.2.0/24"));
        assertNull(Subjects.ip(""));
        assertNull(Subjects.ip("1.2.3.4.5"));
        assertNull(Subjects.ip("x".repeat(100)));
        assertNull(Subjects.cidr("192.0.2.1"));
        assertEquals("192.0.2.0/24", Subjects.text(Subjects.cidr("192.0.2.77/24")));
    }

    /** What {@link Subjects#client} must answer: the library's reading, as before the fast path. */
    private static Subjects.Client byLibrary(String text, int v4, int v6) {
        IPAddress a = Subjects.ip(text);
        return a == null ? null
                : new Subjects.Client(Subjects.text(a), Subjects.network(a, v4, v6), a.toInetAddress());
    }

    @Test
    void clientsReadTheSameOnTheFastPathAndTheLibrary() {
        List<String> texts = new ArrayList<>(List.of("0.0.0.0", "255.255.255.255", "192.0.2.1", "10.0.0.255",
                "1.2.3.4", "100.200.250.255",
                // not canonical dotted quads: the library decides
                "010.1.1.1", "1.02.3.4", "00.1.2.3", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "1.2.3.4.", ".1.2.3.4",
                "1..2.3", "1.2.3.256", "1.2.3.1000", "256.1.1.1", "1.2.3.4/32", "1.2.3.-4", "1.2.3.4a", "1.2.3.0x4",
                "4294967295", "0x01020304", "::ffff:192.0.2.1", "::ffff:c000:0201", "2001:DB8::1", "2001:db8:0:0:0:0:0:1",
                "::", "::1", "fe80::1%eth0", "example.com", "", "1.2.3.４", "1.2.3.4\u0000"));
        Random random = new Random(11);
        for (int i = 0; i < 3_000; i++) {
            texts.add(random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
                    + random.nextInt(256));
        }
        for (String text : texts) {
            for (int v4 = 0; v4 <= 32; v4 += (text.length() % 5) + 1) {
                assertEquals(byLibrary(text, v4, 64), Subjects.client(text, v4, 64), text + " /" + v4);
            }
        }
        for (int v4 = 0; v4 <= 32; v4++) {
            assertEquals(byLibrary("203.0.113.201", v4, 64), Subjects.client("203.0.113.201", v4, 64), "/" + v4);
        }
        assertEquals("198.51.100.0/24", Subjects.client("198.51.100.9", 24, 64).network());
        assertEquals("2001:db8:1:2::/64", Subjects.client("2001:db8:1:2:3:4:5:6", 24, 64).network());
        assertEquals("192.0.2.1", Subjects.client("::ffff:192.0.2.1", 24, 64).ip());
        assertNull(Subjects.client("not-an-ip", 24, 64));
        assertNull(Subjects.client(null, 24, 64));
    }
}
