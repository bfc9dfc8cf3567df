package dev.portcullis.ban.config;

import dev.portcullis.events.Cidr;

import java.time.Duration;
import java.util.List;

/**
 * One jail as configured ({@link JailsConfig}): fail2ban's keys with fail2ban's meanings.
 *
 * @param name         the section name; decisions it makes have origin {@code jail:<name>}
 * @param rules        what counts as a failure ({@code match})
 * @param maxRetry     failures within {@code findTime} that trip the jail ({@code maxretry})
 * @param findTime     the window failures are counted in ({@code findtime})
 * @param banTime      the base ban length ({@code bantime}); negative = permanent
 * @param increment    {@code bantime.increment}: repeat offenders get longer bans
 * @param factor       {@code bantime.factor}
 * @param formula      {@code bantime.formula} (one of the two fail2ban ships)
 * @param multipliers  {@code bantime.multipliers}; when not empty they replace the formula
 * @param maxTime      {@code bantime.maxtime}, null = no cap
 * @param rndTime      {@code bantime.rndtime}, null = none
 * @param overallJails {@code bantime.overalljails}: count previous bans by every jail
 * @param ignore       {@code ignoreip} networks (and this host's addresses with {@code ignoreself})
 * @param ports        {@code port}: the TCP ports a ban covers; empty = every port
 * @param line         where the section starts, for messages
 */
public record JailSpec(String name, List<EventRule> rules, int maxRetry, Duration findTime, Duration banTime,
                       boolean increment, double factor, Formula formula, List<Integer> multipliers,
                       Duration maxTime, Duration rndTime, boolean overallJails, List<Cidr> ignore,
                       List<Integer> ports, int line) {

    public JailSpec {
        rules = List.copyOf(rules);
        multipliers = List.copyOf(multipliers);
        ignore = List.copyOf(ignore);
        ports = List.copyOf(ports);
    }

    /** The two formulas fail2ban's jail.conf offers; any other Python expression is refused. */
    public enum Formula {
        /** {@code ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor} (the default) */
        POWER_OF_TWO,
        /** {@code ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)} */
        EXPONENTIAL
    }

    /** A permanent ban ({@code bantime} negative, as fail2ban). */
    public boolean permanent() {
        return banTime.isNegative();
    }

    /** A jail whose input is other jails' bans (fail2ban's {@code recidive}). */
    public boolean countsBans() {
        return !rules.isEmpty() && rules.get(0).kind() == EventRule.Kind.BAN;
    }

    public String origin() {
        return "jail:" + name;
    }
}
