package dev.portcullis.reputation.store;

import dev.portcullis.reputation.config.ReputationSettings;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.infinispan.client.hotrod.RemoteCache;
import org.infinispan.client.hotrod.RemoteCacheManager;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counts in Infinispan, through the Hot Rod client: a distributed cache (two owners, so
 * the loss of one node loses nothing) holding each subject's encoded state with a lifespan,
 * so a client that goes quiet is forgotten by the grid without a sweeper.
 *
 * <p>Bulk operations only ({@code getAll}, {@code putAll}): the aggregator reads what a
 * batch needs and writes what it changed in one round trip each, so ingest does not pay a
 * remote call per event.
 *
 * <p>The cache must exist on the server (the launcher's {@code infinispan.xml}, the
 * Infinispan Operator's Cache resource, or the test cluster define it): the service does not
 * create caches, so that owners and expiry stay the operator's decision.
 */
@ApplicationScoped
public class StateStore {

    private static final Logger LOG = Logger.getLogger(StateStore.class);
    private static final long TIMEOUT_MS = 10_000;

    @Inject
    RemoteCacheManager manager;

    @Inject
    ReputationSettings settings;

    private volatile RemoteCache<String, byte[]> cache;
    private final AtomicLong failures = new AtomicLong();
    private volatile String lastFailure;
    private volatile boolean healthy;

    void onStart(@Observes StartupEvent ev) {
        cache(); // fail early in the log if the cache is missing, but do not stop: the grid may come later
    }

    private RemoteCache<String, byte[]> cache() {
        RemoteCache<String, byte[]> c = cache;
        if (c == null) {
            synchronized (this) {
                if (cache == null) {
                    try {
                        cache = manager.getCache(settings.cacheName());
                    } catch (RuntimeException e) {
                        failed("cannot reach Infinispan cache " + settings.cacheName(), e);
                        throw e;
                    }
                    if (cache == null) {
                        IllegalStateException e = new IllegalStateException("Infinispan has no cache named "
                                + settings.cacheName() + " (portcullis.reputation.cache); define it on the server");
                        failed(e.getMessage(), e);
                        throw e;
                    }
                }
                c = cache;
            }
        }
        return c;
    }

    /** Reads several subjects; absent ones are missing from the result. Blocks (not on an event loop). */
    public Map<String, byte[]> getAll(Set<String> keys) {
        if (keys.isEmpty()) {
            return Map.of();
        }
        return call(() -> cache().getAllAsync(keys));
    }

    /** Writes several subjects, each to expire {@code lifespan} from now. Blocks. */
    public void putAll(Map<String, byte[]> values, Duration lifespan) {
        if (values.isEmpty()) {
            return;
        }
        call(() -> cache().putAllAsync(values, lifespan.toMillis(), TimeUnit.MILLISECONDS));
    }

    /**
     * Writes several subjects without waiting: completes when the grid has them, or fails
     * with {@link StoreUnavailableException} (also after the same timeout as {@link #putAll}).
     */
    public CompletableFuture<Void> putAllAsync(Map<String, byte[]> values, Duration lifespan) {
        if (values.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> put;
        try {
            put = cache().putAllAsync(values, lifespan.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            failed("Infinispan operation failed", e);
            return CompletableFuture.failedFuture(new StoreUnavailableException(String.valueOf(e.getMessage()), e));
        }
        return put.orTimeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).handle((v, e) -> {
            if (e != null) {
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                failed("Infinispan operation failed", cause);
                throw new StoreUnavailableException(String.valueOf(cause.getMessage()), cause);
            }
            healthy = true;
            return null;
        });
    }

    /**
     * Non-blocking reads (the REST API, the aggregator's read ahead). A read that fails is tried
     * again, up to {@value #READ_ATTEMPTS} times {@value #READ_RETRY_MS} ms apart: when a grid node
     * dies, the Hot Rod client learns it from the failure and sends the next attempt to a
     * surviving owner, so a query right after the loss is answered instead of getting a 503.
     */
    public CompletableFuture<Map<String, byte[]>> getAllAsync(Set<String> keys) {
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        return reading(() -> cache().getAllAsync(keys), READ_ATTEMPTS);
    }

    public CompletableFuture<byte[]> getAsync(String key) {
        return reading(() -> cache().getAsync(key), READ_ATTEMPTS);
    }

    static final int READ_ATTEMPTS = 4;
    static final long READ_RETRY_MS = 250;

    <T> CompletableFuture<T> reading(java.util.function.Supplier<CompletableFuture<T>> op, int attempts) {
        CompletableFuture<T> attempt;
        try {
            attempt = op.get();
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        return attempt.handle((v, e) -> {
            if (e == null) {
                healthy = true;
                return CompletableFuture.completedFuture(v);
            }
            failed("read failed", e);
            if (attempts <= 1) {
                return CompletableFuture.<T>failedFuture(e);
            }
            return CompletableFuture.runAsync(() -> { },
                            CompletableFuture.delayedExecutor(READ_RETRY_MS, TimeUnit.MILLISECONDS))
                    .thenCompose(x -> reading(op, attempts - 1));
        }).thenCompose(f -> f);
    }

    /** Whether the last operation reached the grid. */
    public boolean healthy() {
        return healthy;
    }

    public long failures() {
        return failures.get();
    }

    public String lastFailure() {
        return lastFailure;
    }

    private <T> T call(java.util.function.Supplier<CompletableFuture<T>> op) {
        try {
            T result = op.get().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            healthy = true;
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted", e);
        } catch (Exception e) {
            failed("Infinispan operation failed", e);
            throw new StoreUnavailableException(String.valueOf(e.getMessage()), e);
        }
    }

    private void failed(String what, Throwable e) {
        healthy = false;
        lastFailure = what + ": " + e;
        if (failures.getAndIncrement() % 100 == 0) {
            LOG.warnf("%s: %s", what, e.toString());
        }
    }
}
