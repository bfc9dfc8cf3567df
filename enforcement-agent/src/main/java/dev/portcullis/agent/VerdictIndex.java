package dev.portcullis.agent;

import dev.portcullis.events.Cidr;
import dev.portcullis.events.Verdict;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reputation verdicts the agent knows (from {@code portcullis.verdicts}), keyed by
 * subject network ({@link Cidr}; an IP is a /32 or /128), asked per client and limit.
 *
 * <p>A lookup probes only the prefix lengths in use (a count per length, as
 * {@link dev.portcullis.events.DecisionTable} does), most specific first, and returns the
 * first subject with an entry for the limit in force. Reads never lock; writes come from the
 * bus thread and the sweeper. Bounded: past {@code maxSubjects} a new subject is not held and
 * is counted.
 */
public final class VerdictIndex {

    private final int maxSubjects;
    private final ConcurrentHashMap<Cidr, Verdict> subjects = new ConcurrentHashMap<>();
    private final AtomicIntegerArray v4 = new AtomicIntegerArray(33);
    private final AtomicIntegerArray v6 = new AtomicIntegerArray(129);
    private final AtomicLong overflowed = new AtomicLong();

    public VerdictIndex(int maxSubjects) {
        if (maxSubjects < 1) {
            throw new IllegalArgumentException("must be at least 1");
        }
        this.maxSubjects = maxSubjects;
    }

    /** Applies one record: {@code verdict == null} is a tombstone. */
    public synchronized void apply(String subject, Verdict verdict) {
        Cidr key = Cidr.parse(subject);
        if (verdict == null) {
            if (subjects.remove(key) != null) {
                lengths(key).decrementAndGet(key.prefix());
            }
            return;
        }
        if (!subjects.containsKey(key) && subjects.size() >= maxSubjects) {
            overflowed.incrementAndGet();
            return;
        }
        if (subjects.put(key, verdict) == null) {
            lengths(key).incrementAndGet(key.prefix());
        }
    }

    /** The entry for {@code limit} in force for {@code client} at {@code now}, or null. */
    public Verdict.Entry find(InetAddress client, String limit, Instant now) {
        AtomicIntegerArray lengths = client.getAddress().length == 4 ? v4 : v6;
        for (int len = lengths.length() - 1; len >= 0; len--) {
            if (lengths.get(len) == 0) {
                continue;
            }
            Verdict v = subjects.get(Cidr.of(client, len));
            Verdict.Entry e = v == null ? null : v.active(limit, now);
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    /** Drops subjects with no entry in force at {@code now}; how many. */
    public synchronized int sweep(Instant now) {
        int n = 0;
        for (Iterator<Map.Entry<Cidr, Verdict>> it = subjects.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Cidr, Verdict> e = it.next();
            if (e.getValue().activeAt(now).isEmpty()) {
                it.remove();
                lengths(e.getKey()).decrementAndGet(e.getKey().prefix());
                n++;
            }
        }
        return n;
    }

    public int size() {
        return subjects.size();
    }

    public long overflowed() {
        return overflowed.get();
    }

    private AtomicIntegerArray lengths(Cidr c) {
        return c.isIpv6() ? v6 : v4;
    }
}
