package dev.portcullis.postfix;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A parsed main.cf, possibly layered with overrides, over Postfix's built-in defaults.
 * Immutable and safe to share between threads.
 *
 * <p>Values are kept as written and expanded when looked up, as Postfix does: a later
 * definition or an override of a parameter that another one refers to ({@code $name}) takes
 * effect in both. A parameter that is neither defined nor has a built-in default is
 * "undefined" and expands to the empty string.
 *
 * <p>Precedence, highest first: the last {@link #withOverrides} layer, earlier layers, the
 * file (its last definition of a name), the defaults.
 */
public final class MainCf {

    private final Map<String, Parameter> definitions;
    private final PostfixDefaults defaults;
    private final List<String> warnings;
    /** Expanded values of defined parameters; bounded by the names in the file and table. */
    private final Map<String, String> expanded = new ConcurrentHashMap<>();
    private final PostfixParameters parameters;

    MainCf(Map<String, Parameter> definitions, PostfixDefaults defaults, List<String> warnings) {
        this.definitions = Collections.unmodifiableMap(new LinkedHashMap<>(definitions));
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.warnings = List.copyOf(warnings);
        this.parameters = new PostfixParameters(this);
    }

    /** No main.cf: every parameter has its built-in default ({@link PostfixDefaults#standard()}). */
    public static MainCf empty() {
        return empty(PostfixDefaults.standard());
    }

    /** No main.cf, with the given defaults. */
    public static MainCf empty(PostfixDefaults defaults) {
        return new MainCf(Map.of(), defaults, List.of());
    }

    /** Reads a main.cf file; see {@link MainCfParser}. */
    public static MainCf parse(Path file) {
        return MainCfParser.parse(file);
    }

    /** Parses main.cf text; {@code fileName} names it in error messages. */
    public static MainCf parse(String text, String fileName) {
        return MainCfParser.parse(text, fileName);
    }

    /**
     * This main.cf with {@code values} defined on top, as if appended to the file; every
     * value is attributed to {@code sourceName} in error messages.
     */
    public MainCf withOverrides(Map<String, String> values, String sourceName) {
        Objects.requireNonNull(sourceName, "sourceName");
        return withOverrides(values, name -> sourceName);
    }

    /**
     * This main.cf with {@code values} defined on top; {@code sourceOf} names the source of
     * each one, e.g. {@code name -> "environment variable POSTFIX_" + name.toUpperCase()}.
     * Values are trimmed like main.cf values and expanded like them; a value may not contain
     * a line break or NUL.
     */
    public MainCf withOverrides(Map<String, String> values, Function<String, String> sourceOf) {
        Map<String, Parameter> layered = new LinkedHashMap<>(definitions);
        for (Map.Entry<String, String> e : values.entrySet()) {
            String name = e.getKey();
            String value = Objects.requireNonNull(e.getValue(), "value of " + name);
            Origin origin = Origin.of(Objects.requireNonNull(sourceOf.apply(name), "source name"));
            checkName(name, origin);
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                throw PostfixConfigException.at(origin, name, name + ": line break or NUL in value: "
                        + Printable.quote(value));
            }
            layered.remove(name); // keep file order for the rest, overrides last
            layered.put(name, new Parameter(name, trim(value), origin));
        }
        return new MainCf(layered, defaults, warnings);
    }

    /** This main.cf over other defaults. */
    public MainCf withDefaults(PostfixDefaults other) {
        return new MainCf(definitions, other, warnings);
    }

    /** The built-in defaults under this main.cf. */
    public PostfixDefaults defaults() {
        return defaults;
    }

    /** The explicit definitions (file and overrides), unexpanded, in definition order. */
    public Map<String, Parameter> definitions() {
        return definitions;
    }

    /** The explicit definition of {@code name}, if any. */
    public Optional<Parameter> definition(String name) {
        return Optional.ofNullable(definitions.get(name));
    }

    /** True when {@code name} is defined explicitly or has a built-in default. */
    public boolean isDefined(String name) {
        return definitions.containsKey(name) || defaults.has(name);
    }

    /** Where the value of {@code name} comes from: its definition, else {@link Origin#DEFAULT}. */
    public Origin origin(String name) {
        Parameter p = definitions.get(name);
        return p == null ? Origin.DEFAULT : p.origin();
    }

    /**
     * The value of {@code name} before expansion (explicit, else the default); empty when
     * the parameter is undefined.
     *
     * @throws PostfixConfigException when a computed default cannot be worked out
     */
    public Optional<String> rawValue(String name) {
        return Optional.ofNullable(new Expander(this).raw(name));
    }

    /**
     * The value of {@code name} with all {@code $name} references expanded, as
     * {@code postconf -x} shows it (but with whitespace as the daemons see it); "" when
     * undefined.
     *
     * @throws PostfixConfigException on a syntax error, a loop, or a default that cannot be
     *                                worked out
     */
    public String value(String name) {
        String v = expanded.get(name);
        if (v != null) {
            return v;
        }
        v = new Expander(this).parameter(name);
        if (isDefined(name)) {
            expanded.put(name, v);
        }
        return v;
    }

    /** Warnings Postfix would log for this file (e.g. "overriding earlier entry"). */
    public List<String> warnings() {
        return warnings;
    }

    /** Typed, validated access to the parameters. */
    public PostfixParameters parameters() {
        return parameters;
    }

    @Override
    public String toString() {
        return "MainCf" + definitions.keySet();
    }

    /**
     * Refuses names that cannot be Postfix parameter names. Postfix itself accepts anything
     * up to whitespace or '=', but only [A-Za-z0-9_] can be referenced as $name; '-' and '.'
     * occur in per-service names (e.g. smtp-amavis_destination_concurrency_limit).
     */
    static void checkName(String name, Origin origin) {
        boolean ok = !name.isEmpty();
        for (int i = 0; ok && i < name.length(); i++) {
            char c = name.charAt(i);
            ok = Expander.isNameChar(c) || c == '-' || c == '.';
        }
        if (!ok) {
            throw PostfixConfigException.at(origin, null, "bad parameter name " + Printable.quote(name)
                    + ": only letters, digits, '_', '-' and '.' are allowed");
        }
    }

    private static String trim(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && MainCfParser.isSpace(value.charAt(start))) {
            start++;
        }
        while (end > start && MainCfParser.isSpace(value.charAt(end - 1))) {
            end--;
        }
        return value.substring(start, end);
    }
}
