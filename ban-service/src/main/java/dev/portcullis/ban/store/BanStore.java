package dev.portcullis.ban.store;

import dev.portcullis.ban.config.BanConfig;
import dev.portcullis.ban.engine.BanCore;
import dev.portcullis.ban.engine.BanHistory;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import dev.portcullis.events.UnreadableEventException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.infinispan.client.hotrod.RemoteCache;
import org.infinispan.client.hotrod.RemoteCacheManager;
import org.infinispan.commons.util.CloseableIterator;
import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Claims and ban histories in Infinispan (Hot Rod), so they survive a restart of the service and
 * can be read by anyone with access to the grid. Keys (cache {@code portcullis.ban.cache}):
 * <ul>
 *   <li>{@code c:<cidr>}: the claims on a network, as a first line with the time of the change
 *       (epoch millis) and then one {@link DecisionCodec} record per line; no claim left is an
 *       entry with only the time (a grid-side tombstone); an entry lives {@value #TOMBSTONE_DAYS} days
 *       past its last claim's expiry, so a restart can tell "lifted" from "never heard of";</li>
 *   <li>{@code h:<ip>}: a {@link BanHistory}, with a lifespan.</li>
 * </ul>
 * Writes of claims are asynchronous and in bulk (the decision is already on the topic); a failed
 * write is counted and reported to the caller, which retries it.
 */
@ApplicationScoped
public class BanStore implements BanCore.HistoryStore {

    private static final Logger LOG = Logger.getLogger(BanStore.class);
    static final int TOMBSTONE_DAYS = 30;
    private static final long TIMEOUT_MS = 5_000;

    /** The claims on one network as stored, with when they last changed. */
    public record Stored(String cidr, long updatedMillis, List<Decision> claims) {
    }

    @Inject
    RemoteCacheManager manager;
    @Inject
    BanConfig config;

    private volatile RemoteCache<String, byte[]> cache;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private volatile String lastFailure;
    private volatile boolean healthy;
    private volatile long lastFailureNanos = System.nanoTime() - BACKOFF_NANOS;
    /** After a failure, history reads fail fast for this long instead of waiting for a timeout each. */
    static final long BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    private RemoteCache<String, byte[]> cache() {
        RemoteCache<String, byte[]> c = cache;
        if (c == null) {
            synchronized (this) {
                if (cache == null) {
                    RemoteCache<String, byte[]> got = manager.getCache(config.cache());
                    if (got == null) {
                        throw new IllegalStateException("Infinispan has no cache named " + config.cache()
                                + " (portcullis.ban.cache); define it on the server (config/infinispan.xml)");
                    }
                    cache = got;
                }
                c = cache;
            }
        }
        return c;
    }

    static String claimsKey(String cidr) {
        return "c:" + cidr;
    }

    static String historyKey(String ip) {
        return "h:" + ip;
    }

    /**
     * Writes the claims of several networks in bulk (two calls at most: entries with a permanent
     * claim live for ever, the others as long as the longest of them needs); completes false if a
     * write failed. A network with no claim left is written as a grid-side tombstone.
     */
    public CompletableFuture<Boolean> saveAll(Map<String, List<Decision>> claims, long updatedMillis) {
        Map<String, byte[]> forever = new HashMap<>();
        Map<String, byte[]> expiring = new HashMap<>();
        long lifespan = 0;
        long now = System.currentTimeMillis();
        for (Map.Entry<String, List<Decision>> e : claims.entrySet()) {
            long l = lifespan(e.getValue(), now);
            byte[] v = encode(updatedMillis, e.getValue());
            if (l < 0) {
                forever.put(claimsKey(e.getKey()), v);
            } else {
                expiring.put(claimsKey(e.getKey()), v);
                lifespan = Math.max(lifespan, l);
            }
        }
        try {
            RemoteCache<String, byte[]> c = cache();
            CompletableFuture<Void> a = forever.isEmpty() ? CompletableFuture.completedFuture(null) : c.putAllAsync(forever);
            CompletableFuture<Void> b = expiring.isEmpty() ? CompletableFuture.completedFuture(null)
                    : c.putAllAsync(expiring, lifespan, TimeUnit.MILLISECONDS);
            return CompletableFuture.allOf(a, b).orTimeout(4 * TIMEOUT_MS, TimeUnit.MILLISECONDS).handle((v, e) -> {
                if (e != null) {
                    failed("writing the claims of " + claims.size() + " network(s)", e);
                    return false;
                }
                writes.addAndGet(claims.size());
                healthy = true;
                return true;
            });
        } catch (RuntimeException e) {
            failed("writing the claims of " + claims.size() + " network(s)", e);
            return CompletableFuture.completedFuture(false);
        }
    }

    /**
     * How long the grid keeps an entry: {@value #TOMBSTONE_DAYS} days past the last claim's expiry
     * (so a restart long after still knows it was lifted), for ever while a claim is permanent.
     */
    static long lifespan(Collection<Decision> claims, long nowMillis) {
        long last = nowMillis;
        for (Decision d : claims) {
            if (d.expires() == null) {
                return -1;
            }
            last = Math.max(last, d.expires().toEpochMilli());
        }
        return last - nowMillis + TimeUnit.DAYS.toMillis(TOMBSTONE_DAYS);
    }

    static byte[] encode(long updatedMillis, Collection<Decision> claims) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Long.toString(updatedMillis).getBytes(StandardCharsets.US_ASCII));
        for (Decision d : claims) {
            out.write('\n');
            out.writeBytes(DecisionCodec.encode(d));
        }
        return out.toByteArray();
    }

    /** Reads {@link #encode}'s form; unreadable claims are skipped and counted. Null if not readable at all. */
    Stored decode(String cidr, byte[] value) {
        String text = new String(value, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        long updated;
        try {
            updated = Long.parseLong(lines[0].trim());
        } catch (NumberFormatException e) {
            unreadable.incrementAndGet();
            return null;
        }
        List<Decision> claims = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            try {
                Decision d = DecisionCodec.decode(lines[i].getBytes(StandardCharsets.UTF_8));
                if (d.cidr().equals(cidr)) {
                    claims.add(d);
                } else {
                    unreadable.incrementAndGet();
                }
            } catch (UnreadableEventException e) {
                unreadable.incrementAndGet();
            }
        }
        return new Stored(cidr, updated, claims);
    }

    /** Every network's stored claims (tombstones included). Blocks; throws when the grid is away. */
    public Map<String, Stored> loadAll() {
        Map<String, Stored> out = new HashMap<>();
        try (CloseableIterator<Map.Entry<Object, Object>> it = cache().retrieveEntries(null, 10_000)) {
            while (it.hasNext()) {
                Map.Entry<Object, Object> e = it.next();
                if (e.getKey() instanceof String k && k.startsWith("c:") && e.getValue() instanceof byte[] v) {
                    Stored s = decode(k.substring(2), v);
                    if (s != null) {
                        out.put(s.cidr(), s);
                    }
                }
            }
        } catch (RuntimeException e) {
            failed("reading every claim", e);
            throw e;
        }
        healthy = true;
        return out;
    }

    @Override
    public BanHistory load(String ip) {
        long since = System.nanoTime() - lastFailureNanos;
        if (!healthy && since < BACKOFF_NANOS) {
            // the grid failed moments ago: do not hold the engine for a timeout on every ban
            throw new IllegalStateException("Infinispan unavailable (last failure " + since / 1_000_000 + " ms ago)");
        }
        try {
            byte[] v = cache().getAsync(historyKey(ip)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            healthy = true;
            return BanHistory.decode(v);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            failed("reading the ban history of " + ip, e);
            throw new IllegalStateException(e.toString(), e);
        }
    }

    @Override
    public void save(String ip, BanHistory history, Duration maxAge) {
        try {
            cache().putAsync(historyKey(ip), history.encode(), maxAge.toMillis(), TimeUnit.MILLISECONDS)
                    .orTimeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            failed("writing the ban history of " + ip, e);
                        } else {
                            healthy = true;
                        }
                    });
        } catch (RuntimeException e) {
            failed("writing the ban history of " + ip, e);
        }
    }

    /** Whether the grid answers now (a cheap read). */
    public boolean ping() {
        try {
            cache().getAsync("meta:ping").get(2_000, TimeUnit.MILLISECONDS);
            healthy = true;
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            failed("ping", e);
            return false;
        }
    }

    public boolean healthy() {
        return healthy;
    }

    public long failures() {
        return failures.get();
    }

    public long writes() {
        return writes.get();
    }

    public long unreadable() {
        return unreadable.get();
    }

    public String lastFailure() {
        return lastFailure;
    }

    private void failed(String what, Throwable e) {
        healthy = false;
        lastFailureNanos = System.nanoTime();
        lastFailure = what + ": " + e;
        if (failures.getAndIncrement() % 100 == 0) {
            LOG.warnf("Infinispan: %s failed: %s", what, e.toString());
        }
    }
}
