package dev.portcullis.reputation.counts;

import dev.portcullis.events.Verdict;

import java.util.Arrays;
import java.util.List;

/**
 * Everything the reputation service keeps about one subject - a client IP, or one
 * partition's share of a network - between events: windowed counters, the sessions it has
 * open on any edge, the errors it carries across reconnects, and the verdict last published
 * for it.
 *
 * <p>Open sessions are remembered by a 64-bit hash of edge id and session id with the time
 * they opened. A session whose edge died never sends its DISCONNECT, so sessions older than
 * the configured maximum age are forgotten; at most {@value #MAX_OPEN} are kept (the oldest
 * go first), which is far above any sane {@code smtpd_client_connection_count_limit}.
 *
 * <p>{@link #lastOffset} makes replays harmless: all events of one IP come from one Kafka
 * partition in order, so an event at or below the offset already applied is skipped when a
 * batch is delivered again after a crash or a rebalance.
 *
 * <p>Not thread-safe: the aggregator owns it.
 */
public final class ClientState {

    static final int MAX_OPEN = 1024;

    final WindowCounts[] windows;
    long[] openKeys = new long[0];
    long[] openSince = new long[0];
    int openCount;
    int carriedErrors;
    long lastErrorMillis;
    long lastSeenMillis;
    long lastOffset = -1;
    List<Verdict.Entry> verdict = List.of();

    public ClientState(int windowCount) {
        windows = new WindowCounts[windowCount];
        for (int i = 0; i < windowCount; i++) {
            windows[i] = new WindowCounts();
        }
    }

    public WindowCounts window(int i) {
        return windows[i];
    }

    public int windowCount() {
        return windows.length;
    }

    /** Whether the event at {@code offset} is new to this state (and if so, records it). */
    public boolean claim(long offset) {
        if (offset >= 0 && offset <= lastOffset) {
            return false;
        }
        if (offset >= 0) {
            lastOffset = offset;
        }
        return true;
    }

    public long lastOffset() {
        return lastOffset;
    }

    public void seen(long epochMillis) {
        lastSeenMillis = Math.max(lastSeenMillis, epochMillis);
    }

    public long lastSeenMillis() {
        return lastSeenMillis;
    }

    // ------------------------------------------------------------------ sessions

    public void sessionOpened(long key, long epochMillis) {
        for (int i = 0; i < openCount; i++) {
            if (openKeys[i] == key) {
                return;
            }
        }
        if (openCount == MAX_OPEN) {
            removeOpen(oldestOpen());
        }
        if (openCount == openKeys.length) {
            int capacity = Math.max(2, openCount * 2);
            openKeys = Arrays.copyOf(openKeys, capacity);
            openSince = Arrays.copyOf(openSince, capacity);
        }
        openKeys[openCount] = key;
        openSince[openCount++] = epochMillis;
    }

    public void sessionClosed(long key) {
        for (int i = 0; i < openCount; i++) {
            if (openKeys[i] == key) {
                removeOpen(i);
                return;
            }
        }
    }

    /** Forgets sessions opened before {@code cutoffMillis} (their edge is presumed gone). */
    public void expireSessions(long cutoffMillis) {
        for (int i = openCount - 1; i >= 0; i--) {
            if (openSince[i] < cutoffMillis) {
                removeOpen(i);
            }
        }
    }

    public int openSessions() {
        return openCount;
    }

    private int oldestOpen() {
        int oldest = 0;
        for (int i = 1; i < openCount; i++) {
            if (openSince[i] < openSince[oldest]) {
                oldest = i;
            }
        }
        return oldest;
    }

    private void removeOpen(int i) {
        openCount--;
        openKeys[i] = openKeys[openCount];
        openSince[i] = openSince[openCount];
    }

    // ------------------------------------------------------------------ carried errors

    public void error(long epochMillis) {
        carriedErrors++;
        lastErrorMillis = Math.max(lastErrorMillis, epochMillis);
    }

    /** A delivered message clears the error count, as in smtpd. */
    public void delivered() {
        carriedErrors = 0;
    }

    /** Errors since the last delivery, or 0 once {@code memoryMillis} passed without an error. */
    public int carriedErrors(long nowMillis, long memoryMillis) {
        return nowMillis - lastErrorMillis < memoryMillis ? carriedErrors : 0;
    }

    public long lastErrorMillis() {
        return lastErrorMillis;
    }

    // ------------------------------------------------------------------ verdict

    /** The verdict entries last published for this subject (possibly expired). */
    public List<Verdict.Entry> verdict() {
        return verdict;
    }

    public void verdict(List<Verdict.Entry> entries) {
        verdict = List.copyOf(entries);
    }

    /** Whether nothing in here matters any more at {@code nowMillis}. */
    public boolean isIdle() {
        for (WindowCounts w : windows) {
            if (!w.isEmpty()) {
                return false;
            }
        }
        return openCount == 0 && carriedErrors == 0 && verdict.isEmpty();
    }

    /** Adds another shard's counts (network totals are the sum of per-partition shards). */
    public void addCounts(ClientState other) {
        for (int i = 0; i < Math.min(windows.length, other.windows.length); i++) {
            windows[i].adoptAll(other.windows[i]);
        }
        for (int i = 0; i < other.openCount; i++) {
            sessionOpened(other.openKeys[i], other.openSince[i]);
        }
        carriedErrors += other.carriedErrors;
        lastErrorMillis = Math.max(lastErrorMillis, other.lastErrorMillis);
        lastSeenMillis = Math.max(lastSeenMillis, other.lastSeenMillis);
    }
}
