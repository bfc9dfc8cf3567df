package dev.portcullis.edge.defence;

import dev.portcullis.edge.config.EdgeSettings.AnvilLimits;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TarpitAndAnvilTest {

    @Test
    void tarpitDelaysFromTheSoftLimitAndStopsAtTheHardLimit() {
        TarpitPolicy p = new TarpitPolicy(Duration.ofSeconds(1), 10, 20, false, Duration.ofSeconds(30));
        assertEquals(Duration.ZERO, p.delay(9));
        assertEquals(Duration.ofSeconds(1), p.delay(10));
        assertEquals(Duration.ofSeconds(1), p.delay(19));
        assertFalse(p.overHardLimit(19));
        assertTrue(p.overHardLimit(20));
    }

    @Test
    void escalationAddsOneSleepPerErrorUpToTheCap() {
        TarpitPolicy p = new TarpitPolicy(Duration.ofSeconds(1), 3, 100, true, Duration.ofSeconds(5));
        assertEquals(Duration.ZERO, p.delay(2));
        assertEquals(Duration.ofSeconds(1), p.delay(3));
        assertEquals(Duration.ofSeconds(3), p.delay(5));
        assertEquals(Duration.ofSeconds(5), p.delay(50));
    }

    @Test
    void zeroSleepTimeNeverDelays() {
        assertEquals(Duration.ZERO, new TarpitPolicy(Duration.ZERO, 0, 20, true, Duration.ofSeconds(5)).delay(10));
    }

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private LocalAnvil anvil(int count, int rate, int msg, int rcpt) {
        InetAddress exempt = addr("192.0.2.1");
        return new LocalAnvil(new AnvilLimits(count, rate, msg, rcpt, 0, Duration.ofSeconds(60), exempt::equals),
                1000, now::get);
    }

    @Test
    void connectionCountIsConcurrentSessions() {
        LocalAnvil a = anvil(2, 0, 0, 0);
        InetAddress c = addr("198.51.100.1");
        assertNull(a.connect(c, "198.51.100.1"));
        assertNull(a.connect(c, "198.51.100.1"));
        LocalAnvil.Exceeded over = a.connect(c, "198.51.100.1");
        assertNotNull(over);
        assertEquals("smtpd_client_connection_count_limit", over.parameter());
        assertEquals(3, over.value());
        a.disconnect(c, "198.51.100.1");
        a.disconnect(c, "198.51.100.1");
        assertNull(a.connect(c, "198.51.100.1"), "a slot is free again");
    }

    @Test
    void rateWindowIsAnvilsFixedWindow() {
        LocalAnvil a = anvil(0, 3, 1, 2);
        InetAddress c = addr("198.51.100.2");
        String ip = "198.51.100.2";
        for (int i = 0; i < 3; i++) {
            assertNull(a.connect(c, ip));
            a.disconnect(c, ip);
        }
        assertEquals("smtpd_client_connection_rate_limit", a.connect(c, ip).parameter());
        assertNull(a.message(c, ip));
        assertEquals(2, a.message(c, ip).value());
        assertNull(a.recipient(c, ip));
        assertNull(a.recipient(c, ip));
        assertNotNull(a.recipient(c, ip));
        now.addAndGet(Duration.ofSeconds(60).toNanos());
        assertNull(a.connect(c, ip), "a new window after anvil_rate_time_unit");
        assertNull(a.message(c, ip));
    }

    @Test
    void exceptionsAreNeverLimited() {
        LocalAnvil a = anvil(1, 1, 1, 1);
        InetAddress c = addr("192.0.2.1");
        for (int i = 0; i < 10; i++) {
            assertNull(a.connect(c, "192.0.2.1"));
            assertNull(a.message(c, "192.0.2.1"));
        }
    }

    @Test
    void stateIsBoundedUnderAFloodOfDistinctAddresses() {
        LocalAnvil a = anvil(0, 5, 0, 0);
        for (int i = 0; i < 20_000; i++) {
            String ip = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
            a.connect(addr(ip), ip);
        }
        assertTrue(a.trackedClients() <= 1100, "tracked " + a.trackedClients());
    }

    private static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
