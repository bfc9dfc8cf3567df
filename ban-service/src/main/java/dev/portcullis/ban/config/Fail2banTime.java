package dev.portcullis.ban.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Time values as fail2ban writes them ({@code MyTime.str2seconds}): a number of seconds
 * ({@code 600}), or numbers with units, summed ({@code 10m}, {@code 1d}, {@code 1w},
 * {@code 1h 30m}, {@code 1d12h}, {@code 1h+30m}), with fail2ban's abbreviations:
 * {@code s sec second(s)}, {@code m mm min minute(s)}, {@code h hh hour(s)}, {@code d dd day(s)},
 * {@code w ww week(s)}, {@code mo mon month(s)} (a year / 12, 30.4375 days), {@code y yy year(s)}
 * (365.25 days), case-insensitive. A leading {@code -} negates the whole value ({@code bantime = -1}:
 * permanent).
 *
 * <p>Not supported (fail2ban evaluates the text as a Python expression): other arithmetic such
 * as {@code 1year-6mo} or {@code 2*1h}, and fractions. They are refused, never guessed.
 */
public final class Fail2banTime {

    private static final Pattern PART = Pattern.compile("(\\d{1,12})(?!\\d)\\s*([a-z]*)");

    private Fail2banTime() {
    }

    /** The duration {@code text} means. @throws IllegalArgumentException naming what is wrong */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty time value");
        }
        String t = text.strip().toLowerCase(Locale.ROOT);
        boolean negative = t.startsWith("-");
        if (negative) {
            t = t.substring(1).strip();
        }
        if (t.isEmpty() || t.length() > 64) {
            throw new IllegalArgumentException("bad time value " + ConfigException.quote(text));
        }
        Matcher m = PART.matcher(t);
        int at = 0;
        long seconds = 0;
        boolean any = false;
        while (at < t.length()) {
            while (at < t.length() && (t.charAt(at) == ' ' || t.charAt(at) == '\t' || (any && t.charAt(at) == '+'))) {
                at++;
            }
            if (at >= t.length()) {
                break;
            }
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("bad time value " + ConfigException.quote(text)
                        + " (use a number of seconds or numbers with s, m, h, d, w, mo, y: 10m, 1d, 1h 30m)");
            }
            long n = Long.parseLong(m.group(1));
            long unit = unitSeconds(m.group(2), text);
            try {
                seconds = Math.addExact(seconds, Math.multiplyExact(n, unit));
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("time value too large: " + ConfigException.quote(text));
            }
            any = true;
            at = m.end();
        }
        if (!any) {
            throw new IllegalArgumentException("bad time value " + ConfigException.quote(text));
        }
        return Duration.ofSeconds(negative ? -seconds : seconds);
    }

    private static long unitSeconds(String unit, String text) {
        return switch (unit) {
            case "", "s", "ss", "sec", "second", "seconds" -> 1;
            case "m", "mm", "mi", "min", "minute", "minutes" -> 60;
            case "h", "hh", "ho", "hou", "hour", "hours" -> 3600;
            case "d", "dd", "da", "day", "days" -> 86_400;
            case "w", "ww", "we", "wee", "week", "weeks" -> 7 * 86_400;
            case "mo", "mon", "month", "months" -> 2_629_800; // (365*3+366)/4/12 days
            case "y", "yy", "ye", "yea", "year", "years" -> 31_557_600; // 365.25 days
            default -> throw new IllegalArgumentException("unknown time unit \"" + unit + "\" in "
                    + ConfigException.quote(text) + " (s, m, h, d, w, mo, y)");
        };
    }

    /** fail2ban's short form for logs and the API: {@code 1w 3d}, {@code 10m}, {@code 59m 50s}. */
    public static String format(Duration d) {
        if (d == null) {
            return "permanent";
        }
        long s = d.toSeconds();
        if (s < 0) {
            return "permanent";
        }
        if (s == 0) {
            return "0s";
        }
        StringBuilder b = new StringBuilder();
        long[] units = {7 * 86_400, 86_400, 3600, 60, 1};
        String[] names = {"w", "d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (s >= units[i]) {
                if (b.length() > 0) {
                    b.append(' ');
                }
                b.append(s / units[i]).append(names[i]);
                s %= units[i];
            }
        }
        return b.toString();
    }
}
