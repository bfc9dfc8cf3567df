package dev.portcullis.edge.cluster;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread for a consumer's housekeeping: a periodic sweep of what expired. A failing run is logged and the schedule goes on; {@link #close()} stops it.
 */
final class Background implements AutoCloseable {

    private final ScheduledExecutorService executor;

    private Background(String threadName) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts the thread and runs {@code sweep} every {@code interval}.
     *
     * @param setting the configuration key of {@code interval}, named when it is not positive
     */
    static Background sweeping(String threadName, String setting, Duration interval, Logger log, Runnable sweep) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalStateException(setting + " must be positive, not " + interval);
        }
        Background b = new Background(threadName);
        long ms = interval.toMillis();
        b.executor.scheduleWithFixedDelay(() -> {
            try {
                sweep.run();
            } catch (RuntimeException e) {
                log.warnf("%s failed: %s", threadName, e.toString());
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
        return b;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
