package dev.portcullis.ban.config;

import dev.portcullis.events.Cidr;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Reads the jails file ({@code portcullis.ban.jails}, default {@code config/jails.conf}): fail2ban's
 * {@code jail.conf} syntax and keys ({@link IniFile}), plus {@code match}, Portcullis's event filter
 * ({@link EventRule}). Every problem stops the service at start-up as {@code file:line: problem}.
 *
 * <p>Keys, with fail2ban's defaults: {@code enabled} (false), {@code match} (required),
 * {@code maxretry} (5), {@code findtime} (10m), {@code bantime} (10m; negative = permanent),
 * {@code bantime.increment} (false), {@code bantime.factor} (1), {@code bantime.formula} (the
 * power-of-two one), {@code bantime.multipliers} (none), {@code bantime.maxtime} (none),
 * {@code bantime.rndtime} (none), {@code bantime.overalljails} (false), {@code ignoreip} (none),
 * {@code ignoreself} (true), {@code port} (every port). fail2ban keys about logs and actions
 * ({@code logpath}, {@code backend}, {@code filter}, {@code action}, {@code banaction}, ...) are
 * accepted and ignored (reported in {@link Result#ignored()}); {@code failregex} and
 * {@code ignoreregex} are refused (use {@code match}); any other key is an error.
 */
public final class JailsConfig {

    /** What a read produced: the enabled jails, and notes about keys that do nothing here. */
    public record Result(List<JailSpec> jails, List<String> disabled, List<String> ignored) {
    }

    static final Set<String> KEYS = Set.of("enabled", "match", "maxretry", "findtime", "bantime",
            "bantime.increment", "bantime.factor", "bantime.formula", "bantime.multipliers", "bantime.maxtime",
            "bantime.rndtime", "bantime.overalljails", "ignoreip", "ignoreself", "port");
    static final Set<String> IGNORED = Set.of("filter", "logpath", "backend", "action", "banaction",
            "banaction_allports", "mode", "chain", "protocol", "usedns", "logencoding", "journalmatch", "mta",
            "sender", "destemail", "sendername", "maxlines", "maxmatches", "datepattern", "dbpurgeage", "dbfile",
            "ignorecache", "before", "after", "fail2ban_agent", "blocktype", "returntype");
    static final String DEFAULT_FORMULA = "ban.Time*(1<<(ban.Count if ban.Count<20 else 20))*banFactor";
    static final String EXP_FORMULA = "ban.Time*math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)";
    private static final Map<String, Integer> SERVICES = Map.ofEntries(Map.entry("smtp", 25),
            Map.entry("smtps", 465), Map.entry("submissions", 465), Map.entry("submission", 587),
            Map.entry("http", 80), Map.entry("https", 443), Map.entry("ssh", 22), Map.entry("imap", 143),
            Map.entry("imap2", 143), Map.entry("imaps", 993), Map.entry("pop3", 110), Map.entry("pop3s", 995),
            Map.entry("sieve", 4190), Map.entry("ftp", 21), Map.entry("domain", 53));

    private JailsConfig() {
    }

    public static Result load(Path path) {
        return read(IniFile.read(path), localAddresses());
    }

    /** Builds the jails from a parsed file; {@code self} are the addresses {@code ignoreself} adds. */
    public static Result read(IniFile ini, List<Cidr> self) {
        List<JailSpec> jails = new ArrayList<>();
        List<String> disabled = new ArrayList<>();
        Set<String> ignored = new TreeSet<>();
        for (IniFile.Section s : ini.sections()) {
            for (Map.Entry<String, IniFile.Value> e : s.values().entrySet()) {
                String key = e.getKey();
                if (key.equals("failregex") || key.equals("ignoreregex")) {
                    throw ConfigException.at(ini.file(), e.getValue().line(), key + ": Portcullis matches session"
                            + " events, not log lines: use \"match\" (e.g. match = reject code=554 enhanced=5.7.1)");
                }
                if (key.equals("ignorecommand")) {
                    throw ConfigException.at(ini.file(), e.getValue().line(), "ignorecommand is not supported"
                            + " (no commands are run): use ignoreip or an allow decision");
                }
                if (IGNORED.contains(key) || key.startsWith("action_")) {
                    ignored.add(key);
                } else if (!KEYS.contains(key)) {
                    throw ConfigException.at(ini.file(), e.getValue().line(), "unknown key \"" + key + "\" in ["
                            + s.name() + "]" + suggestion(key));
                }
            }
            if (!bool(ini, s, "enabled", false)) {
                disabled.add(s.name());
                continue;
            }
            jails.add(jail(ini, s, self));
        }
        Set<String> names = new LinkedHashSet<>();
        for (JailSpec j : jails) {
            if (!j.name().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
                throw ConfigException.at(ini.file(), j.line(), "jail name \"" + j.name()
                        + "\": use letters, digits, '.', '_' or '-' (at most 64)");
            }
            names.add(j.name());
        }
        for (JailSpec j : jails) {
            for (EventRule r : j.rules()) {
                for (String other : r.jails()) {
                    if (!names.contains(other)) {
                        throw ConfigException.at(ini.file(), j.line(), "[" + j.name() + "] match: ban jail=" + other
                                + ": no enabled jail of that name");
                    }
                }
            }
        }
        return new Result(Collections.unmodifiableList(jails), List.copyOf(disabled), List.copyOf(ignored));
    }

    private static String suggestion(String key) {
        if (key.startsWith("bantime.")) {
            return " (known: bantime.increment, .factor, .formula, .multipliers, .maxtime, .rndtime, .overalljails)";
        }
        return " (known: " + String.join(", ", new TreeSet<>(KEYS)) + ")";
    }

    private static JailSpec jail(IniFile ini, IniFile.Section s, List<Cidr> self) {
        IniFile.Value match = ini.get(s, "match").orElseThrow(() -> ConfigException.at(ini.file(), s.line(),
                "[" + s.name() + "] has no \"match\": say which events count (e.g. match = reject code=554 enhanced=5.7.1)"));
        List<EventRule> rules = new ArrayList<>();
        String[] lines = match.text().split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            try {
                rules.add(EventRule.parse(lines[i]));
            } catch (IllegalArgumentException e) {
                throw ConfigException.at(ini.file(), match.line() + i, "match: " + e.getMessage());
            }
        }
        if (rules.isEmpty()) {
            throw ConfigException.at(ini.file(), match.line(), "match: no rule");
        }
        long banRules = rules.stream().filter(r -> r.kind() == EventRule.Kind.BAN).count();
        if (banRules > 0 && banRules < rules.size()) {
            throw ConfigException.at(ini.file(), match.line(), "match: \"ban\" rules (a recidive jail's input)"
                    + " cannot be mixed with event rules in one jail");
        }
        int maxRetry = integer(ini, s, "maxretry", 5, 1, 1_000_000);
        Duration findTime = time(ini, s, "findtime", "10m", false);
        Duration banTime = time(ini, s, "bantime", "10m", true);
        boolean increment = bool(ini, s, "bantime.increment", false);
        double factor = decimal(ini, s, "bantime.factor", 1.0);
        JailSpec.Formula formula = formula(ini, s);
        List<Integer> multipliers = multipliers(ini, s);
        Duration maxTime = ini.get(s, "bantime.maxtime").filter(v -> !v.text().isBlank())
                .map(v -> time(ini, v, "bantime.maxtime", false)).orElse(null);
        Duration rndTime = ini.get(s, "bantime.rndtime").filter(v -> !v.text().isBlank())
                .map(v -> time(ini, v, "bantime.rndtime", false)).orElse(null);
        boolean overall = bool(ini, s, "bantime.overalljails", false);
        List<Cidr> ignore = new ArrayList<>(networks(ini, s));
        if (bool(ini, s, "ignoreself", true)) {
            ignore.addAll(self);
        }
        List<Integer> ports = ports(ini, s);
        return new JailSpec(s.name(), rules, maxRetry, findTime, banTime, increment, factor, formula, multipliers,
                maxTime, rndTime, overall, ignore, ports, s.line());
    }

    private static <T> T value(IniFile ini, IniFile.Section s, String key, String fallback,
                               Function<String, T> parse) {
        IniFile.Value v = ini.get(s, key).orElse(null);
        String text = v == null ? fallback : v.text();
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException e) {
            throw ConfigException.at(ini.file(), v == null ? s.line() : v.line(), key + " = " + text + ": " + e.getMessage());
        }
    }

    static boolean bool(IniFile ini, IniFile.Section s, String key, boolean fallback) {
        return value(ini, s, key, Boolean.toString(fallback), t -> switch (t.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("expected true or false");
        });
    }

    private static int integer(IniFile ini, IniFile.Section s, String key, int fallback, int min, int max) {
        return value(ini, s, key, Integer.toString(fallback), t -> {
            int n;
            try {
                n = Integer.parseInt(t.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a whole number");
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException("must be between " + min + " and " + max);
            }
            return n;
        });
    }

    private static double decimal(IniFile ini, IniFile.Section s, String key, double fallback) {
        return value(ini, s, key, Double.toString(fallback), t -> {
            double d;
            try {
                d = Double.parseDouble(t.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number");
            }
            if (!(d > 0) || d > 1000 || Double.isNaN(d)) {
                throw new IllegalArgumentException("must be greater than 0 and at most 1000");
            }
            return d;
        });
    }

    private static Duration time(IniFile ini, IniFile.Section s, String key, String fallback, boolean negativeOk) {
        IniFile.Value v = ini.get(s, key).orElse(new IniFile.Value(fallback, s.line()));
        return time(ini, v, key, negativeOk);
    }

    private static Duration time(IniFile ini, IniFile.Value v, String key, boolean negativeOk) {
        Duration d;
        try {
            d = Fail2banTime.parse(v.text());
        } catch (IllegalArgumentException e) {
            throw ConfigException.at(ini.file(), v.line(), key + ": " + e.getMessage());
        }
        if (d.isZero() || (d.isNegative() && !negativeOk)) {
            throw ConfigException.at(ini.file(), v.line(), key + " = " + v.text() + ": must be greater than zero"
                    + (negativeOk ? " (or negative for a permanent ban)" : ""));
        }
        return d;
    }

    private static JailSpec.Formula formula(IniFile ini, IniFile.Section s) {
        IniFile.Value v = ini.get(s, "bantime.formula").orElse(null);
        if (v == null || v.text().isBlank()) {
            return JailSpec.Formula.POWER_OF_TWO;
        }
        String compact = v.text().replaceAll("\\s+", "");
        if (compact.equals(DEFAULT_FORMULA)) {
            return JailSpec.Formula.POWER_OF_TWO;
        }
        if (compact.equals(EXP_FORMULA)) {
            return JailSpec.Formula.EXPONENTIAL;
        }
        throw ConfigException.at(ini.file(), v.line(), "bantime.formula: only the two formulas of fail2ban's"
                + " jail.conf are supported (\"ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor\" and"
                + " \"ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)\"); for other growth"
                + " use bantime.multipliers");
    }

    private static List<Integer> multipliers(IniFile ini, IniFile.Section s) {
        IniFile.Value v = ini.get(s, "bantime.multipliers").orElse(null);
        if (v == null || v.text().isBlank()) {
            return List.of();
        }
        List<Integer> out = new ArrayList<>();
        for (String w : v.text().strip().split("\\s+")) {
            try {
                int n = Integer.parseInt(w);
                if (n < 1 || n > 1_000_000) {
                    throw new NumberFormatException();
                }
                out.add(n);
            } catch (NumberFormatException e) {
                throw ConfigException.at(ini.file(), v.line(), "bantime.multipliers: " + ConfigException.quote(w)
                        + " is not a whole number from 1 to 1000000");
            }
        }
        if (out.size() > 64) {
            throw ConfigException.at(ini.file(), v.line(), "bantime.multipliers: at most 64 values");
        }
        return out;
    }

    private static List<Cidr> networks(IniFile ini, IniFile.Section s) {
        IniFile.Value v = ini.get(s, "ignoreip").orElse(null);
        if (v == null) {
            return List.of();
        }
        List<Cidr> out = new ArrayList<>();
        for (String w : v.text().split("[\\s,]+")) {
            if (w.isBlank()) {
                continue;
            }
            try {
                out.add(Cidr.parse(w));
            } catch (IllegalArgumentException e) {
                boolean name = w.matches("[A-Za-z][A-Za-z0-9.-]*");
                throw ConfigException.at(ini.file(), v.line(), "ignoreip: " + (name
                        ? ConfigException.quote(w) + ": host names are not supported (no DNS): give addresses or networks"
                        : e.getMessage()));
            }
        }
        return out;
    }

    private static List<Integer> ports(IniFile ini, IniFile.Section s) {
        IniFile.Value v = ini.get(s, "port").orElse(null);
        if (v == null || v.text().isBlank() || v.text().strip().equalsIgnoreCase("all")
                || v.text().strip().equals("0:65535") || v.text().strip().equals("1:65535")) {
            return List.of();
        }
        try {
            return parsePorts(v.text());
        } catch (IllegalArgumentException e) {
            throw ConfigException.at(ini.file(), v.line(), "port: " + e.getMessage());
        }
    }

    /**
     * fail2ban's {@code port} list: numbers, service names ({@code smtp}, {@code submission},
     * {@code smtps}, ...) and ranges {@code lo:hi}, separated by commas; at most 1024 ports.
     */
    public static List<Integer> parsePorts(String text) {
        Set<Integer> out = new TreeSet<>();
        for (String w : text.split("[\\s,]+")) {
            if (w.isBlank()) {
                continue;
            }
            String t = w.strip().toLowerCase(Locale.ROOT);
            int colon = t.indexOf(':');
            if (colon >= 0) {
                int lo = port(t.substring(0, colon));
                int hi = port(t.substring(colon + 1));
                if (hi < lo || hi - lo >= 1024) {
                    throw new IllegalArgumentException("bad port range " + ConfigException.quote(w)
                            + " (low:high, at most 1024 ports; leave port unset for every port)");
                }
                for (int p = lo; p <= hi; p++) {
                    out.add(p);
                }
            } else {
                out.add(port(t));
            }
            if (out.size() > 1024) {
                throw new IllegalArgumentException("more than 1024 ports (leave port unset for every port)");
            }
        }
        return List.copyOf(out);
    }

    private static int port(String t) {
        Integer named = SERVICES.get(t);
        if (named != null) {
            return named;
        }
        try {
            int p = Integer.parseInt(t);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("unknown port " + ConfigException.quote(t) + " (1-65535 or one of "
                + new TreeSet<>(SERVICES.keySet()) + ")");
    }

    /** This host's own addresses, for {@code ignoreself} (fail2ban ignores its own IPs by default). */
    static List<Cidr> localAddresses() {
        List<Cidr> out = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (!a.isLinkLocalAddress()) {
                        out.add(Cidr.host(a));
                    }
                }
            }
        } catch (SocketException e) {
            // no interfaces readable: nothing to add
        }
        return out;
    }
}
