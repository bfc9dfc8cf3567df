package dev.portcullis.reputation.config;

import dev.portcullis.postfix.PostfixConfigException;
import dev.portcullis.reputation.counts.WindowSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReputationSettingsLoaderTest {

    @Test
    void windowsParseAndTheAnvilWindowStaysFirst() {
        List<WindowSpec> w = ReputationSettingsLoader.windows("60s/5s, 1h/5m, 10m/1m");
        assertEquals(List.of("60s", "600s", "3600s"), w.stream().map(WindowSpec::name).toList());
        assertEquals(Duration.ofMinutes(5), w.get(2).granularity());
    }

    @Test
    void badWindowsNameTheSettingAndTheProblem() {
        for (String bad : new String[]{"60s", "60s/7s", "60s/0s", "5s/60s", "sixty/5s", "60s/5s,60s/10s", "10m/1m,60s/5s"}) {
            PostfixConfigException e = assertThrows(PostfixConfigException.class,
                    () -> ReputationSettingsLoader.windows(bad), bad);
            assertTrue(e.getMessage().startsWith("portcullis.reputation.windows = "), e.getMessage());
        }
    }

    @Test
    void postfixTimeUnits() {
        assertEquals(Duration.ofSeconds(90), ReputationSettingsLoader.parseTime("x", "90"));
        assertEquals(Duration.ofMinutes(10), ReputationSettingsLoader.parseTime("x", "10m"));
        assertEquals(Duration.ofDays(14), ReputationSettingsLoader.parseTime("x", "2w"));
        assertThrows(PostfixConfigException.class, () -> ReputationSettingsLoader.parseTime("x", "-1s"));
    }
}
