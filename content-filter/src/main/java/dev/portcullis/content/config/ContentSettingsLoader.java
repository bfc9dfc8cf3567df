package dev.portcullis.content.config;

import dev.portcullis.content.check.Checks;
import dev.portcullis.content.check.Inspector;
import dev.portcullis.postfix.MainCf;
import dev.portcullis.postfix.MainCfSource;
import dev.portcullis.postfix.PostfixConfigException;
import dev.portcullis.postfix.PostfixParameters;
import org.eclipse.microprofile.config.Config;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link ContentSettings} from the main.cf the edges read ({@code PORTCULLIS_MAIN_CF},
 * overridable as {@code postfix.<name>} / {@code POSTFIX_<NAME>}), with Postfix's defaults
 * for the parameters Postfix has: header_checks, body_checks (empty), mime_header_checks and
 * nested_header_checks ({@code $header_checks}), body_checks_size_limit (51200),
 * header_size_limit (102400), disable_mime_input_processing (no), message_size_limit
 * (10240000). The service's own settings are {@code portcullis.content.*}. A bad value stops
 * the service at start-up naming the setting and the value.
 */
public final class ContentSettingsLoader {

    static final String PREFIX = "portcullis.content.";

    private ContentSettingsLoader() {
    }

    public static ContentSettings load(Config config) {
        MainCf mainCf = MainCfSource.load(config.getOptionalValue("portcullis.main-cf", String.class),
                "PORTCULLIS_MAIN_CF", MainCfSource.overrides(config.getPropertyNames(),
                        n -> config.getOptionalValue(n, String.class)), "Quarkus configuration");
        return from(mainCf.parameters(), config.getOptionalValue(PREFIX + "reload-interval", String.class)
                .filter(s -> !s.isBlank()).orElse("5s"));
    }

    /** The settings from Postfix parameters; {@code reloadInterval} like "5s" ("0" = no reload). */
    public static ContentSettings from(PostfixParameters p, String reloadInterval) {
        Map<Checks, List<String>> tables = new EnumMap<>(Checks.class);
        Map<Checks, String> origins = new EnumMap<>(Checks.class);
        for (Checks c : Checks.values()) {
            // mime_header_checks and nested_header_checks default to $header_checks.
            String name = p.has(c.parameter()) || c == Checks.HEADER || c == Checks.BODY
                    ? c.parameter() : Checks.HEADER.parameter();
            List<String> list = p.has(name) ? p.list(name) : List.of();
            for (String t : list) {
                int colon = t.indexOf(':');
                if (colon <= 0 || colon == t.length() - 1) {
                    throw p.invalid(c.parameter(), "need dictionary type:name, not \"" + printable(t) + "\"");
                }
            }
            tables.put(c, list);
            origins.put(c, p.origin(name).toString());
        }
        int headerSize = p.integer("header_size_limit");
        long bodyLimit = p.has("body_checks_size_limit") ? p.size("body_checks_size_limit", 0, Integer.MAX_VALUE)
                : 51200;
        boolean mimeOff = p.has("disable_mime_input_processing") && p.bool("disable_mime_input_processing");
        long maxMessage = p.has("message_size_limit") ? p.size("message_size_limit") : 10240000;
        return new ContentSettings(tables, origins, new Inspector.Limits(headerSize, bodyLimit, mimeOff),
                maxMessage, interval(reloadInterval));
    }

    private static Duration interval(String text) {
        String t = text.strip();
        try {
            if (t.equals("0")) {
                return Duration.ZERO;
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            if (t.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new PostfixConfigException(PREFIX + "reload-interval = " + printable(t)
                    + ": bad time value (use a number with ms, s or m, or 0 for no reload)");
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(60, s.length()); i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 60 ? b + "..." : b.toString();
    }
}
