package dev.portcullis.reputation;

import org.junit.jupiter.api.Test;

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
}
