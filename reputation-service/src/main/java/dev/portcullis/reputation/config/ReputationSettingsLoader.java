package dev.portcullis.reputation.config;

import dev.portcullis.postfix.MainCf;
import dev.portcullis.postfix.MainCfSource;
import dev.portcullis.postfix.NetworkList;
import dev.portcullis.postfix.PostfixConfigException;
import dev.portcullis.postfix.PostfixParameters;
import dev.portcullis.reputation.counts.WindowSpec;
import org.eclipse.microprofile.config.Config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds {@link ReputationSettings}: Postfix's own parameters (anvil limits, error limits,
 * exceptions) from the same {@code main.cf} the edges read ({@code PORTCULLIS_MAIN_CF},
 * overridable as {@code postfix.<name>} / {@code POSTFIX_<NAME>}), and the service's own
 * settings from {@code portcullis.reputation.*}. A bad value stops the service at start-up
 * naming the setting and the value.
 */
public final class ReputationSettingsLoader {

    static final String PREFIX = "portcullis.reputation.";
    private static final Pattern TIME = Pattern.compile("(\\d+)([smhdw]?)");

    private ReputationSettingsLoader() {
    }

    public static ReputationSettings load(Config config) {
        MainCf mainCf = MainCfSource.load(config.getOptionalValue("portcullis.main-cf", String.class),
                "PORTCULLIS_MAIN_CF", MainCfSource.overrides(config.getPropertyNames(),
                        n -> config.getOptionalValue(n, String.class)), "Quarkus configuration");
        PostfixParameters p = mainCf.parameters();
        Duration anvilUnit = p.time("anvil_rate_time_unit");
        if (anvilUnit.isZero() || anvilUnit.isNegative()) {
            throw p.invalid("anvil_rate_time_unit", "must be greater than zero");
        }
        String defaultWindows = anvilUnit.toSeconds() + "s/" + defaultGranularity(anvilUnit).toSeconds() + "s,600s/60s";
        List<WindowSpec> windows = windows(setting(config, "windows", defaultWindows));
        if (windows.get(0).length().compareTo(anvilUnit) != 0) {
            throw bad("windows", setting(config, "windows", defaultWindows),
                    "the first window must be anvil_rate_time_unit (" + anvilUnit.toSeconds() + "s)");
        }
        NetworkList exceptions = p.networkList("smtpd_client_event_limit_exceptions");
        int soft = p.integer("smtpd_soft_error_limit");
        int hard = p.integer("smtpd_hard_error_limit");
        return new ReputationSettings(
                setting(config, "id", Optional.ofNullable(System.getenv("HOSTNAME")).orElse("reputation")),
                setting(config, "cache", "portcullis-reputation"),
                windows,
                integer(config, "network-prefix-v4", 24, 8, 32),
                integer(config, "network-prefix-v6", 64, 16, 128),
                new ReputationSettings.Limits(
                        p.integer("smtpd_client_connection_count_limit"),
                        p.integer("smtpd_client_connection_rate_limit"),
                        p.integer("smtpd_client_message_rate_limit"),
                        p.integer("smtpd_client_recipient_rate_limit")),
                new ReputationSettings.Limits(0,
                        integer(config, "network-connection-rate-limit", 0, 0, Integer.MAX_VALUE),
                        integer(config, "network-message-rate-limit", 0, 0, Integer.MAX_VALUE),
                        integer(config, "network-recipient-rate-limit", 0, 0, Integer.MAX_VALUE)),
                exceptions::matches,
                soft,
                hard,
                time(config, "error-memory", "10m"),
                time(config, "session-max-age", "1h"),
                time(config, "connection-count-verdict-ttl", "30s"),
                integer(config, "max-tracked", 1_000_000, 1_000, Integer.MAX_VALUE),
                integer(config, "max-unwritten", 100_000, 1, Integer.MAX_VALUE));
    }

    /** Buckets of a twelfth of the window, at least a second: 5s for anvil's default 60s. */
    private static Duration defaultGranularity(Duration window) {
        long seconds = window.toSeconds();
        for (long g = Math.max(1, seconds / 12); g <= seconds; g++) {
            if (seconds % g == 0) {
                return Duration.ofSeconds(g);
            }
        }
        return window;
    }

    /** {@code LENGTH/GRANULARITY[,LENGTH/GRANULARITY...]}, e.g. {@code 60s/5s,10m/1m}. */
    static List<WindowSpec> windows(String value) {
        List<WindowSpec> out = new ArrayList<>();
        for (String part : value.split(",")) {
            String[] lg = part.trim().split("/");
            if (lg.length != 2) {
                throw bad("windows", value, "expected LENGTH/GRANULARITY, e.g. 60s/5s, in \"" + part.trim() + "\"");
            }
            try {
                out.add(WindowSpec.of(parseTime("windows", lg[0].trim()), parseTime("windows", lg[1].trim())));
            } catch (IllegalArgumentException e) {
                throw bad("windows", value, e.getMessage());
            }
        }
        if (out.isEmpty()) {
            throw bad("windows", value, "no window");
        }
        // The first stays first (anvil's); the rest by length so the last is the longest.
        List<WindowSpec> rest = new ArrayList<>(out.subList(1, out.size()));
        rest.sort(Comparator.comparing(WindowSpec::length));
        List<WindowSpec> sorted = new ArrayList<>();
        sorted.add(out.get(0));
        sorted.addAll(rest);
        if (sorted.stream().map(WindowSpec::name).distinct().count() != sorted.size()) {
            throw bad("windows", value, "two windows of the same length");
        }
        if (sorted.get(sorted.size() - 1).length().compareTo(sorted.get(0).length()) < 0) {
            throw bad("windows", value, "the anvil window must not be longer than the last window");
        }
        return sorted;
    }

    public static Duration parseTime(String name, String text) {
        Matcher m = TIME.matcher(text);
        if (!m.matches()) {
            throw bad(name, text, "bad time value (use a number with s, m, h, d or w)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            case "w" -> Duration.ofDays(7 * n);
            default -> Duration.ofSeconds(n);
        };
    }

    private static String setting(Config config, String name, String fallback) {
        return config.getOptionalValue(PREFIX + name, String.class).filter(s -> !s.isBlank()).orElse(fallback);
    }

    private static Duration time(Config config, String name, String fallback) {
        Duration d = parseTime(PREFIX + name, setting(config, name, fallback));
        if (d.isZero()) {
            throw bad(name, setting(config, name, fallback), "must be greater than zero");
        }
        return d;
    }

    private static int integer(Config config, String name, int fallback, int min, int max) {
        String text = setting(config, name, Integer.toString(fallback));
        try {
            int v = Integer.parseInt(text.trim());
            if (v < min || v > max) {
                throw bad(name, text, "must be between " + min + " and " + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw bad(name, text, "not a number");
        }
    }

    private static PostfixConfigException bad(String name, String value, String problem) {
        String key = name.startsWith(PREFIX) ? name : PREFIX + name;
        return new PostfixConfigException(key + " = " + value + ": " + problem);
    }
}
