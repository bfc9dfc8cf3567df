package dev.portcullis.postfix;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Typed access to the parameters of a {@link MainCf}, validated the way Postfix's daemons
 * validate them (mail_conf_int(3), mail_conf_long(3), mail_conf_time(3), conv_time(3),
 * mail_conf_bool(3)). A bad value fails with {@link PostfixConfigException} naming where the
 * value was defined, the parameter and the value, in Postfix's words:
 * <pre>
 * main.cf:12: bad numerical configuration: smtpd_soft_error_limit = ten
 * main.cf:12: invalid smtpd_soft_error_limit parameter value 0 &lt; 1
 * main.cf:13: parameter smtpd_timeout: bad time value or unit: 10x
 * main.cf:13: invalid smtpd_timeout: 0 (min 1)
 * main.cf:14: bad boolean configuration: smtpd_helo_required = maybe
 * </pre>
 * Ranges are Postfix's for the parameters in {@link PostfixDefaults}; where Postfix sets no
 * minimum (it then accepts any negative number), Portcullis refuses negatives. Values are
 * {@code $name}-expanded before they are checked, as in Postfix. Thread-safe.
 */
public final class PostfixParameters {

    private static final long INT_MAX = Integer.MAX_VALUE;

    private final MainCf cf;
    private final Set<String> warnings = Collections.synchronizedSet(new LinkedHashSet<>());

    PostfixParameters(MainCf cf) {
        this.cf = cf;
    }

    /** The main.cf these parameters come from. */
    public MainCf mainCf() {
        return cf;
    }

    /** True when {@code name} is set in main.cf or an override, or has a built-in default. */
    public boolean has(String name) {
        return cf.isDefined(name);
    }

    /** Where {@code name} was defined ({@link Origin#DEFAULT} when it was not). */
    public Origin origin(String name) {
        return cf.origin(name);
    }

    /** The expanded value; "" when undefined. */
    public String string(String name) {
        return cf.value(name);
    }

    /**
     * A Postfix "int" parameter: decimal, optional sign, nothing else (strtol()), within C
     * int and the parameter's range.
     */
    public int integer(String name) {
        PostfixDefaults.Spec spec = cf.defaults().spec(name);
        long min = spec != null && spec.kind() == PostfixDefaults.Kind.INT ? spec.min() : 0;
        return (int) number(name, INT_MAX, min, INT_MAX);
    }

    /** As {@link #integer(String)} with an explicit range. */
    public int integer(String name, int min, int max) {
        return (int) number(name, INT_MAX, min, max);
    }

    /**
     * A size or count held in a C long by Postfix (message_size_limit); parameters that
     * Postfix holds in an int (header_size_limit) keep the int range.
     */
    public long size(String name) {
        PostfixDefaults.Spec spec = cf.defaults().spec(name);
        if (spec != null && spec.kind() == PostfixDefaults.Kind.INT) {
            return number(name, INT_MAX, spec.min(), INT_MAX);
        }
        long min = spec != null && spec.kind() == PostfixDefaults.Kind.LONG ? spec.min() : 0;
        return number(name, Long.MAX_VALUE, min, Long.MAX_VALUE);
    }

    /** As {@link #size(String)} with an explicit range. */
    public long size(String name, long min, long max) {
        return number(name, Long.MAX_VALUE, min, max);
    }

    /**
     * A limit where Postfix documents 0 as "no limit" (message_size_limit and the anvil
     * limits): empty for 0.
     *
     * @throws IllegalArgumentException for a parameter where 0 does not mean "no limit"
     */
    public OptionalLong limit(String name) {
        PostfixDefaults.Spec spec = cf.defaults().spec(name);
        if (spec == null || !spec.zeroIsNoLimit()) {
            throw new IllegalArgumentException("0 does not mean \"no limit\" for " + name);
        }
        long value = size(name);
        return value == 0 ? OptionalLong.empty() : OptionalLong.of(value);
    }

    /**
     * A time: a number with an optional unit s, m, h, d or w; a bare number is in the unit
     * of the parameter's default (seconds for all of Postfix's smtpd times). Postfix 3.7
     * ignores whatever follows the unit letter ("10ms" is ten minutes, "1h30m" one hour);
     * Portcullis refuses such values.
     */
    public Duration time(String name) {
        String value = cf.value(name);
        PostfixDefaults.Spec spec = cf.defaults().spec(name);
        char defaultUnit = 's';
        if (spec != null && spec.value() != null && !spec.value().isEmpty()
                && "smhdw".indexOf(spec.value().charAt(spec.value().length() - 1)) >= 0) {
            defaultUnit = spec.value().charAt(spec.value().length() - 1);
        }
        // conv_time(): strtol(), then the next character, if any, is the unit.
        int[] end = new int[1];
        Long number = strtol(value, end, INT_MAX);
        String rest = number == null ? "" : value.substring(end[0]);
        long unit = number == null || number < 0 && number != 0 ? -1
                : unitSeconds(rest.isEmpty() ? defaultUnit : rest.charAt(0));
        if (unit < 0 || rest.length() > 1 || (unit > 1 && number >= INT_MAX / unit)) {
            String hint = number != null && unit > 0 && rest.length() > 1
                    ? " (Postfix 3.7 would silently read it as \"" + number + rest.charAt(0) + "\")"
                    : "";
            throw bad(name, "parameter " + name + ": bad time value or unit: " + Printable.prefix(value) + hint);
        }
        long seconds = number * unit;
        long min = spec != null && spec.kind() == PostfixDefaults.Kind.TIME ? spec.min() : 0;
        if (seconds < min) {
            throw bad(name, "invalid " + name + ": " + seconds + " (min " + min + ")");
        }
        return Duration.ofSeconds(seconds);
    }

