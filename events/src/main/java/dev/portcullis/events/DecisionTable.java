package dev.portcullis.events;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live {@link Decision}s an enforcement point holds: what {@link Topics#DECISIONS} says,
 * with the lookup every enforcement point needs — which decision decides for a client
 * connecting to a port.
 *
 * <p>Semantics: of the decisions in force whose network contains the client and whose ports
 * cover the port, an {@link Decision.Action#ALLOW} wins over any ban (fail2ban's
 * {@code ignoreip}); otherwise the ban of the longest prefix decides. A decision past its
 * {@code expires} no longer decides, whether or not its tombstone has arrived yet.
 *
 * <p>How: one concurrent hash map keyed by (family, prefix length, masked network), and a
 * count of entries per prefix length, so a lookup probes only the prefix lengths in use —
 * at most 33 (IPv4) or 129 (IPv6) hash lookups, usually a handful — and never locks: it is
 * safe to call from an event-loop thread while a consumer thread applies records. A whole
 * replay of 100,000 decisions is 100,000 map insertions.
 *
 * <p>Bounded: at most {@code maxEntries} networks. When full, expired entries are swept
 * first; a decision that still does not fit is not held and is counted
 * ({@link #overflowed()}), so an operator sees it in metrics instead of a silently missing
 * ban. Replacing or lifting a held network always works.
 */
public final class DecisionTable {

    private final int maxEntries;
    private final Map<Key, Decision> entries = new ConcurrentHashMap<>();
    private final AtomicIntegerArray perLengthV4 = new AtomicIntegerArray(33);
    private final AtomicIntegerArray perLengthV6 = new AtomicIntegerArray(129);
    private final AtomicLong overflowed = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();

    private final Clock clock;

    public DecisionTable(int maxEntries) {
        this(maxEntries, Clock.systemUTC());
    }

    /** With the clock that decides, when the table is full, what has expired. */
    public DecisionTable(int maxEntries, Clock clock) {
        this.clock = clock;
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, not " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    /** What a put did. */
    public enum Change { ADDED, REPLACED, OVERFLOWED }

    /**
     * Holds {@code decision} for its network, replacing what that network had.
     *
     * @throws IllegalArgumentException when {@link Decision#cidr()} is not a valid network
     */
    public synchronized Change put(Decision decision) {
        Cidr cidr = Cidr.parse(decision.cidr());
        Key key = Key.of(cidr);
        if (!entries.containsKey(key) && entries.size() >= maxEntries) {
            sweep(clock.instant());
            if (entries.size() >= maxEntries) {
                overflowed.incrementAndGet();
                return Change.OVERFLOWED;
            }
        }
        Decision before = entries.put(key, decision);
        if (before == null) {
            lengths(key).incrementAndGet(key.prefix);
            return Change.ADDED;
        }
        return Change.REPLACED;
    }

    /** Lifts the decision for {@code cidr} (a tombstone); whether one was held. */
    public synchronized boolean remove(String cidr) {
        Key key;
        try {
            key = Key.of(Cidr.parse(cidr));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return removeKey(key);
    }

    private boolean removeKey(Key key) {
        if (entries.remove(key) != null) {
            lengths(key).decrementAndGet(key.prefix);
            return true;
        }
        return false;
    }

    /** The decision held for exactly this network, if any (in force or not). */
    public Optional<Decision> get(String cidr) {
        return Optional.ofNullable(entries.get(Key.of(Cidr.parse(cidr))));
    }

    /**
     * The decision that decides for {@code client} connecting to {@code port} at {@code now}:
     * an allow covering it, else the most specific ban covering it, else empty.
     */
    public Optional<Decision> lookup(InetAddress client, int port, Instant now) {
        byte[] addr = client.getAddress();
        boolean v6 = !(client instanceof Inet4Address);
        AtomicIntegerArray lengths = v6 ? perLengthV6 : perLengthV4;
        Decision ban = null;
        for (int len = lengths.length() - 1; len >= 0; len--) {
            if (lengths.get(len) == 0) {
                continue;
            }
            Decision d = entries.get(Key.of(v6, Cidr.mask(addr, len), len));
            if (d == null || !d.activeAt(now) || !d.coversPort(port)) {
                continue;
            }
            if (d.action() == Decision.Action.ALLOW) {
                return Optional.of(d);
            }
            if (ban == null) {
                ban = d;
            }
        }
        return Optional.ofNullable(ban);
    }

    /** Whether {@code client} is banned from {@code port} at {@code now}. */
    public boolean banned(InetAddress client, int port, Instant now) {
        return lookup(client, port, now).map(d -> d.action() == Decision.Action.BAN).orElse(false);
    }

    /** Every decision held, in no particular order. */
    public List<Decision> snapshot() {
        return new ArrayList<>(entries.values());
    }

    public int size() {
        return entries.size();
    }

    /** Drops every decision expired at {@code now}; how many. */
    public synchronized int sweep(Instant now) {
        int n = 0;
        for (var e : entries.entrySet()) {
            if (!e.getValue().activeAt(now) && removeKey(e.getKey())) {
                n++;
            }
        }
        expired.addAndGet(n);
        return n;
    }

    /** Decisions not held because the table was full. */
    public long overflowed() {
        return overflowed.get();
    }

    /** Decisions dropped by {@link #sweep} because they had expired. */
    public long expired() {
        return expired.get();
    }

    private AtomicIntegerArray lengths(Key key) {
        return key.v6 ? perLengthV6 : perLengthV4;
    }

    /** The map key: family, prefix and the network's bits as two longs (IPv4 uses {@code lo}). */
    private record Key(boolean v6, long hi, long lo, int prefix) {
        static Key of(Cidr cidr) {
            return of(cidr.isIpv6(), cidr.networkBytes(), cidr.prefix());
        }

        static Key of(boolean v6, byte[] masked, int prefix) {
            if (!v6) {
                return new Key(false, 0, toLong(masked, 0, 4), prefix);
            }
            return new Key(true, toLong(masked, 0, 8), toLong(masked, 8, 8), prefix);
        }

        // Written out: a record's generated equals/hashCode go through invokedynamic, which
        // costs several times this before the JIT has inlined it (every lookup and every put).
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.lo == lo && k.hi == hi && k.prefix == prefix && k.v6 == v6;
        }

        @Override
        public int hashCode() {
            long h = hi * 0x9E3779B97F4A7C15L + lo;
            h = h * 31 + prefix * 2 + (v6 ? 1 : 0);
            return (int) (h ^ (h >>> 32));
        }

        private static long toLong(byte[] b, int off, int n) {
            long v = 0;
            for (int i = 0; i < n; i++) {
                v = (v << 8) | (b[off + i] & 0xff);
            }
            return v;
        }
    }
}
