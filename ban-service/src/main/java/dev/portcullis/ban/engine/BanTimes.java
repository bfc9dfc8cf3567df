package dev.portcullis.ban.engine;

import dev.portcullis.ban.config.JailSpec;

import java.time.Duration;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * How long a jail's ban lasts, as fail2ban's {@code Jail.setBanTimeExtra} and
 * {@code ObserverThread.incrBanTime} compute it. {@code count} is how many times the address was
 * banned before (by this jail, or by every jail with {@code bantime.overalljails}).
 *
 * <ul>
 *   <li>{@code bantime} negative: permanent, whatever else is set (fail2ban increments only positive times);</li>
 *   <li>no {@code bantime.increment}, or a first offence ({@code count == 0}): {@code bantime};</li>
 *   <li>with {@code bantime.multipliers}: {@code bantime * factor * multipliers[min(count, n-1)]};</li>
 *   <li>else the formula: {@code max(bantime, bantime * 2^min(count,20) * factor)}, or the exponential
 *       one, {@code max(bantime, bantime * e^((count+1)*factor) / e^factor)};</li>
 *   <li>then {@code min(..., bantime.maxtime)}, then {@code + random() * bantime.rndtime} (both only on
 *       the increment path, as in fail2ban).</li>
 * </ul>
 */
public final class BanTimes {

    private BanTimes() {
    }

    /** The ban length, or null for a permanent ban. {@code random} returns values in [0, 1). */
    public static Duration of(JailSpec jail, int count, DoubleSupplier random) {
        if (jail.permanent()) {
            return null;
        }
        long base = jail.banTime().toSeconds();
        if (!jail.increment() || count <= 0) {
            return jail.banTime();
        }
        double t;
        List<Integer> m = jail.multipliers();
        if (!m.isEmpty()) {
            t = base * jail.factor() * m.get(Math.min(count, m.size() - 1));
        } else if (jail.formula() == JailSpec.Formula.EXPONENTIAL) {
            t = Math.max(base, base * Math.exp((count + 1) * jail.factor()) / Math.exp(jail.factor()));
        } else {
            t = Math.max(base, base * (double) (1L << Math.min(count, 20)) * jail.factor());
        }
        if (jail.maxTime() != null) {
            t = Math.min(t, jail.maxTime().toSeconds());
        }
        if (jail.rndTime() != null) {
            t += random.getAsDouble() * jail.rndTime().toSeconds();
        }
        // cap far beyond any sensible ban so Instant arithmetic cannot overflow
        t = Math.min(t, 100L * 366 * 86_400);
        return Duration.ofMillis(Math.round(t * 1000));
    }
}
