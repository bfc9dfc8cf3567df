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

    /**
     * The canonical IPv4 reader (the replay's fast path) agrees with the general parser on every
     * text it takes, and leaves every other text to it: the same network, or the same refusal.
     */
    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "0.0.0.0/0", "255.255.255.255", "255.255.255.255/32", "10.0.0.0/8",
            "192.0.2.0/24", "192.0.2.7/32", "192.0.2.128/25", "1.2.3.4/31", "128.0.0.0/1", "192.0.2.7/24",
            "1.0.0.0/0", "256.0.0.0", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3.4/024", "1.2.3.4/033",
            "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.4.", "1234.1.1.1",
            "1.2.3.4/+8", "1.2.3.4 /32", "1.2.3.4/3 2", "1.2.3.4/32/32", "1.2.3.4x", "+1.2.3.4", "1.2.3.4/0x20",
            "0000.0.0.0", "1.2.3.4/00", "1.2.3.0/0", "１.2.3.4", "1.2.3.٤"})
    void canonicalIpv4AgreesWithTheGeneralParser(String text) {
        Cidr fast = Cidr.canonicalIpv4(text);
        String general;
        try {
            general = Cidr.general(text).toString();
        } catch (IllegalArgumentException e) {
            general = "refused: " + e.getMessage();
        }
        String viaParse;
        try {
            viaParse = Cidr.parse(text).toString();
        } catch (IllegalArgumentException e) {
            viaParse = "refused: " + e.getMessage();
        }
        if (fast != null) {
            assertEquals(general, fast.toString(), text);
            assertEquals(Cidr.general(text), fast, text);
        }
        assertEquals(general, viaParse, text);
    }

    @Test
    void canonicalIpv4TakesTheKeysTheTopicUses() {
        java.util.Random random = new java.util.Random(4);
        for (int i = 0; i < 20_000; i++) {
            int prefix = random.nextInt(33);
            int address = prefix == 0 ? 0 : random.nextInt() & (-1 << (32 - prefix));
            String text = Cidr.of(ipv4(address), prefix).toString();
            Cidr fast = Cidr.canonicalIpv4(text);
            assertEquals(Cidr.general(text), fast, text);
            assertEquals(text, fast.toString());
        }
    }

    private static InetAddress ipv4(int a) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8),
                    (byte) a});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
