package dev.portcullis.ban.config;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Fail2banTimeTest {

    /** Values fail2ban's jail.conf and its users write; what the real fail2ban makes of each is the expectation. */
    static final List<String> SAMPLES = List.of("600", "10m", "1d", "1w", "1h 30m", "1d12h", "1h+30m", "0d 1h 30m",
            "2 days", "1week", "3600s", "1mo", "6 months", "1y", "5w", "90min", "1 hour", "-1", "45sec", "2hh", "1dd");

    @Test
    void sameSecondsAsFail2ban() {
        Assumptions.assumeTrue(Fail2banOracle.available(), "python3 with fail2ban not installed");
        StringBuilder script = new StringBuilder("from fail2ban.server.mytime import MyTime\n");
        for (String s : SAMPLES) {
            script.append("print(int(MyTime.str2seconds(").append(pyString(s)).append(")))\n");
        }
        String[] expected = Fail2banOracle.run(script.toString()).strip().split("\n");
        assertEquals(SAMPLES.size(), expected.length);
        for (int i = 0; i < SAMPLES.size(); i++) {
            assertEquals(Long.parseLong(expected[i].strip()), Fail2banTime.parse(SAMPLES.get(i)).toSeconds(),
                    "fail2ban and Portcullis differ on " + SAMPLES.get(i));
        }
    }

    private static String pyString(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    @Test
    void knownValuesWithoutTheOracle() {
        assertEquals(Duration.ofMinutes(10), Fail2banTime.parse("10m"));
        assertEquals(Duration.ofDays(1), Fail2banTime.parse("1d"));
        assertEquals(Duration.ofDays(7), Fail2banTime.parse("1w"));
        assertEquals(Duration.ofSeconds(5400), Fail2banTime.parse("1h 30m"));
        assertEquals(Duration.ofSeconds(-1), Fail2banTime.parse("-1"));
        assertTrue(Fail2banTime.parse("-1").isNegative());
    }

    @Test
    void refusesWhatItCannotMeanExactly() {
        for (String bad : List.of("", " ", "ten", "10 parsecs", "1year-6mo", "2*1h", "1.5h", "h", "--1", "1d 2x",
                "99999999999999999999", "1h,30m")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fail2banTime.parse(bad), bad);
            assertTrue(e.getMessage().length() < 300, "short message");
        }
    }

    @Test
    void formatsAsFail2banDoes() {
        assertEquals("1w 3d", Fail2banTime.format(Duration.ofDays(10)));
        assertEquals("10m", Fail2banTime.format(Duration.ofMinutes(10)));
        assertEquals("59m 50s", Fail2banTime.format(Duration.ofSeconds(3590)));
        assertEquals("permanent", Fail2banTime.format(null));
    }
}
