package dev.portcullis.content.config;

import dev.portcullis.content.check.Checks;
import dev.portcullis.content.check.Inspector;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the content filter is configured with, checked at start-up
 * ({@link ContentSettingsLoader}).
 *
 * @param tables          per check, the tables its main.cf parameter names, in search order
 * @param origins         per check, where the parameter was set (file:line, "default", ...)
 * @param limits          header_size_limit, body_checks_size_limit, disable_mime_input_processing
 * @param maxMessageBytes the largest message {@code POST /api/v1/check} accepts (message_size_limit; 0 = none)
 * @param reloadInterval  how often table files are checked for changes (0 = never)
 */
public record ContentSettings(
        Map<Checks, List<String>> tables,
        Map<Checks, String> origins,
        Inspector.Limits limits,
        long maxMessageBytes,
        Duration reloadInterval) {

    public ContentSettings {
        EnumMap<Checks, List<String>> t = new EnumMap<>(Checks.class);
        for (Checks c : Checks.values()) {
            t.put(c, List.copyOf(tables.getOrDefault(c, List.of())));
        }
        tables = t;
        origins = new EnumMap<>(origins.isEmpty() ? Map.of(Checks.HEADER, "default") : origins);
    }
}
