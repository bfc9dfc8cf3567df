package dev.portcullis.agent;

import dev.portcullis.events.BusReader;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionCodec;
import dev.portcullis.events.DecisionTable;
import dev.portcullis.events.UnreadableEventException;
import dev.portcullis.events.Verdict;
import dev.portcullis.events.VerdictCodec;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live set the agent enforces: the decisions ({@link DecisionTable}) and the verdicts
 * ({@link VerdictIndex}) as read from the bus, and the enforcers told about every change.
 *
 * <p>A decision record's key must be its network in canonical form ({@link Cidr}); a record
 * whose key and {@code cidr} differ, or that cannot be read at all (not JSON, newer schema,
 * bad network, bad port), is skipped, counted and logged (the first and every thousandth),
 * never allowed to stop the reader: with compaction by key, storing it under another key
 * would let its tombstone miss it.
 */
public final class LiveSet {

    /** An enforcer: told which network changed (look it up in {@link #decisions()}) and when the replay is done. */
    public interface Listener {
        void changed(String cidr);

        void replayed();
    }

    private static final Logger LOG = Logger.getLogger(LiveSet.class);

    private final Clock clock;
    private final DecisionTable decisions;
    private final VerdictIndex verdicts;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong decisionsRead = new AtomicLong();
    private final AtomicLong verdictsRead = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private volatile boolean replayed;
    private volatile String lastUnreadable;

    public LiveSet(Clock clock, int maxDecisions, int maxVerdicts) {
        this.clock = clock;
        this.decisions = new DecisionTable(maxDecisions, clock);
        this.verdicts = new VerdictIndex(maxVerdicts);
    }

    public void addListener(Listener l) {
        listeners.add(l);
        if (replayed) {
            l.replayed();
        }
    }

    /**
     * What the bus reader feeds this set: the decisions topic, whose replay completes this set's
     * ({@link #replayed()}), and the verdicts topic unless it is null.
     */
    public List<BusReader.Subscription> subscriptions(String decisionsTopic, String verdictsTopic) {
        List<BusReader.Subscription> s = new ArrayList<>();
        s.add(new BusReader.Subscription(decisionsTopic, r -> decision(r.key(), r.value(), BusReader.where(r)),
                this::replayed));
        if (verdictsTopic != null) {
            s.add(new BusReader.Subscription(verdictsTopic, r -> verdict(r.key(), r.value(), BusReader.where(r)), null));
        }
        return s;
    }

    /** One decision record ({@code value == null}: a tombstone); {@code where} names it in a log. */
    public void decision(String key, byte[] value, String where) {
        // Counted once handled (applied or skipped), so whoever sees the count sees its effect.
        try {
            if (value == null) {
                if (key == null) {
                    throw new UnreadableEventException("a tombstone without a key");
                }
                String cidr = canonical(key);
                if (decisions.remove(cidr)) {
                    changed(cidr);
                }
                return;
            }
            Decision d = DecisionCodec.decode(value);
            String cidr = canonical(d.cidr());
            if (key != null && !canonical(key).equals(cidr)) {
                throw new UnreadableEventException("key " + Untrusted.printable(key, 50) + " is not the decision's network "
                        + cidr);
            }
            if (decisions.put(d) != DecisionTable.Change.OVERFLOWED) {
                changed(cidr);
            }
        } catch (UnreadableEventException e) {
            skipped(where, key, e.getMessage());
        } finally {
            decisionsRead.incrementAndGet();
        }
    }

    /** One verdict record ({@code value == null}: a tombstone). */
    public void verdict(String key, byte[] value, String where) {
        // Counted once handled (applied or skipped), so whoever sees the count sees its effect.
        try {
            if (value == null) {
                if (key == null) {
                    throw new UnreadableEventException("a tombstone without a key");
                }
                verdicts.apply(canonical(key), null);
                return;
            }
            Verdict v = VerdictCodec.decode(value);
            verdicts.apply(canonical(key != null ? key : v.subject()), v);
        } catch (UnreadableEventException e) {
            skipped(where, key, e.getMessage());
        } finally {
            verdictsRead.incrementAndGet();
        }
    }

    /** The initial replay of the decisions is complete: the enforcers are told. */
    public void replayed() {
        replayed = true;
        for (Listener l : listeners) {
            l.replayed();
        }
    }

    /** Drops expired decisions (telling the enforcers) and verdicts. */
    public void sweep() {
        var now = clock.instant();
        List<String> expired = decisions.snapshot().stream().filter(d -> !d.activeAt(now)).map(Decision::cidr).toList();
        decisions.sweep(now);
        for (String cidr : expired) {
            changed(Cidr.canonical(cidr));
        }
        verdicts.sweep(now);
    }

    private void changed(String cidr) {
        for (Listener l : listeners) {
            l.changed(cidr);
        }
    }

    private static String canonical(String text) throws UnreadableEventException {
        try {
            return Cidr.canonical(text);
        } catch (IllegalArgumentException e) {
            throw new UnreadableEventException(e.getMessage());
        }
    }

    private void skipped(String where, String key, String reason) {
        long n = unreadable.incrementAndGet();
        String what = where + " key " + Untrusted.printable(key, 60) + ": " + Untrusted.printable(reason, 200);
        lastUnreadable = what;
        if (n == 1 || n % 1000 == 0) {
            LOG.warnf("skipping unreadable record %s (%d skipped so far)", what, n);
        }
    }

    public DecisionTable decisions() {
        return decisions;
    }

    public VerdictIndex verdicts() {
        return verdicts;
    }

    public Clock clock() {
        return clock;
    }

    public boolean isReplayed() {
        return replayed;
    }

    public long decisionsRead() {
        return decisionsRead.get();
    }

    public long verdictsRead() {
        return verdictsRead.get();
    }

    public long unreadable() {
        return unreadable.get();
    }

    public String lastUnreadable() {
        return lastUnreadable;
    }
}
