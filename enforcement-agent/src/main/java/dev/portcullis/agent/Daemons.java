package dev.portcullis.agent;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The agent's background rounds: one daemon thread each, running a task with a fixed delay. */
public final class Daemons {

    private Daemons() {
    }

    /** Runs {@code task} every {@code every} (after each run ends) on a daemon thread called {@code name}. */
    public static ScheduledExecutorService every(String name, Duration every, Runnable task) {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, every.toMillis());
        s.scheduleWithFixedDelay(task, ms, ms, TimeUnit.MILLISECONDS);
        return s;
    }
}
