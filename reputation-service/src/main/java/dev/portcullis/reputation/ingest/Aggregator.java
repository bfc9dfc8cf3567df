package dev.portcullis.reputation.ingest;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.portcullis.events.EventCodec;
import dev.portcullis.events.SessionEvent;
import dev.portcullis.events.UnreadableEventException;
import dev.portcullis.events.Verdict;
import dev.portcullis.reputation.Subjects;
import dev.portcullis.reputation.config.ReputationSettings;
import dev.portcullis.reputation.counts.ClientState;
import dev.portcullis.reputation.counts.ClientStateCodec;
import dev.portcullis.reputation.counts.EventCounting;
import dev.portcullis.reputation.counts.Offenders;
import dev.portcullis.reputation.store.StateStore;
import dev.portcullis.reputation.store.StoreUnavailableException;
import dev.portcullis.reputation.verdict.VerdictPublisher;
import dev.portcullis.reputation.verdict.VerdictRules;
import inet.ipaddr.IPAddress;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The heart of the service: turns batches of session events into counts, verdicts and
 * writes to Infinispan.
 *
 * <p>How: states live on one thread of their own ({@code reputation-aggregator}), so they
 * need no locks and the Kafka and HTTP threads never wait on it. A batch goes through two
 * stages, each a single thread, so batches stay in the order Kafka delivered them:
 * <ol>
 *   <li>{@code reputation-decoder} decodes every record (unreadable ones are skipped and
 *       counted) and resolves its client address, its network and whether it is in
 *       {@code smtpd_client_event_limit_exceptions} - once per distinct address in the batch;</li>
 *   <li>the aggregator reads the states the batch needs and this instance does not hold yet
 *       in one {@code getAll}, applies the events in memory, decides verdicts for every
 *       subject touched and sends them at once (before the write, so an edge hears of a
 *       crossed limit without waiting for the grid), then writes every changed state in one
 *       {@code putAll}.</li>
 * </ol>
 * The write is not waited for: the next batch is applied while the grid stores the last one,
 * its write chained behind, and writes stay in order (see {@link #write}). A batch is
 * acknowledged only when its own write is done, so Kafka offsets never get ahead of the grid.
 * Meanwhile the next batch is taken and decoded: at most one batch decoding, one waiting or
 * being applied and two being written ({@link #submit}), which bounds memory and keeps the
 * consumer's backpressure.
 *
 * <p>Ownership: events are keyed by client IP, so every event of one IP comes from one
 * partition, and the consumer group gives each partition to one instance. The states held
 * here are a cache of the grid for the partitions this instance owns; a rebalance drops
 * them all (they were written before the batch was acknowledged) and the new owner reads
 * them back - counts are handed over, not reset. A network's addresses spread over every
 * partition, so network counts are kept per partition ({@code net:<cidr>#<p>}) and summed
 * when read; each shard has one writer too.
 *
 * <p>Replays (a batch delivered again after a crash or rebalance) are harmless: each state
 * remembers the offset of the last event it applied (see {@link ClientState#claim}).
 *
 * <p>When the grid is away the batch is retried with backoff and the consumer waits:
 * events stay in Kafka, nothing is dropped, and edges keep enforcing their local limits.
 */
@ApplicationScoped
public class Aggregator {

    private static final Logger LOG = Logger.getLogger(Aggregator.class);
    private static final int FALLBACK_PARTITIONS = 64;

    @Inject
    ReputationSettings settings;
    @Inject
    ClientStateCodec codec;
    @Inject
    StateStore store;
    @Inject
    VerdictPublisher publisher;
    @Inject
    Clock clock;

    private ScheduledExecutorService thread;
    private ExecutorService decoder;
    /**
     * Hands each write to the Hot Rod client, which marshals and splits it per server on the
     * calling thread (a seventh of the aggregator's samples when it called it itself).
     */
    private ExecutorService writer;
    /** Threads that decode parts of a batch beside the decoder: one fewer than the cores, at most three. */
    private ExecutorService decodeHelpers;
    private int decodeParts;
    /** Below this a batch is decoded in one piece: handing parts over would cost more than it saves. */
    private static final int MIN_PART = 200;
    /**
     * The last two batches submitted, newest first: each completes when that batch has been
     * applied (its write may still be waiting). Only {@link #submit} moves them (one caller at a time).
     */
    private volatile CompletableFuture<Void> lastApplied = CompletableFuture.completedFuture(null);
    private volatile CompletableFuture<Void> appliedBeforeLast = CompletableFuture.completedFuture(null);
    /**
     * Moves on at every hand-over, so a read of the grid started before one (see {@link Prefetch})
     * is never taken for the state after it.
     */
    private volatile long epoch;
    /**
     * Whether a state was dropped from memory to keep within {@code max-tracked} since the last
     * hand-over. Until then no state this instance changed is ever missing from memory (a state
     * in use is not idle long enough to expire), so a read of the grid for a state not in memory
     * cannot miss a change of ours that is still on its way to the grid, and may be made ahead.
     */
    private volatile boolean evictedForSize;
    private EventCounting counting;
    private VerdictRules rules;
    private Cache<String, ClientState> states;
    /** Subjects with a verdict published by this instance: subject to the key of its state. */
    private final Map<String, String> live = new HashMap<>();
    /** Per partition, the IPs to rank at the next offender update: the last candidates and those touched since. */
    private final Map<Integer, Set<String>> ranked = new HashMap<>();
    private final Set<Integer> rankedChanged = new HashSet<>();
    private volatile int partitions;
    private volatile boolean stopping;

    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong unreadable = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong storeRetries = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong prefetched = new AtomicLong();
    private volatile long lastBatchMillis;

    /** Built when first used (the Kafka connector may hand over partitions before start-up events run). */
    @PostConstruct
    void init() {
        counting = new EventCounting(settings.windows());
        rules = new VerdictRules(settings);
        states = Caffeine.newBuilder()
                .maximumSize(settings.maxTracked())
                .expireAfterAccess(lifespan())
                .executor(Runnable::run)
                .evictionListener((String k, ClientState v, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictedForSize = true;
                    }
                })
                .build();
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reputation-aggregator");
            t.setDaemon(true);
            return t;
        });
        thread.scheduleWithFixedDelay(this::sweepSafely, 1, 1, TimeUnit.SECONDS);
        decoder = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "reputation-decoder");
            t.setDaemon(true);
            return t;
        });
        writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "reputation-writer");
            t.setDaemon(true);
            return t;
        });
        decodeParts = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        if (decodeParts > 1) {
            AtomicLong n = new AtomicLong();
            decodeHelpers = Executors.newFixedThreadPool(decodeParts - 1, r -> {
                Thread t = new Thread(r, "reputation-decoder-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        stopping = true;
        if (decoder != null) {
            decoder.shutdown();
        }
        if (decodeHelpers != null) {
            decodeHelpers.shutdown();
        }
        if (writer != null) {
            writer.shutdown();
        }
        if (thread != null) {
            thread.shutdown();
            try {
                thread.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A batch handed over: {@code accepted} completes once it is decoded and queued behind the
     * batch before it and the batch before that has been applied (the caller may then hand over
     * the next one); {@code written} once this batch's states are in the grid (then, and only
     * then, may its offsets be committed).
     */
    public record Submission(CompletionStage<Void> accepted, CompletionStage<Void> written) {
    }

    /** Decodes a batch, then processes it on the aggregator thread. Call for one batch at a time, in order. */
    public Submission submit(List<ConsumerRecord<String, byte[]>> records) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        CompletableFuture<Void> applied = new CompletableFuture<>();
        CompletableFuture<Void> gate = appliedBeforeLast; // batch N may be taken while N-1 and N-2 wait to be applied
        appliedBeforeLast = lastApplied;
        lastApplied = applied;
        CompletableFuture<Void> queued;
        try {
            queued = CompletableFuture.runAsync(() -> {
                List<Item> items = decode(records);
                Prefetch ahead = prefetch(items);
                thread.execute(() -> {
                    try {
                        process(items, ahead, written);
                    } catch (Throwable e) {
                        written.completeExceptionally(e);
                    } finally {
                        applied.complete(null);
                    }
                });
            }, decoder);
        } catch (RejectedExecutionException e) {
            queued = CompletableFuture.failedFuture(e);
        }
        queued.whenComplete((v, e) -> {
            if (e != null) {
                written.completeExceptionally(e); // not decoded or not queued (shutting down): never acknowledged
                applied.complete(null);
            }
        });
        return new Submission(queued.thenCombine(gate, (a, b) -> null), written);
    }

    /**
     * A read of the grid started on the decoder thread for the states a batch needs that were not
     * in memory then, so the aggregator finds them read when it applies the batch instead of
     * waiting a round trip for them. Used only if no hand-over came between (see {@link #epoch})
     * and memory never overflowed (see {@link #evictedForSize}); else the aggregator reads again.
     */
    private record Prefetch(long epoch, Set<String> keys, CompletableFuture<Map<String, byte[]>> values) {
    }

    private Prefetch prefetch(List<Item> items) {
        if (evictedForSize) {
            return null;
        }
        long at = epoch;
        Set<String> keys = new HashSet<>();
        for (Item item : items) {
            if (states.getIfPresent(item.ipKey) == null) {
                keys.add(item.ipKey);
            }
            if (states.getIfPresent(item.shardKey) == null) {
                keys.add(item.shardKey);
            }
        }
        if (keys.isEmpty()) {
            return null;
        }
        return new Prefetch(at, keys, store.getAllAsync(keys));
    }

    /** Runs {@code task} on the aggregator thread after every batch submitted so far. */
    private CompletableFuture<Void> afterSubmitted(Runnable task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        decoder.execute(() -> {
            try {
                thread.execute(() -> {
                    try {
                        task.run();
                        done.complete(null);
                    } catch (Throwable e) {
                        done.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /**
     * Partitions moved: forget every state held (the new owners read them from the grid)
     * and the verdicts this instance was keeping alive. Waits for the batches submitted
     * before (decoded or not), so none of them is applied after the hand-over.
     */
    public void rebalanced(int partitionCount) {
        if (partitionCount > 0) {
            partitions = partitionCount;
        }
        CompletableFuture<Void> done;
        try {
            done = afterSubmitted(this::handOver);
        } catch (RejectedExecutionException e) {
            return; // shutting down: the consumer gives its partitions back, nothing to hand over
        }
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            LOG.debugf("rebalance bookkeeping failed: %s", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException e) {
            LOG.warnf("rebalance bookkeeping did not finish in 30 s (the grid is slow or away)");
        }
    }

    private void handOver() {
        try {
            drainAll(); // the new owner must find this instance's last write in the grid
        } catch (StoreUnavailableException e) {
            LOG.debugf("last write not completed before the hand-over (stopping): %s", e.getMessage());
        }
        states.invalidateAll();
        unwritten.clear(); // empty unless the grid failed while stopping: then replayed at the next start
        unwrittenBatches.forEach(w -> w.completeExceptionally(new StoreUnavailableException("stopped before written", null)));
        unwrittenBatches.clear();
        evictedForSize = false;
        epoch++; // reads of the grid made ahead before now may predate the new owner's writes
        live.clear();
        ranked.clear();
        if (partitions > 0) {
            try {
                store.putAll(Map.of(Subjects.META_PARTITIONS, Integer.toString(partitions).getBytes(
                        java.nio.charset.StandardCharsets.US_ASCII)), Duration.ofDays(3650));
            } catch (StoreUnavailableException e) {
                LOG.debugf("partition count not stored: %s", e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ batch

    /** A decoded event: {@code eventMillis} is its time, brought to the present when applied. */
    private record Item(SessionEvent event, int partition, long offset, String ip, String ipKey, String network, String shardKey,
                        long eventMillis, boolean exempt) {

        long atMillis(long now) {
            return Math.min(eventMillis, now);
        }
    }

    /**
     * A client address resolved once per batch part: what {@link Subjects#client} says, whether it
     * is exempt, and its grid keys, so an address seen many times in a batch costs one lookup,
     * not a parse and two string concatenations per event. The shard key is kept for the
     * partition it was made for (records are keyed by client IP, so it is nearly always the
     * same one; a different partition gets its own key).
     */
    private static final class Resolved {
        static final Resolved NOT_AN_ADDRESS = new Resolved(null, false);

        final Subjects.Client client;
        final boolean exempt;
        final String ipKey;
        private int shardPartition = -1;
        private String shardKey;

        Resolved(Subjects.Client client, boolean exempt) {
            this.client = client;
            this.exempt = exempt;
            this.ipKey = client == null ? null : Subjects.ipKey(client.ip());
        }

        String shardKey(int partition) {
            if (partition != shardPartition) {
                shardKey = Subjects.shardKey(client.network(), partition);
                shardPartition = partition;
            }
            return shardKey;
        }
    }

    /**
     * Stage one, on the decoder thread: touches no state, only the settings and the counters.
     * A large batch is cut into consecutive parts decoded at once, by this thread and the
     * helpers, and put back together in order.
     */
    List<Item> decode(List<ConsumerRecord<String, byte[]>> records) {
        int parts = decodeHelpers == null ? 1 : Math.min(decodeParts, records.size() / MIN_PART);
        if (parts <= 1) {
            return decodePart(records);
        }
        int size = (records.size() + parts - 1) / parts;
        List<CompletableFuture<List<Item>>> others = new java.util.ArrayList<>(parts - 1);
        try {
            for (int i = 1; i < parts; i++) {
                List<ConsumerRecord<String, byte[]>> part = records.subList(i * size, Math.min(records.size(), (i + 1) * size));
                others.add(CompletableFuture.supplyAsync(() -> decodePart(part), decodeHelpers));
            }
        } catch (RejectedExecutionException e) {
            // shutting down: what was handed over finishes, the rest is decoded here
            List<Item> items = new java.util.ArrayList<>(decodePart(records.subList(0, size)));
            for (CompletableFuture<List<Item>> f : others) {
                items.addAll(f.join());
            }
            items.addAll(decodePart(records.subList(Math.min(records.size(), (others.size() + 1) * size), records.size())));
            return items;
        }
        List<Item> items = new java.util.ArrayList<>(records.size());
        items.addAll(decodePart(records.subList(0, size)));
        for (CompletableFuture<List<Item>> f : others) {
            items.addAll(f.join());
        }
        return items;
    }

    private List<Item> decodePart(List<ConsumerRecord<String, byte[]>> records) {
        List<Item> items = new java.util.ArrayList<>(records.size());
        Map<String, Resolved> addresses = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            Item item = item(record, addresses);
            if (item != null) {
                items.add(item);
            }
        }
        return items;
    }

    /** Stage two, on the aggregator thread: {@code written} completes when the batch's states are in the grid. */
    void process(List<Item> items, Prefetch ahead, CompletableFuture<Void> written) {
        long now = clock.millis();
        Map<String, ClientState> batch = new HashMap<>();
        Set<String> missing = new HashSet<>();
        for (Item item : items) {
            for (String key : new String[]{item.ipKey, item.shardKey}) {
                if (!batch.containsKey(key)) {
                    ClientState held = held(key);
                    if (held != null) {
                        batch.put(key, held);
                    } else {
                        missing.add(key);
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            Map<String, byte[]> loaded = read(missing, ahead);
            for (String key : missing) {
                ClientState s = codec.decode(newest(key, loaded));
                batch.put(key, s);
                states.put(key, s);
            }
        }
        Map<String, ClientState> dirty = new HashMap<>();
        Map<String, Item> touched = new LinkedHashMap<>();
        for (Item item : items) {
            try {
                count(item, batch, dirty, touched, now);
            } catch (RuntimeException e) {
                // A bug must not stop ingest for good (a poison batch would come back after
                // every restart): the event is skipped and counted, the rest of the batch goes on.
                if (failed.getAndIncrement() % 1_000 == 0) {
                    LOG.errorf(e, "event for %s at offset %d could not be counted", item.ip, item.offset);
                }
            }
        }
        finishBatch(batch, dirty, touched, now, written);
    }

    /** A state this instance holds: in memory, or changed and waiting for its write. */
    private ClientState held(String key) {
        ClientState s = states.getIfPresent(key);
        if (s == null) {
            s = unwritten.get(key);
            if (s != null) {
                states.put(key, s); // dropped from memory while its change waited: the change is the state
            }
        }
        return s;
    }

    /** The grid's values for {@code missing}: from the read made ahead when it is still good, else read now. */
    private Map<String, byte[]> read(Set<String> missing, Prefetch ahead) {
        if (ahead != null && ahead.epoch == epoch && !evictedForSize && ahead.keys.containsAll(missing)) {
            try {
                Map<String, byte[]> got = ahead.values.get(10, TimeUnit.SECONDS);
                prefetched.addAndGet(missing.size());
                return got;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.debugf("read ahead failed, reading again: %s", e.toString());
            }
        }
        return retrying(() -> store.getAll(missing));
    }

    private void count(Item item, Map<String, ClientState> batch, Map<String, ClientState> dirty,
                       Map<String, Item> touched, long now) {
        {
            ClientState client = batch.get(item.ipKey);
            if (client.claim(item.offset)) {
                counting.apply(client, item.event, item.atMillis(now));
                dirty.put(item.ipKey, client);
                touched.put(item.ipKey, item);
                ranked.computeIfAbsent(item.partition, p -> new HashSet<>()).add(item.ip);
                rankedChanged.add(item.partition);
                applied.incrementAndGet();
            } else {
                duplicates.incrementAndGet();
            }
            ClientState shard = batch.get(item.shardKey);
            if (shard.claim(item.offset)) {
                counting.apply(shard, item.event, item.atMillis(now));
                dirty.put(item.shardKey, shard);
            }
        }
    }

    private void finishBatch(Map<String, ClientState> batch, Map<String, ClientState> dirty,
                             Map<String, Item> touched, long now, CompletableFuture<Void> written) {
        for (ClientState s : dirty.values()) {
            counting.prune(s, now, settings.sessionMaxAge().toMillis());
        }
        for (Item item : touched.values()) {
            decide(item.ip, item.ipKey, batch.get(item.ipKey), item.exempt, now, dirty);
        }
        if (settings.networkLimits().any()) {
            Map<String, Item> networks = new LinkedHashMap<>();
            touched.values().forEach(i -> networks.putIfAbsent(i.network, i));
            for (Item item : networks.values()) {
                decideNetwork(item, batch.get(item.shardKey), now, dirty);
            }
        }
        write(dirty, written);
        batches.incrementAndGet();
        lastBatchMillis = now;
    }

    private Item item(ConsumerRecord<String, byte[]> record, Map<String, Resolved> addresses) {
        SessionEvent event;
        try {
            event = EventCodec.decode(record.value());
        } catch (UnreadableEventException e) {
            unreadable(record, e.getMessage());
            return null;
        }
        String raw = event.meta().clientIp();
        Resolved resolved = addresses.get(raw);
        if (resolved == null) {
            Subjects.Client c = Subjects.client(raw, settings.ipv4Prefix(), settings.ipv6Prefix());
            resolved = c == null ? Resolved.NOT_AN_ADDRESS : new Resolved(c, settings.limitExceptions().test(c.address()));
            addresses.put(raw, resolved);
        }
        if (resolved.client == null) {
            unreadable(record, "no client IP address in the event");
            return null;
        }
        long time;
        Instant t = event.meta().time();
        if (t == null) {
            time = Long.MAX_VALUE; // now, when applied
        } else if (t.getEpochSecond() > Long.MAX_VALUE / 1_000 - 1) {
            time = Long.MAX_VALUE; // beyond what a long holds in milliseconds: the future, so now
        } else if (t.getEpochSecond() < Long.MIN_VALUE / 1_000 + 1) {
            unreadable(record, "event time out of range");
            return null;
        } else {
            time = t.toEpochMilli();
        }
        String text = resolved.client.ip();
        String network = resolved.client.network();
        return new Item(event, record.partition(), record.offset(), text, resolved.ipKey, network,
                resolved.shardKey(record.partition()), time, resolved.exempt);
    }

    private void unreadable(ConsumerRecord<String, byte[]> record, String why) {
        if (unreadable.getAndIncrement() % 1_000 == 0) {
            LOG.warnf("skipping unreadable event at %s-%d offset %d: %s", record.topic(), record.partition(),
                    record.offset(), why);
        }
    }

    // ------------------------------------------------------------------ verdicts

    private void decide(String subject, String key, ClientState s, boolean exempt, long now,
                        Map<String, ClientState> dirty) {
        List<Verdict.Entry> next = rules.forClient(s, exempt, now);
        publishIfChanged(subject, key, s, next, now, dirty);
    }

    private void decideNetwork(Item item, ClientState ownShard, long now, Map<String, ClientState> dirty) {
        ClientState sum = codec.newState();
        int p = partitions > 0 ? partitions : FALLBACK_PARTITIONS;
        Set<String> others = new HashSet<>();
        for (int i = 0; i < p; i++) {
            String key = Subjects.shardKey(item.network, i);
            if (key.equals(item.shardKey)) {
                continue;
            }
            ClientState held = held(key);
            if (held != null) {
                sum.addCounts(held);
            } else {
                others.add(key);
            }
        }
        try {
            Map<String, byte[]> got = store.getAll(others);
            for (String key : others) {
                byte[] b = newest(key, got);
                if (b != null) {
                    sum.addCounts(codec.decode(b));
                }
            }
        } catch (StoreUnavailableException e) {
            return; // decided again with the next event of this network
        }
        sum.addCounts(ownShard);
        publishIfChanged(item.network, item.shardKey, ownShard, rules.forNetwork(sum, now), now, dirty);
    }

    private void publishIfChanged(String subject, String key, ClientState s, List<Verdict.Entry> next, long now,
                                  Map<String, ClientState> dirty) {
        if (VerdictRules.changed(s.verdict(), next, now) && publisher.publish(subject, next, now)) {
            s.verdict(next);
            dirty.put(key, s);
        }
        if (next.isEmpty()) {
            live.remove(subject);
        } else {
            live.put(subject, key);
        }
    }

    /**
     * Once a second: verdicts this instance published are re-decided with the clock moved
     * on, so a rate verdict is tombstoned when it runs out and a connection-count verdict is
     * renewed while the sessions stay open.
     */
    private void sweepSafely() {
        try {
            afterWrite(); // a write that failed while no batch came is retried here; one in flight is not waited for
            sweep();
            rankOffenders();
        } catch (RuntimeException e) {
            LOG.debugf("verdict sweep deferred: %s", e.toString());
        }
    }

    void sweep() {
        if (live.isEmpty()) {
            return;
        }
        long now = clock.millis();
        Map<String, ClientState> dirty = new HashMap<>();
        for (Map.Entry<String, String> e : List.copyOf(live.entrySet())) {
            String subject = e.getKey();
            ClientState s = states.getIfPresent(e.getValue());
            if (s == null) {
                live.remove(subject); // evicted: its entries expire on their own at the edges
                continue;
            }
            counting.prune(s, now, settings.sessionMaxAge().toMillis());
            IPAddress ip = Subjects.ip(subject);
            if (ip != null) {
                decide(subject, e.getValue(), s, settings.limitExceptions().test(ip.toInetAddress()), now, dirty);
            } else {
                // a network: its own shard's view decides when its entries have run out
                List<Verdict.Entry> still = s.verdict().stream()
                        .filter(v -> v.activeAt(java.time.Instant.ofEpochMilli(now))).toList();
                publishIfChanged(subject, e.getValue(), s, still, now, dirty);
            }
        }
        write(dirty, null);
    }

    /** Stores each changed partition's worst offenders (see {@link Offenders}). */
    void rankOffenders() {
        if (rankedChanged.isEmpty()) {
            return;
        }
        long now = clock.millis();
        Map<String, byte[]> lists = new HashMap<>();
        for (Integer partition : List.copyOf(rankedChanged)) {
            Map<String, ClientState> candidates = new HashMap<>();
            for (String ip : ranked.getOrDefault(partition, Set.of())) {
                ClientState s = states.getIfPresent(Subjects.ipKey(ip));
                if (s != null) {
                    candidates.put(ip, s);
                }
            }
            List<Offenders.Candidate> top = Offenders.rank(candidates, settings.windows(), now);
            Set<String> keep = new HashSet<>();
            top.forEach(c -> keep.add(c.ip()));
            ranked.put(partition, keep);
            lists.put(Subjects.topKey(partition), Offenders.encode(top));
        }
        // Not waited for (a grid round trip here would hold up the next batch's verdicts); if it
        // fails, the partitions are ranked and stored again at the next sweep.
        Set<Integer> stored = Set.copyOf(rankedChanged);
        rankedChanged.clear();
        store.putAllAsync(lists, lifespan()).whenComplete((v, e) -> {
            if (e != null) {
                LOG.debugf("offender lists not stored: %s", e.getMessage());
                try {
                    thread.execute(() -> rankedChanged.addAll(stored));
                } catch (RejectedExecutionException stopping) {
                    // shutting down: the lists are rebuilt from the states after the next start
                }
            }
        });
    }

    // ------------------------------------------------------------------ grid

    /**
     * The write in flight (aggregator thread only; at most one): every value it writes, the
     * grid's answer, and the batches it acknowledges (none for a sweep's write).
     */
    private record Pending(Map<String, byte[]> values, CompletableFuture<Void> put,
                           List<CompletableFuture<Void>> written) {
    }

    private Pending pending;
    /** States changed since the write in flight started, and the batches they acknowledge: the next write. */
    private final Map<String, ClientState> unwritten = new HashMap<>();
    private final List<CompletableFuture<Void>> unwrittenBatches = new java.util.ArrayList<>();

    /**
     * Hands {@code dirty} to the grid and returns at once: the next batch is applied while the
     * grid stores this one. Group commit: at most one write is in flight; what changes meanwhile
     * waits in {@link #unwritten} and goes in one write when the one in flight is done, so
     * under load many batches share one write and a state changed by all of them is written
     * once. When the grid keeps up, each batch is written at once on its own.
     *
     * <p>How the guarantees hold: writes reach the grid in order (a write starts only after the
     * one before it succeeded); a batch is acknowledged when the write holding its changes
     * completed; states are encoded when their write starts, on this thread, so later changes
     * cannot leak into it; a state read back from the grid while its change waits or is in
     * flight is taken from here instead ({@link #held}, {@link #newest}). When a write failed it
     * is written again with backoff before anything after it ({@link #drain}). Once more than
     * {@code max-unwritten} states wait, this thread waits for the grid, and the consumer with it.
     */
    private void write(Map<String, ClientState> dirty, CompletableFuture<Void> written) {
        unwritten.putAll(dirty);
        if (written != null) {
            unwrittenBatches.add(written);
        }
        drainIfDone();
        if (pending != null && unwritten.size() >= settings.maxUnwritten()) {
            drain(); // the grid is behind: wait for it rather than hold ever more in memory
        }
        if (pending == null) {
            flush();
        }
        // else: written when the write in flight completes (afterWrite)
    }

    /** Starts the next write with everything unwritten (no write may be in flight). */
    private void flush() {
        if (unwritten.isEmpty() && unwrittenBatches.isEmpty()) {
            return;
        }
        Map<String, byte[]> encoded = new HashMap<>(unwritten.size() * 2);
        unwritten.forEach((k, st) -> encoded.put(k, codec.encode(st)));
        List<CompletableFuture<Void>> acks = List.copyOf(unwrittenBatches);
        unwritten.clear();
        unwrittenBatches.clear();
        if (encoded.isEmpty()) {
            acks.forEach(w -> w.complete(null)); // batches that changed nothing: nothing before them is in flight
            return;
        }
        writes.incrementAndGet();
        CompletableFuture<Void> put;
        try {
            put = CompletableFuture.supplyAsync(() -> store.putAllAsync(encoded, lifespan()), writer)
                    .thenCompose(f -> f);
        } catch (RejectedExecutionException stopping) {
            put = CompletableFuture.failedFuture(new StoreUnavailableException("stopping", stopping));
        }
        pending = new Pending(encoded, put, acks);
        put.whenComplete((v, e) -> {
            if (e == null) {
                acks.forEach(w -> w.complete(null)); // at once, from the grid's thread: the offsets may be committed
            }
            try {
                thread.execute(this::afterWrite);
            } catch (RejectedExecutionException stopping) {
                // shutting down: what is not acknowledged is replayed at the next start
            }
        });
    }

    /** The write in flight has answered: settle it (writing it again if it failed) and start the next. */
    private void afterWrite() {
        try {
            drainIfDone();
            if (pending == null) {
                flush();
            }
        } catch (RuntimeException e) {
            LOG.debugf("write deferred: %s", e.toString()); // retried at the next batch or sweep
        }
    }

    /** Settles the write in flight if the grid has answered: nothing to wait for, or a failure written again here. */
    private void drainIfDone() {
        if (pending != null && pending.put.isDone()) {
            drain();
        }
    }

    /**
     * Waits for the write in flight; if it failed, writes its values again with backoff (the
     * aggregator, and so the consumer, waits meanwhile, as when any grid call fails).
     */
    private void drain() {
        Pending p = pending;
        if (p == null) {
            return;
        }
        pending = null;
        try {
            p.put.join();
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            try {
                retrying(() -> {
                    store.putAll(p.values, lifespan());
                    return null;
                });
            } catch (RuntimeException stopped) {
                // never acknowledged: replayed at the next start
                p.written.forEach(w -> w.completeExceptionally(stopped));
                throw stopped;
            }
        }
        p.written.forEach(w -> w.complete(null));
    }

    /** Waits until everything changed so far is in the grid. */
    private void drainAll() {
        drain();
        flush();
        drain();
    }

    /** A state as this instance last wrote it: from the write in flight if it is there, else as read. */
    private byte[] newest(String key, Map<String, byte[]> read) {
        Pending p = pending;
        byte[] inFlight = p == null ? null : p.values.get(key);
        return inFlight != null ? inFlight : read.get(key);
    }

    /** How long the grid keeps a state after its last write: past every window and memory. */
    Duration lifespan() {
        Duration longest = settings.longestWindow().length();
        Duration keep = longest.compareTo(settings.errorMemory()) > 0 ? longest : settings.errorMemory();
        return keep.plus(settings.longestWindow().granularity()).plusMinutes(1);
    }

    private <T> T retrying(java.util.function.Supplier<T> op) {
        long backoff = 100;
        while (true) {
            try {
                return op.get();
            } catch (StoreUnavailableException e) {
                if (stopping) {
                    throw e;
                }
                storeRetries.incrementAndGet();
                try {
                    Thread.sleep(backoff); // the aggregator's own thread: the consumer waits, events stay in Kafka
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = Math.min(5_000, backoff * 2);
            }
        }
    }

    // ------------------------------------------------------------------ figures

    public long applied() {
        return applied.get();
    }

    public long duplicates() {
        return duplicates.get();
    }

    public long unreadable() {
        return unreadable.get();
    }

    public long failed() {
        return failed.get();
    }

    public long batches() {
        return batches.get();
    }

    public long storeRetries() {
        return storeRetries.get();
    }

    /** Writes to the grid so far (one may hold many batches). */
    public long writes() {
        return writes.get();
    }

    /** States found already read from the grid when a batch was applied (read ahead while it was decoded). */
    public long prefetched() {
        return prefetched.get();
    }

    public long tracked() {
        return states == null ? 0 : states.estimatedSize();
    }

    public long lastBatchMillis() {
        return lastBatchMillis;
    }

    public int partitions() {
        return partitions;
    }
}
