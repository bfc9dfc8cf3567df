package dev.portcullis.events;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CidrTest {

    @ParameterizedTest
    @CsvSource({
            "192.0.2.7, 192.0.2.7/32",
            "192.0.2.0/24, 192.0.2.0/24",
            " 10.0.0.0/8 , 10.0.0.0/8",
            "0.0.0.0/0, 0.0.0.0/0",
            "2001:DB8::1, 2001:db8::1/128",
            "2001:db8:0:0::/64, 2001:db8::/64",
            "::/0, ::/0",
            "2001:db8:1:2:3:4:5:6/128, 2001:db8:1:2:3:4:5:6/128",
    })
    void canonicalForm(String in, String canonical) {
        assertEquals(canonical, Cidr.canonical(in));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "example.org", "192.0.2", "192.0.2.256", "192.0.2.1/33", "192.0.2.1/-1",
            "192.0.2.1/", "192.0.2.0/24/1", "2001:db8::/129", "10.0.0.1-10.0.0.9", "*", "1.2.3.4 5.6.7.8",
            "::ffff:192.0.2.7", "0x7f000001", "127.1", "192.0.2.0/255.255.255.0"})
    void refusesWhatIsNotANetwork(String in) {
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse(in));
    }

    @Test
    void refusesHostBitsAndNamesTheNetwork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("192.0.2.7/24"));
        assertTrue(e.getMessage().contains("192.0.2.0/24"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Cidr.parse("2001:db8::1/64"));
        assertTrue(e.getMessage().contains("2001:db8::/64"), e.getMessage());
    }

    @Test
    void hostileTextIsCutAndPrintable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Cidr.parse("1.2.3.4\r\n" + "x".repeat(10_000)));
        assertTrue(e.getMessage().length() < 200, e.getMessage());
        assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"));
    }

    @Test
    void containsAndOf() throws Exception {
        Cidr net = Cidr.parse("198.51.100.0/22");
        assertTrue(net.contains(InetAddress.getByName("198.51.103.255")));
        assertFalse(net.contains(InetAddress.getByName("198.51.104.0")));
        assertFalse(net.contains(InetAddress.getByName("2001:db8::1")), "other family");
        assertEquals("198.51.100.0/24", Cidr.of(InetAddress.getByName("198.51.100.77"), 24).toString());
        assertEquals("2001:db8:0:1::/64", Cidr.of(InetAddress.getByName("2001:db8:0:1:ff::9"), 64).toString());
        assertEquals("203.0.113.9/32", Cidr.host(InetAddress.getByName("203.0.113.9")).toString());
        assertEquals(Cidr.parse("2001:db8::/32"), Cidr.parse("2001:0db8:0000::/32"));
    }
}
