package dev.portcullis.edge.cluster;

import dev.portcullis.events.Verdict;
import inet.ipaddr.AddressStringParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cluster-wide verdicts this edge knows, as read from {@code portcullis.verdicts}: one
 * {@link Verdict} per subject, where a subject is an IP address or a network in CIDR form.
 * An edge asks it, per client, whether a limit is in force for that address or for any
 * network that contains it.
 *
 * <p>How: every subject is a network (an IP is a /32 or /128) stored under a key of (family,
 * prefix length, masked address bits) in one concurrent map. The table also keeps, per
 * address family, the set of prefix lengths that hold at least one subject, as a small array
 * sorted most specific first. A lookup masks the client address once per prefix length in
 * use and does one map lookup for each: with IP verdicts and the usual /24 and /64 network
 * verdicts that is two or three hash lookups per check, no scan and no lock, cheap enough
 * for the event loop. Writes (the bus consumer, the sweeper) take a lock; reads never do.
 *
 * <p>Expiry: each {@link Verdict.Entry} has its own {@code until}; a lookup applies an entry
 * only while the clock is before it, whether or not a tombstone came (the contract in
 * {@link Verdict}). {@link #sweep()} removes subjects none of whose entries are still in
 * force, so memory follows the live verdicts, not the history of the topic.
 *
 * <p>Bounds: at most {@code maxSubjects} subjects. When a new subject would go past the cap,
 * expired subjects are swept first; if that is not enough, the subjects that would expire
 * soonest are evicted down to 90 % of the cap (so the costly selection runs once per tenth of
 * the cap, not per record) and counted in {@link #evicted()}. An evicted verdict is lost until
 * the reputation service renews it: the edge then falls back to its local limits for that
 * client, which is the floor it always keeps.
 *
 * <p>Thread-safe. Time comes from the {@link Clock} given, so tests move it by hand.
 */
public final class ClusterVerdicts {

    /** A verdict entry in force for a client, and the subject (IP or CIDR) it came from. */
    public record Match(String subject, Verdict.Entry entry) {
    }

    /** What {@link #apply} did with a record. */
    public enum Outcome {
        /** The subject now has this verdict. */
        STORED,
        /** A tombstone, or a verdict with nothing left in force: the subject has none now. */
        REMOVED
    }

    private static final int V4 = 4;
    private static final int V6 = 6;
    private static final int[] NONE = new int[0];

    /** Address text as Postfix's cidr tables take it: no ranges, masks, wildcards, zones or inet_aton forms. */
    private static final IPAddressStringParameters STRICT;

    static {
        IPAddressStringParameters.Builder b = new IPAddressStringParameters.Builder()
                .allowEmpty(false).allowAll(false).allowPrefix(false).allowMask(false).allowSingleSegment(false)
                .allowPrefixOnly(false).allowWildcardedSeparator(false)
                .setRangeOptions(AddressStringParameters.RangeParameters.NO_RANGE).allow_inet_aton(false);
        b.getIPv4AddressParametersBuilder().allowBinary(false).allowLeadingZeros(false);
        b.getIPv6AddressParametersBuilder().allowZone(false).allowBase85(false).allowBinary(false);
        STRICT = b.toParams();
    }

    private final Clock clock;
    private final int maxSubjects;
    private final ConcurrentHashMap<Key, Held> subjects = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    /** Subjects per prefix length, per family; guarded by {@link #writeLock}. */
    private final int[] v4Counts = new int[33];
    private final int[] v6Counts = new int[129];
    /** Prefix lengths in use, most specific first; replaced (never changed) under {@link #writeLock}. */
    private volatile int[] v4Prefixes = NONE;
    private volatile int[] v6Prefixes = NONE;
    private final AtomicLong evicted = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();

    public ClusterVerdicts(Clock clock, int maxSubjects) {
        if (maxSubjects < 1) {
            throw new IllegalArgumentException("portcullis.verdicts.max-subjects must be at least 1, not "
                    + maxSubjects);
        }
        this.clock = clock;
        this.maxSubjects = maxSubjects;
    }

    // ------------------------------------------------------------------ reading (event loop)

    /**
     * The entry for {@code limit} in force now for {@code client}: from a verdict on the
     * client's own address, else from the most specific network verdict that contains it.
     * Null when there is none. Never blocks.
     */
    public Match find(InetAddress client, String limit) {
        int[] v4 = v4Prefixes;
        int[] v6 = v6Prefixes;
        if (v4.length == 0 && v6.length == 0) {
            return null; // the common case: nothing to look at
        }
        Instant now = clock.instant();
        byte[] b = client.getAddress();
        if (b.length == 4) {
            long bits = v4Bits(b);
            for (int prefix : v4) {
                Match m = match(new Key(V4, prefix, 0, bits & v4Mask(prefix)), limit, now);
                if (m != null) {
                    return m;
                }
            }
            return null;
        }
        long hi = longAt(b, 0);
        long lo = longAt(b, 8);
        for (int prefix : v6) {
            Key k = prefix <= 64 ? new Key(V6, prefix, hi & mask64(prefix), 0)
                    : new Key(V6, prefix, hi, lo & mask64(prefix - 64));
            Match m = match(k, limit, now);
            if (m != null) {
                return m;
            }
        }
        return null;
    }

    private Match match(Key key, String limit, Instant now) {
        Held held = subjects.get(key);
        if (held == null) {
            return null;
        }
        Verdict.Entry e = held.verdict.active(limit, now);
        return e == null ? null : new Match(held.subject, e);
    }

    /** Subjects held (some may have expired since the last sweep). */
    public int size() {
        return subjects.size();
    }

    /** Subjects dropped to keep the table within its cap, since start. */
    public long evicted() {
        return evicted.get();
    }

    /** Subjects removed by {@link #sweep()} because nothing in them was in force any more, since start. */
    public long expired() {
        return expired.get();
    }

    public int maxSubjects() {
        return maxSubjects;
    }

    // ------------------------------------------------------------------ writing (bus consumer, sweeper)

    /**
     * Applies one record of the topic: {@code verdict == null} is a tombstone. {@code subject}
     * is the record key (an IP or CIDR in text form).
     *
     * @throws IllegalArgumentException when {@code subject} is not an IP address or network
     */
    public Outcome apply(String subject, Verdict verdict) {
        Key key = parse(subject);
        Instant now = clock.instant();
        Instant until = verdict == null ? null : lastUntil(verdict);
        synchronized (writeLock) {
            if (until == null || !now.isBefore(until)) {
                if (subjects.remove(key) != null) {
                    removed(key);
                }
                return Outcome.REMOVED;
            }
            Held held = new Held(subject, verdict, until);
            if (!subjects.containsKey(key) && subjects.size() >= maxSubjects) {
                makeRoom(now);
            }
            if (subjects.put(key, held) == null) {
                added(key);
            }
            return Outcome.STORED;
        }
    }

    /** Removes every subject with nothing in force any more; returns how many. */
    public int sweep() {
        Instant now = clock.instant();
        int removed = 0;
        synchronized (writeLock) {
            for (Iterator<Map.Entry<Key, Held>> it = subjects.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Key, Held> e = it.next();
                if (!now.isBefore(e.getValue().until)) {
                    it.remove();
                    removed(e.getKey());
                    removed++;
                }
            }
        }
        expired.addAndGet(removed);
        return removed;
    }

    /** Under {@link #writeLock}: sweep, then evict the soonest to expire down to 90 % of the cap. */
    private void makeRoom(Instant now) {
        sweep();
        if (subjects.size() < maxSubjects) {
            return;
        }
        int target = maxSubjects - Math.max(1, maxSubjects / 10);
        List<Map.Entry<Key, Held>> all = new ArrayList<>(subjects.entrySet());
        all.sort(Comparator.comparing(e -> e.getValue().until));
        int drop = all.size() - target;
        for (int i = 0; i < drop; i++) {
            Key k = all.get(i).getKey();
            if (subjects.remove(k) != null) {
                removed(k);
                evicted.incrementAndGet();
            }
        }
    }

    private static Instant lastUntil(Verdict verdict) {
        Instant last = null;
        for (Verdict.Entry e : verdict.limits()) {
            if (last == null || e.until().isAfter(last)) {
                last = e.until();
            }
        }
        return last;
    }

    private void added(Key k) {
        int[] counts = k.family == V4 ? v4Counts : v6Counts;
        if (counts[k.prefix]++ == 0) {
            republish(k.family);
        }
    }

    private void removed(Key k) {
        int[] counts = k.family == V4 ? v4Counts : v6Counts;
        if (--counts[k.prefix] == 0) {
            republish(k.family);
        }
    }

    private void republish(int family) {
        int[] counts = family == V4 ? v4Counts : v6Counts;
        int n = 0;
        for (int c : counts) {
            if (c > 0) {
                n++;
            }
        }
        int[] prefixes = new int[n];
        int i = 0;
        for (int p = counts.length - 1; p >= 0; p--) {
            if (counts[p] > 0) {
                prefixes[i++] = p;
            }
        }
        if (family == V4) {
            v4Prefixes = prefixes;
        } else {
            v6Prefixes = prefixes;
        }
    }

    // ------------------------------------------------------------------ subjects

    /**
     * An IP address ({@code 192.0.2.7}, {@code 2001:db8::1}) or a network ({@code 192.0.2.0/24},
     * {@code 2001:db8::/64}) as a key. Host bits under the prefix are ignored (masked off);
     * an IPv4-mapped IPv6 subject ({@code ::ffff:192.0.2.7}) means the IPv4 address, as the
     * edge sees such clients as IPv4.
     *
     * @throws IllegalArgumentException when it is neither
     */
    static Key parse(String subject) {
        if (subject == null || subject.isEmpty() || subject.length() > 64) {
            throw new IllegalArgumentException("not an IP address or CIDR network");
        }
        int slash = subject.indexOf('/');
        String text = slash < 0 ? subject : subject.substring(0, slash);
        IPAddress address = new IPAddressString(text, STRICT).getAddress();
        if (address == null || address.isMultiple()) {
            throw new IllegalArgumentException("not an IP address or CIDR network");
        }
        int bits = address.getBitCount();
        int prefix = bits;
        if (slash >= 0) {
            String p = subject.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("bad prefix length");
            }
            prefix = Integer.parseInt(p);
            if (prefix > bits) {
                throw new IllegalArgumentException("prefix length over " + bits);
            }
        }
        if (address.isIPv6() && address.toIPv6().isIPv4Mapped() && prefix >= 96) {
            address = address.toIPv6().getEmbeddedIPv4Address();
            prefix -= 96;
        }
        byte[] b = address.getBytes();
        if (b.length == 4) {
            return new Key(V4, prefix, 0, v4Bits(b) & v4Mask(prefix));
        }
        long hi = longAt(b, 0);
        long lo = longAt(b, 8);
        return prefix <= 64 ? new Key(V6, prefix, hi & mask64(prefix), 0)
                : new Key(V6, prefix, hi, lo & mask64(prefix - 64));
    }

    private static long v4Bits(byte[] b) {
        return ((b[0] & 0xffL) << 24) | ((b[1] & 0xffL) << 16) | ((b[2] & 0xffL) << 8) | (b[3] & 0xffL);
    }

    private static long v4Mask(int prefix) {
        return prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
    }

    /** The top {@code n} bits of a long set (n in 0..64). */
    private static long mask64(int n) {
        return n == 0 ? 0 : -1L << (64 - n);
    }

    private static long longAt(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = (v << 8) | (b[i] & 0xffL);
        }
        return v;
    }

    /**
     * A network: family, prefix length, and the address bits under the prefix (the rest zero).
     * Comparable, so that a map bin that collects many keys stays a balanced tree.
     */
    record Key(int family, int prefix, long hi, long lo) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Integer.compare(family, o.family);
            if (c == 0) {
                c = Integer.compare(prefix, o.prefix);
            }
            if (c == 0) {
                c = Long.compare(hi, o.hi);
            }
            return c != 0 ? c : Long.compare(lo, o.lo);
        }
    }

    /** One subject's verdict, with the text it came under and when its last entry ends. */
    private record Held(String subject, Verdict verdict, Instant until) {
    }
}
