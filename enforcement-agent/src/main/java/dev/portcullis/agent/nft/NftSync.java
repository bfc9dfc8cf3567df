package dev.portcullis.agent.nft;

import dev.portcullis.agent.Daemons;
import dev.portcullis.agent.LiveSet;
import dev.portcullis.agent.Untrusted;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the agent's nftables table in step with the live decisions.
 *
 * <p>How: every change the bus brings only marks its network pending. A single thread wakes
 * every {@code batch-interval}, takes up to {@code max-batch} pending networks, compares what
 * the table should hold for each (from the {@link dev.portcullis.events.DecisionTable}) with
 * what it last put in the kernel, and applies the difference as one nft script: one
 * transaction per batch, however many networks changed. Nothing is applied before the
 * initial replay of the decisions is complete; then one full sync replaces the whole table
 * (so a ban lifted while the agent was away is gone, and until then the table of the last
 * run keeps enforcing). A failed batch is counted, logged with nft's own message, and
 * answered by a full sync at the next tick (every 5 s at most while failures go on): the
 * kernel is never left guessing.
 *
 * <p>Expiry is the kernel's: each element carries its decision's remaining time as its
 * timeout, so a ban ends on time even if the agent is gone. Decisions already expired are
 * not written.
 */
public final class NftSync implements LiveSet.Listener, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(NftSync.class);
    private static final Duration FAILURE_BACKOFF = Duration.ofSeconds(5);

    /** What the agent last put in the kernel for one network. */
    private record Applied(NftScript.SetId set, Instant expires) {
    }

    private final LiveSet live;
    private final NftScript script;
    private final NftCommand nft;
    private final Clock clock;
    private final Duration interval;
    private final int maxBatch;
    private final Set<String> pending = ConcurrentHashMap.newKeySet();
    private final Map<String, Applied> applied = new HashMap<>();
    private final Map<NftScript.Scope, Integer> scopeIds = new HashMap<>();
    private final Map<Integer, NftScript.Scope> scopes = new HashMap<>();
    private final TreeSet<NftScript.SetId> sets = new TreeSet<>();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong fullSyncs = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong changesApplied = new AtomicLong();
    private volatile boolean needFull = true;
    private volatile boolean replayed;
    private volatile boolean synced;
    private volatile long lastApplyNanos;
    private volatile String lastError;
    private volatile int elements;
    private long notBefore;
    private ScheduledExecutorService executor;

    public NftSync(LiveSet live, NftScript script, NftCommand nft, Duration interval, int maxBatch) {
        this.live = live;
        this.script = script;
        this.nft = nft;
        this.clock = live.clock();
        this.interval = interval;
        this.maxBatch = maxBatch;
        scopes.put(0, NftScript.Scope.EVERY_PORT);
        scopeIds.put(NftScript.Scope.EVERY_PORT, 0);
    }

    public synchronized void start() {
        executor = Daemons.every("portcullis-agent-nft", interval, this::tick);
    }

    @Override
    public void changed(String cidr) {
        pending.add(cidr);
    }

    @Override
    public void replayed() {
        replayed = true;
    }

    /** One round: a full sync when one is due, else the pending changes. Runs on the agent's nft thread. */
    void tick() {
        try {
            if (!replayed || System.nanoTime() - notBefore < 0) {
                return;
            }
            if (needFull) {
                fullSync();
            } else if (!pending.isEmpty()) {
                batch();
            }
        } catch (RuntimeException e) {
            failed("nft sync failed: " + e);
        }
    }

    /** Replaces the whole table with the live decisions. */
    void fullSync() {
        pending.clear(); // what changes from here on is applied by the next batch
        Instant now = clock.instant();
        Map<String, Applied> want = new HashMap<>();
        TreeMap<NftScript.SetId, List<NftScript.Element>> bySet = new TreeMap<>();
        NftScript.baseSets().forEach(s -> bySet.put(s, new ArrayList<>()));
        for (Decision d : live.decisions().snapshot()) {
            if (!d.activeAt(now)) {
                continue;
            }
            Cidr c = Cidr.parse(d.cidr());
            Applied a = desired(d, c, now);
            if (a != null) {
                String cidr = c.toString();
                want.put(cidr, a);
                bySet.computeIfAbsent(a.set, k -> new ArrayList<>()).add(element(cidr, a, now));
            }
        }
        long t0 = System.nanoTime();
        NftCommand.Result r = nft.apply(script.full(scopes, bySet));
        if (!r.ok()) {
            failed("full sync of table inet " + script.table() + " failed: " + r.output());
            return;
        }
        lastApplyNanos = System.nanoTime() - t0;
        applied.clear();
        applied.putAll(want);
        sets.clear();
        sets.addAll(bySet.keySet());
        elements = applied.size();
        fullSyncs.incrementAndGet();
        changesApplied.addAndGet(want.size());
        needFull = false;
        synced = true;
        lastError = null;
        LOG.infof("nft: table inet %s replaced with %d elements in %d ms", script.table(), want.size(),
                lastApplyNanos / 1_000_000);
    }

    /** Applies up to max-batch pending changes as one transaction. */
    void batch() {
        Instant now = clock.instant();
        dropExpired(now);
        List<String> taken = new ArrayList<>();
        for (Iterator<String> it = pending.iterator(); it.hasNext() && taken.size() < maxBatch; ) {
            taken.add(it.next());
            it.remove();
        }
        List<Map.Entry<NftScript.SetId, NftScript.Element>> removes = new ArrayList<>();
        List<Map.Entry<NftScript.SetId, NftScript.Element>> adds = new ArrayList<>();
        Map<String, Applied> next = new HashMap<>();
        List<NftScript.SetId> newSets = new ArrayList<>();
        for (String cidr : taken) {
            Optional<Decision> d = live.decisions().get(cidr);
            Applied want = d.map(x -> desired(x, Cidr.parse(x.cidr()), now)).orElse(null);
            Applied had = applied.get(cidr);
            if (java.util.Objects.equals(want, had)) {
                continue;
            }
            if (had != null) {
                removes.add(new AbstractMap.SimpleEntry<>(had.set, new NftScript.Element(cidr, null)));
            }
            if (want != null) {
                if (had == null || !had.set.equals(want.set)) {
                    // the kernel may still hold an expired element the agent has forgotten, and
                    // an add over it would be a no-op: clear the place first (add, delete, add)
                    removes.add(new AbstractMap.SimpleEntry<>(want.set, new NftScript.Element(cidr, null)));
                }
                adds.add(new AbstractMap.SimpleEntry<>(want.set, element(cidr, want, now)));
                if (!sets.contains(want.set) && !newSets.contains(want.set)) {
                    newSets.add(want.set);
                }
            }
            next.put(cidr, want);
        }
        if (next.isEmpty()) {
            return;
        }
        TreeSet<NftScript.SetId> allSets = new TreeSet<>(sets);
        allSets.addAll(newSets);
        String text = script.incremental(scopes, newSets, allSets, NftScript.bySet(removes), NftScript.bySet(adds));
        long t0 = System.nanoTime();
        NftCommand.Result r = nft.apply(text);
        if (!r.ok()) {
            failed("batch of " + next.size() + " changes failed: " + r.output());
            return;
        }
        lastApplyNanos = System.nanoTime() - t0;
        next.forEach((cidr, a) -> {
            if (a == null) {
                applied.remove(cidr);
            } else {
                applied.put(cidr, a);
            }
        });
        sets.addAll(newSets);
        elements = applied.size();
        batches.incrementAndGet();
        changesApplied.addAndGet(next.size());
        lastError = null;
    }

    /** The kernel has removed elements whose timeout passed; forget them too. */
    private void dropExpired(Instant now) {
        applied.values().removeIf(a -> a.expires != null && !now.isBefore(a.expires));
    }

    private Applied desired(Decision d, Cidr c, Instant now) {
        if (!d.activeAt(now)) {
            return null;
        }
        NftScript.Scope wanted = d.ports().isEmpty() ? new NftScript.Scope(d.exceptPorts(), true)
                : new NftScript.Scope(d.ports(), false);
        int scope = scopeIds.computeIfAbsent(wanted, p -> {
            int id = scopeIds.size();
            scopes.put(id, p);
            return id;
        });
        return new Applied(new NftScript.SetId(d.action() == Decision.Action.ALLOW, scope, c.isIpv6(), c.prefix()),
                d.expires());
    }

    private static NftScript.Element element(String cidr, Applied a, Instant now) {
        return new NftScript.Element(cidr, a.expires == null ? null : Duration.between(now, a.expires));
    }

    private void failed(String message) {
        long n = failures.incrementAndGet();
        lastError = Untrusted.printable(message, 500);
        needFull = true;
        notBefore = System.nanoTime() + FAILURE_BACKOFF.toNanos();
        LOG.errorf("nft: %s (%d failures so far; a full sync follows)", lastError, n);
    }

    /** Whether the first full sync after the replay has succeeded. */
    public boolean isSynced() {
        return synced;
    }

    /** Networks waiting for the next batch. */
    public int pending() {
        return pending.size();
    }

    public int elements() {
        return elements;
    }

    public long batches() {
        return batches.get();
    }

    public long fullSyncs() {
        return fullSyncs.get();
    }

    public long failures() {
        return failures.get();
    }

    public long changesApplied() {
        return changesApplied.get();
    }

    /** How long the last successful nft run took. */
    public Duration lastApply() {
        return Duration.ofNanos(lastApplyNanos);
    }

    public String lastError() {
        return lastError;
    }

    @Override
    public synchronized void close() {
        if (executor != null) {
            executor.shutdownNow();
            try {
                executor.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
