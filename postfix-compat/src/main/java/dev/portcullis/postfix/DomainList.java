package dev.portcullis.postfix;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A Postfix domain list, as in relay_domains and mydestination: domain names matched
 * case-insensitively against patterns, the first matching pattern deciding. Patterns are
 * separated by commas and/or whitespace; {@code !pattern} negates, {@code /file/name}
 * includes a file's patterns (see {@link NetworkList} for both). A {@code type:table}
 * pattern is refused: "lookup tables in relay_domains are not supported yet".
 *
 * <p>What a pattern matches depends on the parameter, and Postfix differs here from what
 * one might guess; see {@link Style}. A domain is matched as Postfix's trivial-rewrite and
 * resolve_local() see it: one trailing dot is removed first, and a name that still ends in
 * a dot matches nothing. Address literals ({@code [192.0.2.1]} in mydestination matching
 * this host's addresses) are the caller's business. Immutable and thread-safe.
 */
public final class DomainList {

    /** How names match patterns. */
    public enum Style {
        /**
         * string_list(3), which Postfix uses for mydestination: a pattern matches that exact
         * name only. {@code .example.com} matches nothing, nor does {@code example.com}
         * match a subdomain.
         */
        EXACT,
        /**
         * domain_list(3) for a parameter not in parent_domain_matches_subdomains:
         * {@code example.com} matches only itself, {@code .example.com} matches every name
         * below example.com (not example.com itself).
         */
        DOT_PREFIX,
        /**
         * domain_list(3) for a parameter in parent_domain_matches_subdomains (relay_domains
         * by default): {@code example.com} matches itself and every name below it.
         * {@code .example.com} then matches nothing at all (match_ops.c compares the
         * pattern, dot included, with the part of the name after a dot); a warning says so.
         */
        PARENT
    }

    private record Entry(String pattern, boolean negated) {
    }

    private final String parameter;
    private final Style style;
    private final List<Entry> entries;
    private final List<String> warnings;

    private DomainList(String parameter, Style style, List<Entry> entries, List<String> warnings) {
        this.parameter = parameter;
        this.style = style;
        this.entries = List.copyOf(entries);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * Parses {@code value} (already $name-expanded) of parameter {@code parameter} defined
     * at {@code origin}.
     *
     * @throws PostfixConfigException for a lookup table pattern, "!" without a pattern, or
     *                                an unreadable /file/name
     */
    public static DomainList parse(String parameter, String value, Origin origin, Style style) {
        Objects.requireNonNull(parameter, "parameter");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(style, "style");
        List<String> warnings = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        for (PostfixLists.Item item : PostfixLists.patterns(parameter, value, origin, warnings)) {
            String p = item.pattern();
            if (p.charAt(0) != '[' && p.indexOf(':') >= 0) {
                throw PostfixConfigException.at(item.origin(), parameter, parameter + ": lookup tables in "
                        + parameter + " are not supported yet: " + Printable.quote(p));
            }
            if (p.charAt(0) == '.' && style != Style.DOT_PREFIX) {
                warnings.add(item.origin() + ": " + parameter + ": pattern " + Printable.quote(p)
                        + " never matches here" + (style == Style.PARENT
                        ? " (parent_domain_matches_subdomains: write " + Printable.quote(p.substring(1))
                        + ", which also matches subdomains)"
                        : " (" + parameter + " matches whole names only)"));
            }
            // match_list_init() case-folds patterns; match_list_match() folds the name.
            entries.add(new Entry(p.toLowerCase(Locale.ROOT), item.negated()));
        }
        return new DomainList(parameter, style, entries, warnings);
    }

    /** True when the first pattern that matches {@code domain} is not negated. */
    public boolean matches(String domain) {
        String name = domain.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty() || name.endsWith(".")) {
            return false;
        }
        for (Entry e : entries) {
            if (matches(name, e.pattern())) {
                return !e.negated();
            }
        }
        return false;
    }

    /** match_hostname() / match_string() without the table lookups. */
    private boolean matches(String name, String pattern) {
        if (name.equals(pattern)) {
            return true;
        }
        int pd = name.length() - pattern.length();
        return switch (style) {
            case EXACT -> false;
            case PARENT -> pd > 0 && name.charAt(pd - 1) == '.' && name.endsWith(pattern);
            case DOT_PREFIX -> pattern.charAt(0) == '.' && pd > 0 && name.endsWith(pattern);
        };
    }

    /** The parameter this list is the value of. */
    public String parameter() {
        return parameter;
    }

    /** How this list matches. */
    public Style style() {
        return style;
    }

    /** True when the list has no patterns (matches nothing). */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Warnings about this list (Postfix's own, and patterns that can never match). */
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(parameter).append(" = ");
        for (int i = 0; i < entries.size(); i++) {
            b.append(i == 0 ? "" : " ").append(entries.get(i).negated() ? "!" : "").append(entries.get(i).pattern());
        }
        return b.toString();
    }
}
