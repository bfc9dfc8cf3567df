package dev.portcullis.postfix;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Where a service's Postfix parameters come from: an optional {@code main.cf} file, then
 * overrides from the service's own configuration - properties {@code postfix.<name>} and
 * environment variables {@code POSTFIX_<NAME>} - so that every Portcullis service reads the
 * same file the same way. Knows nothing of any configuration framework: the caller hands
 * over the property names and a lookup.
 */
public final class MainCfSource {

    private MainCfSource() {
    }

    /**
     * The file (Postfix's built-in defaults when absent or blank) with the overrides applied.
     *
     * @param file      the main.cf path, e.g. from {@code PORTCULLIS_MAIN_CF}
     * @param fileSetting how the file was named, for the error when it cannot be read
     * @param overrides parameter name to value, see {@link #overrides}
     * @param overridesName where the overrides came from, for error messages
     * @throws PostfixConfigException when the file cannot be read or does not parse
     */
    public static MainCf load(Optional<String> file, String fileSetting, Map<String, String> overrides,
                              String overridesName) {
        MainCf mainCf;
        Optional<String> named = file.filter(s -> !s.isBlank());
        if (named.isPresent()) {
            Path path = Path.of(named.get());
            if (!Files.isReadable(path)) {
                throw new PostfixConfigException(path + ": cannot read main.cf (" + fileSetting + ")");
            }
            mainCf = MainCf.parse(path);
        } else {
            mainCf = MainCf.empty();
        }
        return mainCf.withOverrides(overrides, overridesName);
    }

    /**
     * Collects {@code postfix.NAME} properties and {@code POSTFIX_NAME} environment
     * variables; a property whose value cannot be read counts as empty.
     */
    public static Map<String, String> overrides(Iterable<String> propertyNames,
                                                Function<String, Optional<String>> lookup) {
        Map<String, String> values = new TreeMap<>();
        for (String name : propertyNames) {
            String parameter = null;
            if (name.startsWith("postfix.")) {
                parameter = name.substring("postfix.".length());
            } else if (name.startsWith("POSTFIX_")) {
                parameter = name.substring("POSTFIX_".length()).toLowerCase(Locale.ROOT);
            }
            if (parameter != null && !parameter.isEmpty()) {
                values.put(parameter, lookup.apply(name).orElse(""));
            }
        }
        return values;
    }
}
