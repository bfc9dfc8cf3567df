package dev.portcullis.ban.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.ban.config.EventRule;
import dev.portcullis.ban.config.Fail2banTime;
import dev.portcullis.ban.config.JailSpec;
import dev.portcullis.ban.engine.Jail;
import dev.portcullis.events.Decision;

import java.util.List;

/** What the API reads and writes. */
public final class Views {

    private Views() {
    }

    /**
     * A manual ban or allow. {@code for}: fail2ban's time syntax ({@code 1d}, {@code 3600},
     * {@code 1h 30m}) or {@code permanent}; default {@code portcullis.ban.manual-bantime}, or the
     * jail's bantime with {@code jail}. {@code jail}: ban as that jail would (its bantime with
     * increment, its ports, origin {@code jail:<name>}, counted for recidive).
     */
    public record BanRequest(String cidr, String action, @JsonProperty("for") String duration, String reason,
                             List<Integer> ports, String by, String jail, List<Integer> exceptPorts) {
    }

    public record BanResult(Decision claim, Decision decision) {
    }

    public record Lifted(String cidr, List<Decision> lifted, Decision decision) {
    }

    public record ClaimList(int total, List<Decision> claims) {
    }

    public record DecisionList(int total, List<Decision> decisions) {
    }

    public record Lookup(String ip, int port, boolean banned, Decision decision) {
    }

    public record JailView(String name, List<String> match, int maxretry, String findtime, String bantime,
                           boolean increment, double factor, List<Integer> multipliers, String maxtime,
                           String rndtime, boolean overalljails, List<String> ignoreip, List<Integer> ports,
                           long tracked, long failures, long ignored, long stale, long evicted, long bans,
                           long banned) {

        static JailView of(Jail j, long banned) {
            JailSpec s = j.spec();
            return new JailView(s.name(), s.rules().stream().map(Views::rule).toList(), s.maxRetry(),
                    Fail2banTime.format(s.findTime()), Fail2banTime.format(s.permanent() ? null : s.banTime()),
                    s.increment(), s.factor(), s.multipliers(),
                    s.maxTime() == null ? null : Fail2banTime.format(s.maxTime()),
                    s.rndTime() == null ? null : Fail2banTime.format(s.rndTime()), s.overallJails(),
                    s.ignore().stream().map(Object::toString).toList(), s.ports(), j.tracked(), j.matchedCount(),
                    j.ignoredCount(), j.staleCount(), j.evictedCount(), j.banCount(), banned);
        }
    }

    static String rule(EventRule r) {
        StringBuilder b = new StringBuilder(r.kind().name().toLowerCase(java.util.Locale.ROOT));
        field(b, "code", r.codes());
        field(b, "enhanced", r.enhanced());
        field(b, "check", r.checks());
        field(b, "stage", r.stages());
        field(b, "command", r.commands());
        field(b, "name", r.limits());
        field(b, "jail", r.jails());
        return b.toString();
    }

    private static void field(StringBuilder b, String name, java.util.Collection<String> values) {
        if (!values.isEmpty()) {
            b.append(' ').append(name).append('=').append(String.join(",", new java.util.TreeSet<>(values)));
        }
    }
}