    /** "yes" or "no", in any case; Postfix accepts nothing else ("true" is refused). */
    public boolean bool(String name) {
        String value = cf.value(name);
        if (value.equalsIgnoreCase("yes")) {
            return true;
        }
        if (value.equalsIgnoreCase("no")) {
            return false;
        }
        throw bad(name, "bad boolean configuration: " + name + " = " + Printable.prefix(value));
    }

    /**
     * The items of a list value: separated by commas and/or whitespace, with text in
     * {...} kept together (braces included), e.g. {@code "a, b {c d}"} gives a, b, {c d}.
     * An item starting with '#' ends the list, with a warning, as in Postfix.
     */
    public List<String> list(String name) {
        return List.copyOf(PostfixLists.split(cf.value(name),
                w -> warnings.add(cf.origin(name) + ": " + name + ": " + w)));
    }

    /** The value, which must be one of {@code allowed} exactly (case matters, as for mynetworks_style). */
    public String enumValue(String name, String... allowed) {
        String value = cf.value(name);
        for (String a : allowed) {
            if (a.equals(value)) {
                return a;
            }
        }
        throw badEnum(name, value, allowed);
    }

    /**
     * The value, which must be one of {@code allowed} in any case (as Postfix's name_code()
     * tables, e.g. smtpd_tls_security_level); returns the spelling in {@code allowed}.
     */
    public String enumValueIgnoreCase(String name, String... allowed) {
        String value = cf.value(name);
        for (String a : allowed) {
            if (a.equalsIgnoreCase(value)) {
                return a;
            }
        }
        throw badEnum(name, value, allowed);
    }

    /** The value as a {@link NetworkList}. */
    public NetworkList networkList(String name) {
        NetworkList list = NetworkList.parse(name, cf.value(name), cf.origin(name));
        warnings.addAll(list.warnings());
        return list;
    }

    /**
     * The value as a {@link DomainList}, matching as Postfix does for this parameter:
     * {@link DomainList.Style#EXACT} for mydestination, {@link DomainList.Style#PARENT} for
     * parameters in parent_domain_matches_subdomains, else {@link DomainList.Style#DOT_PREFIX}.
     */
    public DomainList domainList(String name) {
        DomainList.Style style = name.equals("mydestination") ? DomainList.Style.EXACT
                : parentStyle(name) ? DomainList.Style.PARENT : DomainList.Style.DOT_PREFIX;
        DomainList list = DomainList.parse(name, cf.value(name), cf.origin(name), style);
        warnings.addAll(list.warnings());
        return list;
    }

    /** match_parent_style(): is {@code name} in parent_domain_matches_subdomains? */
    private boolean parentStyle(String name) {
        String pdms = "parent_domain_matches_subdomains";
        DomainList members = DomainList.parse(pdms, cf.value(pdms), cf.origin(pdms), DomainList.Style.EXACT);
        warnings.addAll(members.warnings());
        return members.matches(name);
    }

    /**
     * An error about {@code name} found by the caller: "origin: name = value: problem".
     * Throw it.
     */
    public PostfixConfigException invalid(String name, String problem) {
        return bad(name, name + " = " + Printable.prefix(cf.value(name)) + ": " + problem);
    }

    /** Warnings from main.cf and from the lists read so far, oldest first. */
    public List<String> warnings() {
        List<String> all = new ArrayList<>(cf.warnings());
        synchronized (warnings) {
            all.addAll(warnings);
        }
        return all;
    }

    // ---------------------------------------------------------------------------------------

    private long number(String name, long typeMax, long min, long max) {
        String value = cf.value(name);
        int[] end = new int[1];
        Long n = strtol(value, end, typeMax);
        if (n == null || end[0] != value.length()) {
            throw bad(name, "bad numerical configuration: " + name + " = " + Printable.prefix(value));
        }
        // check_mail_conf_int(): Postfix checks min only when it is not 0; we always do.
        if (n < min) {
            throw bad(name, "invalid " + name + " parameter value " + n + " < " + min);
        }
        if (n > max) {
            throw bad(name, "invalid " + name + " parameter value " + n + " > " + max);
        }
        return n;
    }

    /**
     * strtol(s, &end, 10): optional whitespace and sign, then at least one digit; end[0] is
     * where the digits stop. Null when there are no digits or the number is outside
     * [-typeMax - 1, typeMax] (ERANGE, or not an int where Postfix wants one).
     */
    private static Long strtol(String s, int[] end, long typeMax) {
        int i = 0;
        while (i < s.length() && MainCfParser.isSpace(s.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int digits = i;
        long value = 0;
        boolean overflow = false;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            if (!overflow) {
                try {
                    value = Math.addExact(Math.multiplyExact(value, 10), s.charAt(i) - '0');
                } catch (ArithmeticException e) {
                    overflow = true;
                }
            }
            i++;
        }
        if (i == digits || overflow || value > (negative ? typeMax + 1 : typeMax)) {
            return null;
        }
        end[0] = i;
        return negative ? -value : value;
    }

    private static long unitSeconds(char unit) {
        return switch (unit) {
            case 's' -> 1;
            case 'm' -> 60;
            case 'h' -> 3600;
            case 'd' -> 86400;
            case 'w' -> 604800;
            default -> -1;
        };
    }

    private PostfixConfigException badEnum(String name, String value, String... allowed) {
        return bad(name, "bad parameter value: '" + name + " = " + Printable.prefix(value) + "' (expected "
                + String.join(", ", Arrays.asList(allowed)) + ")");
    }

    private PostfixConfigException bad(String name, String problem) {
        return PostfixConfigException.at(cf.origin(name), name, problem);
    }
}
