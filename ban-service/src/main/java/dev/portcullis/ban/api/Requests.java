package dev.portcullis.ban.api;

import dev.portcullis.api.ApiError;

import dev.portcullis.ban.config.Fail2banTime;
import dev.portcullis.events.Cidr;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Checks on API input; every refusal is an {@link ApiErrors.BadRequest} with the reason. */
final class Requests {

    private Requests() {
    }

    static Cidr cidr(String text, String field) {
        if (text == null || text.isBlank()) {
            throw new ApiErrors.BadRequest(field + " is required (an IP address or CIDR network)");
        }
        try {
            return Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ApiErrors.BadRequest("malformed " + field + ": " + e.getMessage());
        }
    }

    /** A ban length: fail2ban's time syntax, or permanent; null text = null (the default applies). */
    static Duration duration(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("permanent") || t.equals("never") || t.equals("forever")) {
            return Duration.ofSeconds(-1);
        }
        Duration d;
        try {
            d = Fail2banTime.parse(t);
        } catch (IllegalArgumentException e) {
            throw new ApiErrors.BadRequest("for: " + e.getMessage());
        }
        if (d.isNegative()) {
            throw new ApiErrors.BadRequest("for: negative duration " + ApiErrors.cut(text)
                    + " (use \"permanent\" for a ban that does not end)");
        }
        if (d.isZero()) {
            throw new ApiErrors.BadRequest("for: a ban must last longer than zero");
        }
        if (d.compareTo(Duration.ofDays(36_600)) > 0) {
            throw new ApiErrors.BadRequest("for: longer than 100 years (use \"permanent\")");
        }
        return d;
    }

    static String text(String text, String field, String fallback, int max) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        String t = text.strip();
        if (t.length() > max) {
            throw new ApiErrors.BadRequest(field + " is longer than " + max + " characters");
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new ApiErrors.BadRequest(field + " contains control characters");
            }
        }
        return t;
    }

    static String who(String by) {
        if (by == null || by.isBlank()) {
            return "api";
        }
        if (!by.matches("[A-Za-z0-9._@-]{1,64}")) {
            throw new ApiErrors.BadRequest("by: use letters, digits, '.', '_', '@' or '-' (at most 64)");
        }
        return by;
    }

    static List<Integer> ports(List<Integer> ports) {
        return ports(ports, "ports");
    }

    /** A list of TCP ports named {@code field} in the request: at most 1024, each 1-65535; sorted, no repeats. */
    static List<Integer> ports(List<Integer> ports, String field) {
        if (ports == null || ports.isEmpty()) {
            return List.of();
        }
        if (ports.size() > 1024) {
            throw new ApiErrors.BadRequest(field + ": at most 1024 (leave it out for every port)");
        }
        for (Integer p : ports) {
            if (p == null || p < 1 || p > 65535) {
                throw new ApiErrors.BadRequest(field + ": " + p + " is not a TCP port (1-65535)");
            }
        }
        return ports.stream().distinct().sorted().toList();
    }

    static int limit(Integer limit) {
        if (limit == null) {
            return 1000;
        }
        if (limit < 1 || limit > 1_000_000) {
            throw new ApiErrors.BadRequest("limit must be between 1 and 1000000");
        }
        return limit;
    }
}
