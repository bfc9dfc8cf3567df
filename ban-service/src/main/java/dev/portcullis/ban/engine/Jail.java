package dev.portcullis.ban.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.portcullis.ban.config.EventRule;
import dev.portcullis.ban.config.JailSpec;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.SessionEvent;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A jail at run time: its spec and its failure counts. The counts are bounded: at most
 * {@code maxTracked} addresses (the least recently failing are evicted first, and counted), each
 * forgotten {@code findtime} after its last failure, so a flood of forged addresses costs a
 * fixed amount of memory.
 */
public final class Jail {

    private final JailSpec spec;
    private final Cache<Cidr, Failures> failures;
    final AtomicLong matched = new AtomicLong();
    final AtomicLong ignored = new AtomicLong();
    final AtomicLong stale = new AtomicLong();
    final AtomicLong bans = new AtomicLong();
    final AtomicLong evicted = new AtomicLong();

    Jail(JailSpec spec, long maxTracked, Ticker ticker) {
        this.spec = spec;
        this.failures = Caffeine.newBuilder()
                .maximumSize(maxTracked)
                .expireAfterAccess(spec.findTime().toMillis(), TimeUnit.MILLISECONDS)
                .ticker(ticker)
                .executor(Runnable::run)
                .removalListener((Cidr k, Failures v, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evicted.incrementAndGet();
                    }
                })
                .build();
    }

    public JailSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    /** Whether {@code event} is a failure for this jail. */
    boolean matches(SessionEvent event) {
        for (EventRule r : spec.rules()) {
            if (r.matches(event)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a ban by {@code jail} is a failure for this (recidive) jail; never its own bans. */
    boolean matchesBan(String jail) {
        if (jail.equals(spec.name())) {
            return false;
        }
        for (EventRule r : spec.rules()) {
            if (r.matchesBan(jail)) {
                return true;
            }
        }
        return false;
    }

    boolean ignores(Cidr host) {
        for (Cidr c : spec.ignore()) {
            if (c.isIpv6() == host.isIpv6() && c.prefix() <= host.prefix()
                    && java.util.Arrays.equals(Cidr.of(address(host), c.prefix()).networkBytes(), c.networkBytes())) {
                return true;
            }
        }
        return false;
    }

    static java.net.InetAddress address(Cidr host) {
        try {
            return java.net.InetAddress.getByAddress(host.networkBytes());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts a failure at {@code atMillis}; true when it trips the jail (the count is then reset). */
    boolean fail(Cidr host, long atMillis) {
        matched.incrementAndGet();
        Failures f = failures.get(host, k -> new Failures(spec.maxRetry()));
        int n = f.add(atMillis, spec.findTime().toMillis());
        if (n >= spec.maxRetry()) {
            failures.invalidate(host);
            return true;
        }
        return false;
    }

    /** Forgets the failures of {@code host} (an unban). */
    void forget(Cidr host) {
        failures.invalidate(host);
    }

    /** Addresses with failures held now. */
    public long tracked() {
        failures.cleanUp();
        return failures.estimatedSize();
    }

    public Duration findTime() {
        return spec.findTime();
    }

    public long matchedCount() {
        return matched.get();
    }

    public long ignoredCount() {
        return ignored.get();
    }

    public long staleCount() {
        return stale.get();
    }

    public long banCount() {
        return bans.get();
    }

    public long evictedCount() {
        return evicted.get();
    }
}
