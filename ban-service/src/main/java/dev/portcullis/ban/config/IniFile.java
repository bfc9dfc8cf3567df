package dev.portcullis.ban.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file in fail2ban's configuration syntax (Python's {@code configparser} as fail2ban sets it
 * up), with the line every value came from, so every later complaint can name {@code file:line}.
 *
 * <p>What is read, as fail2ban reads it:
 * <ul>
 *   <li>{@code [section]} headers; {@code [DEFAULT]} holds values every section inherits;</li>
 *   <li>{@code key = value} or {@code key: value}; keys are case-insensitive (folded to lower case);</li>
 *   <li>a line starting with white space continues the previous value (joined with a newline);</li>
 *   <li>whole-line comments start with {@code #} or {@code ;}; an inline comment is {@code ;}
 *       after white space (fail2ban's {@code inline_comment_prefixes});</li>
 *   <li>{@code %(name)s} is replaced by {@code name} of the same section, else of {@code [DEFAULT]}.</li>
 * </ul>
 * Refused with {@code file:line: problem}: a line outside any section, a line that is neither a
 * header nor {@code key = value}, a section or a key given twice (configparser's strict mode),
 * {@code [INCLUDES]} (not supported: keep one file), an unknown or circular {@code %(name)s},
 * a file that is not UTF-8, and lines longer than {@value #MAX_LINE} characters.
 */
public final class IniFile {

    public static final String DEFAULT = "DEFAULT";
    static final int MAX_LINE = 8192;
    private static final Pattern HEADER = Pattern.compile("\\[([^\\]]+)\\]\\s*");
    private static final Pattern KEY_VALUE = Pattern.compile("([^=:\\s][^=:]*?)\\s*[=:]\\s?(.*)");
    private static final Pattern INTERPOLATION = Pattern.compile("%\\(([^)]+)\\)s");

    /** One value with the line it started on. */
    public record Value(String text, int line) {
    }

    /** One section: its name, header line and values (inherited {@code [DEFAULT]} ones not included). */
    public record Section(String name, int line, Map<String, Value> values) {
    }

    private final String file;
    private final Map<String, Section> sections;

    private IniFile(String file, Map<String, Section> sections) {
        this.file = file;
        this.sections = sections;
    }

    /** Reads and parses {@code path}. */
    public static IniFile read(Path path) {
        String name = path.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot read: " + e.getMessage());
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(name + ": not UTF-8 text");
        }
        return parse(name, text);
    }

    /** Parses {@code text}; {@code file} names it in errors. */
    public static IniFile parse(String file, String text) {
        Map<String, Section> sections = new LinkedHashMap<>();
        Section current = null;
        String lastKey = null;
        StringBuilder lastValue = null;
        int lastLine = 0;
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int n = i + 1;
            String raw = lines[i];
            if (raw.length() > MAX_LINE) {
                throw ConfigException.at(file, n, "line longer than " + MAX_LINE + " characters");
            }
            String stripped = raw.strip();
            if (stripped.isEmpty() || stripped.startsWith("#") || stripped.startsWith(";")) {
                if (stripped.isEmpty()) {
                    // configparser: an empty line ends a multi-line value
                    flush(current, lastKey, lastValue, lastLine, file);
                    lastKey = null;
                    lastValue = null;
                }
                continue;
            }
            String line = stripInlineComment(raw);
            if (Character.isWhitespace(raw.charAt(0)) && lastKey != null) {
                lastValue.append('\n').append(line.strip());
                continue;
            }
            flush(current, lastKey, lastValue, lastLine, file);
            lastKey = null;
            lastValue = null;
            String t = line.strip();
            Matcher h = HEADER.matcher(t);
            if (h.matches()) {
                String name = h.group(1).strip();
                if (name.equalsIgnoreCase("INCLUDES")) {
                    throw ConfigException.at(file, n, "[INCLUDES] (before/after files) is not supported: keep the"
                            + " jails in one file");
                }
                if (sections.containsKey(name)) {
                    throw ConfigException.at(file, n, "section [" + name + "] given twice (first on line "
                            + sections.get(name).line() + ")");
                }
                current = new Section(name, n, new LinkedHashMap<>());
                sections.put(name, current);
                continue;
            }
            if (Character.isWhitespace(raw.charAt(0))) {
                throw ConfigException.at(file, n, "indented line continues no value: " + ConfigException.quote(t));
            }
            Matcher kv = KEY_VALUE.matcher(t);
            if (!kv.matches()) {
                throw ConfigException.at(file, n, "expected \"key = value\" or \"[section]\", got "
                        + ConfigException.quote(t));
            }
            if (current == null) {
                throw ConfigException.at(file, n, "\"" + kv.group(1).strip() + "\" is outside any [section]");
            }
            lastKey = kv.group(1).strip().toLowerCase(java.util.Locale.ROOT);
            if (current.values().containsKey(lastKey)) {
                throw ConfigException.at(file, n, "\"" + lastKey + "\" given twice in [" + current.name()
                        + "] (first on line " + current.values().get(lastKey).line() + ")");
            }
            lastValue = new StringBuilder(kv.group(2).strip());
            lastLine = n;
        }
        flush(current, lastKey, lastValue, lastLine, file);
        IniFile ini = new IniFile(file, sections);
        ini.interpolateAll();
        return ini;
    }

    private static void flush(Section current, String key, StringBuilder value, int line, String file) {
        if (key != null) {
            current.values().put(key, new Value(value.toString().strip(), line));
        }
    }

    /** configparser's inline comments: {@code ;} preceded by white space. */
    private static String stripInlineComment(String line) {
        for (int i = 1; i < line.length(); i++) {
            if (line.charAt(i) == ';' && Character.isWhitespace(line.charAt(i - 1))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    private void interpolateAll() {
        for (Section s : sections.values()) {
            for (Map.Entry<String, Value> e : s.values().entrySet()) {
                Value v = e.getValue();
                if (v.text().contains("%(")) {
                    e.setValue(new Value(interpolate(s, v, new ArrayList<>(List.of(e.getKey()))), v.line()));
                }
            }
        }
    }

    private String interpolate(Section s, Value v, List<String> seen) {
        Matcher m = INTERPOLATION.matcher(v.text());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String ref = m.group(1).strip().toLowerCase(java.util.Locale.ROOT);
            if (seen.contains(ref)) {
                throw ConfigException.at(file, v.line(), "%(" + ref + ")s refers to itself (" + String.join(" -> ", seen)
                        + ")");
            }
            Value target = lookup(s, ref);
            if (target == null) {
                throw ConfigException.at(file, v.line(), "%(" + ref + ")s: no \"" + ref + "\" in [" + s.name()
                        + "] or [DEFAULT]");
            }
            seen.add(ref);
            String text = target.text().contains("%(") ? interpolate(s, target, seen) : target.text();
            seen.remove(seen.size() - 1);
            m.appendReplacement(out, Matcher.quoteReplacement(text));
        }
        m.appendTail(out);
        return out.toString();
    }

    private Value lookup(Section s, String key) {
        Value v = s.values().get(key);
        if (v == null && !s.name().equals(DEFAULT) && sections.containsKey(DEFAULT)) {
            v = sections.get(DEFAULT).values().get(key);
        }
        return v;
    }

    public String file() {
        return file;
    }

    /** Every section but {@code [DEFAULT]}, in file order. */
    public List<Section> sections() {
        List<Section> out = new ArrayList<>();
        for (Section s : sections.values()) {
            if (!s.name().equals(DEFAULT)) {
                out.add(s);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** The value of {@code key} in {@code section}, else in {@code [DEFAULT]}. */
    public Optional<Value> get(Section section, String key) {
        return Optional.ofNullable(lookup(section, key));
    }

    /** The {@code [DEFAULT]} section, if any. */
    public Optional<Section> defaults() {
        return Optional.ofNullable(sections.get(DEFAULT));
    }
}
