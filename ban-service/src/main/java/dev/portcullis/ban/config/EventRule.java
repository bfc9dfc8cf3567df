package dev.portcullis.ban.config;

import dev.portcullis.events.SessionEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One line of a jail's {@code match} key: which session events count as a failure. It is
 * Portcullis's stand-in for a fail2ban filter's {@code failregex}: the edges publish structured
 * events, so a jail matches fields instead of log text.
 *
 * <pre>
 * KIND [field=value[,value...]]...
 *
 * reject  code=554 enhanced=5.7.1            REJECT events (any restriction, or the next hop's reply)
 * reject  code=5xx check=reject_rbl_client   code: 554, 55x, 5xx; enhanced: 5.7.1, 5.7.*, 5.*
 * reject  stage=RCPT                         stage: CONNECT HELO MAIL RCPT DATA END-OF-MESSAGE
 * content                                    REJECT by a content table (check ends in _checks:
 *                                            header_checks, body_checks, ...), same fields as reject
 * error   [code=...] [command=...]           protocol errors (unknown command, bad syntax, ...)
 * limit   [name=smtpd_client_connection_rate_limit]   a limit was hit (LIMIT events)
 * ban     [jail=postfix,sasl]                bans issued by other jails (a recidive jail's input)
 * </pre>
 * Values are compared case-insensitively; a field may list alternatives separated by commas.
 * An unknown kind or field, or a malformed pattern, is a configuration error.
 */
public record EventRule(Kind kind, List<String> codes, List<String> enhanced, Set<String> checks,
                        Set<String> stages, Set<String> commands, Set<String> limits, Set<String> jails) {

    public enum Kind { REJECT, CONTENT, ERROR, LIMIT, BAN }

    private static final Set<String> STAGES = Set.of("CONNECT", "HELO", "EHLO", "MAIL", "RCPT", "DATA",
            "END-OF-MESSAGE", "BDAT", "VRFY", "ETRN", "AUTH");

    /** Parses one rule line. @throws IllegalArgumentException naming the problem */
    public static EventRule parse(String line) {
        String[] words = line.strip().split("\\s+");
        Kind kind;
        try {
            kind = Kind.valueOf(words[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown event kind " + ConfigException.quote(words[0])
                    + " (reject, content, error, limit, ban)");
        }
        List<String> codes = List.of();
        List<String> enhanced = List.of();
        Set<String> checks = Set.of();
        Set<String> stages = Set.of();
        Set<String> commands = Set.of();
        Set<String> limits = Set.of();
        Set<String> jails = Set.of();
        for (int i = 1; i < words.length; i++) {
            String w = words[i];
            int eq = w.indexOf('=');
            if (eq <= 0 || eq == w.length() - 1) {
                throw new IllegalArgumentException("expected field=value, got " + ConfigException.quote(w));
            }
            String field = w.substring(0, eq).toLowerCase(Locale.ROOT);
            List<String> values = new ArrayList<>();
            for (String v : w.substring(eq + 1).split(",")) {
                if (v.isBlank()) {
                    throw new IllegalArgumentException("empty alternative in " + ConfigException.quote(w));
                }
                values.add(v.strip());
            }
            boolean rejectLike = kind == Kind.REJECT || kind == Kind.CONTENT;
            switch (field) {
                case "code" -> {
                    require(rejectLike || kind == Kind.ERROR, kind, field);
                    values.forEach(EventRule::checkCodePattern);
                    codes = lower(values);
                }
                case "enhanced" -> {
                    require(rejectLike || kind == Kind.ERROR, kind, field);
                    values.forEach(EventRule::checkEnhancedPattern);
                    enhanced = lower(values);
                }
                case "check" -> {
                    require(rejectLike, kind, field);
                    checks = Set.copyOf(lower(values));
                }
                case "stage" -> {
                    require(rejectLike, kind, field);
                    for (String v : values) {
                        if (!STAGES.contains(v.toUpperCase(Locale.ROOT))) {
                            throw new IllegalArgumentException("unknown stage " + ConfigException.quote(v) + " " + STAGES);
                        }
                    }
                    stages = Set.copyOf(upper(values));
                }
                case "command" -> {
                    require(kind == Kind.ERROR, kind, field);
                    commands = Set.copyOf(upper(values));
                }
                case "name" -> {
                    require(kind == Kind.LIMIT, kind, field);
                    limits = Set.copyOf(lower(values));
                }
                case "jail" -> {
                    require(kind == Kind.BAN, kind, field);
                    jails = Set.copyOf(values);
                }
                default -> throw new IllegalArgumentException("unknown field " + ConfigException.quote(field)
                        + " for " + kind.name().toLowerCase(Locale.ROOT));
            }
        }
        return new EventRule(kind, codes, enhanced, checks, stages, commands, limits, jails);
    }

    private static void require(boolean ok, Kind kind, String field) {
        if (!ok) {
            throw new IllegalArgumentException("field \"" + field + "\" does not apply to "
                    + kind.name().toLowerCase(Locale.ROOT) + " events");
        }
    }

    private static List<String> lower(List<String> v) {
        return v.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    }

    private static List<String> upper(List<String> v) {
        return v.stream().map(s -> s.toUpperCase(Locale.ROOT)).toList();
    }

    private static void checkCodePattern(String p) {
        if (!p.toLowerCase(Locale.ROOT).matches("[245][0-9x][0-9x]")) {
            throw new IllegalArgumentException("bad SMTP code pattern " + ConfigException.quote(p)
                    + " (three digits, x for any: 554, 55x, 5xx)");
        }
    }

    private static void checkEnhancedPattern(String p) {
        if (!p.matches("[245]\\.(\\*|[0-9]{1,3})(\\.(\\*|[0-9]{1,3}))?")) {
            throw new IllegalArgumentException("bad enhanced status code pattern " + ConfigException.quote(p)
                    + " (5.7.1, 5.7.*, 5.*)");
        }
    }

    /** Whether this rule counts {@code event}. BAN rules never match a session event. */
    public boolean matches(SessionEvent event) {
        return switch (kind) {
            case REJECT -> event instanceof SessionEvent.Reject r && rejectMatches(r);
            case CONTENT -> event instanceof SessionEvent.Reject r && r.check() != null
                    && r.check().toLowerCase(Locale.ROOT).endsWith("_checks") && rejectMatches(r);
            case ERROR -> event instanceof SessionEvent.Error e && codeMatches(e.code())
                    && enhancedMatches(e.enhancedCode())
                    && (commands.isEmpty() || (e.command() != null && commands.contains(e.command().toUpperCase(Locale.ROOT))));
            case LIMIT -> event instanceof SessionEvent.Limit l
                    && (limits.isEmpty() || (l.limit() != null && limits.contains(l.limit().toLowerCase(Locale.ROOT))));
            case BAN -> false;
        };
    }

    /** Whether this (BAN) rule counts a ban by {@code jail}. */
    public boolean matchesBan(String jail) {
        return kind == Kind.BAN && (jails.isEmpty() || jails.contains(jail));
    }

    private boolean rejectMatches(SessionEvent.Reject r) {
        return codeMatches(r.code()) && enhancedMatches(r.enhancedCode())
                && (checks.isEmpty() || (r.check() != null && checks.contains(r.check().toLowerCase(Locale.ROOT))))
                && (stages.isEmpty() || (r.stage() != null && stages.contains(r.stage().toUpperCase(Locale.ROOT))));
    }

    private boolean codeMatches(int code) {
        if (codes.isEmpty()) {
            return true;
        }
        String c = Integer.toString(code);
        for (String p : codes) {
            if (c.length() == 3 && (p.charAt(0) == c.charAt(0)) && (p.charAt(1) == 'x' || p.charAt(1) == c.charAt(1))
                    && (p.charAt(2) == 'x' || p.charAt(2) == c.charAt(2))) {
                return true;
            }
        }
        return false;
    }

    /** A pattern of fewer than three parts matches as a prefix ({@code 5.7} = {@code 5.7.*}). */
    private boolean enhancedMatches(String code) {
        if (enhanced.isEmpty()) {
            return true;
        }
        if (code == null) {
            return false;
        }
        String[] got = code.strip().split("\\.");
        if (got.length != 3) {
            return false;
        }
        for (String p : enhanced) {
            String[] want = p.split("\\.");
            boolean ok = true;
            for (int i = 0; ok && i < want.length; i++) {
                ok = want[i].equals("*") || want[i].equals(got[i]);
            }
            if (ok) {
                return true;
            }
        }
        return false;
    }
}
