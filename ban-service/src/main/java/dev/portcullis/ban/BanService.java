package dev.portcullis.ban;

import dev.portcullis.ban.api.DecisionStreams;
import dev.portcullis.ban.bus.DecisionPublisher;
import dev.portcullis.ban.bus.TopicReader;
import dev.portcullis.ban.config.BanConfig;
import dev.portcullis.ban.config.BlocklistSpec;
import dev.portcullis.ban.config.BlocklistsConfig;
import dev.portcullis.ban.config.ConfigException;
import dev.portcullis.ban.config.JailsConfig;
import dev.portcullis.ban.config.ListFiles;
import dev.portcullis.ban.engine.BanCore;
import dev.portcullis.ban.engine.DecisionBook;
import dev.portcullis.ban.store.BanStore;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import dev.portcullis.events.SessionEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The service around {@link BanCore}: one engine thread runs every change (events, API calls,
 * blocklist reloads, the expiry sweep) in order; at start it restores the decisions (Infinispan
 * and the compacted topic, the newer wins per network) before any event is counted; every
 * change goes to the topic, the grid and the live streams, and what could not be handed over is
 * retried at each sweep.
 */
@ApplicationScoped
public class BanService {

    private static final Logger LOG = Logger.getLogger(BanService.class);

    @Inject
    BanConfig config;
    @Inject
    DecisionPublisher publisher;
    @Inject
    BanStore store;
    @Inject
    DecisionStreams streams;
    @Inject
    Clock clock;
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private final ScheduledExecutorService engine = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ban-engine");
        t.setDaemon(true);
        return t;
    });
    private final CompletableFuture<Void> restored = new CompletableFuture<>();
    private BanCore core;
    private String issuer;
    private List<BlocklistSpec> blocklists = List.of();
    private final Map<String, Object> listVersions = new HashMap<>();
    private final Map<String, Set<Cidr>> initialLists = new HashMap<>();
    private final Set<String> unpublished = new LinkedHashSet<>();
    private final Set<String> unstored = new LinkedHashSet<>();
    private final AtomicLong listReloads = new AtomicLong();
    private final AtomicLong listReloadFailures = new AtomicLong();
    private final AtomicLong engineFailures = new AtomicLong();
    private final AtomicLong restoredDecisions = new AtomicLong();
    private volatile String lastListFailure;

    /** Reads every configuration file; any problem stops the start with file:line: problem. */
    void onStart(@Observes StartupEvent ev) {
        issuer = config.id().filter(s -> !s.isBlank())
                .orElse(System.getenv().getOrDefault("HOSTNAME", "ban-service"));
        JailsConfig.Result jails = JailsConfig.load(Path.of(config.jails()));
        if (!jails.ignored().isEmpty()) {
            LOG.infof("%s: fail2ban keys without effect here (logs and actions): %s", config.jails(), jails.ignored());
        }
        LOG.infof("jails: %s (disabled: %s)", jails.jails().stream().map(j -> j.name()).toList(), jails.disabled());
        if (config.blocklists().isPresent() && !config.blocklists().get().isBlank()) {
            blocklists = BlocklistsConfig.load(Path.of(config.blocklists().get()));
            for (BlocklistSpec b : blocklists) {
                initialLists.put(b.name(), readList(b));
                listVersions.put(b.name(), version(b.file()));
            }
        }
        checkRange("portcullis.ban.network.prefix-v4", config.networkPrefixV4(), 8, 31);
        checkRange("portcullis.ban.network.prefix-v6", config.networkPrefixV6(), 16, 127);
        checkRange("portcullis.ban.max-decisions", config.maxDecisions(), 1, 50_000_000);
        BanCore.Settings s = new BanCore.Settings(issuer, config.maxDecisions(), config.maxTracked(),
                config.networkThreshold(), config.networkPrefixV4(), config.networkPrefixV6(), config.historyMaxAge());
        core = new BanCore(clock, s, jails.jails(), this::changed, store,
                () -> ThreadLocalRandom.current().nextDouble());
        engine.execute(this::restore);
    }

    private static void checkRange(String key, long v, long min, long max) {
        if (v < min || v > max) {
            throw new ConfigException(key + " = " + v + ": must be between " + min + " and " + max);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        engine.shutdown();
        try {
            engine.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // -------------------------------------------------------------------------------- restore

    private void restore() {
        long t0 = System.nanoTime();
        TopicReader.Snapshot topic;
        try {
            topic = TopicReader.read(bootstrapServers, Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            LOG.warnf("cannot read %s to restore the decisions yet (%s); retrying in 5s",
                    dev.portcullis.events.Topics.DECISIONS, e.toString());
            engine.schedule(this::restore, 5, TimeUnit.SECONDS);
            return;
        }
        long topicMs = (System.nanoTime() - t0) / 1_000_000;
        Map<String, BanStore.Stored> grid;
        try {
            grid = store.loadAll();
        } catch (RuntimeException e) {
            LOG.warnf("Infinispan unavailable at start (%s): restoring from the topic alone", e.toString());
            grid = null;
        }
        List<Decision> claims = new ArrayList<>();
        Set<String> keys = new HashSet<>(topic.timestamps().keySet());
        if (grid != null) {
            keys.addAll(grid.keySet());
        }
        Set<String> gridBehind = new HashSet<>();
        for (String key : keys) {
            BanStore.Stored s = grid == null ? null : grid.get(key);
            Long ts = topic.timestamps().get(key);
            Decision onTopic = topic.live().get(key);
            if (s != null && (ts == null || s.updatedMillis() >= ts)) {
                claims.addAll(s.claims());
            } else if (onTopic != null) {
                claims.add(onTopic);
                gridBehind.add(key);
            } else if (s != null && !s.claims().isEmpty()) {
                gridBehind.add(key); // lifted on the topic after the grid last heard of it
            }
        }
        long gridMs = (System.nanoTime() - t0) / 1_000_000 - topicMs;
        List<DecisionBook.Change> fixes = core.restore(claims, topic.live());
        if (grid == null) {
            unstored.addAll(topic.live().keySet()); // written when the grid answers again
        } else {
            gridBehind.forEach(this::storeNow);
        }
        restoredDecisions.set(core.book().networks());
        LOG.infof("restored %d decision(s) from %s (%d records, %d unreadable) and Infinispan (%s); %d expired"
                        + " while down, %d record(s) republished, in %d ms (topic %d ms, grid %d ms)",
                core.book().networks(), dev.portcullis.events.Topics.DECISIONS, topic.records(), topic.unreadable(),
                grid == null ? "unavailable" : grid.size() + " networks", core.expiredOnRestore(), fixes.size(),
                (System.nanoTime() - t0) / 1_000_000, topicMs, gridMs);
        Set<String> configured = new HashSet<>();
        for (BlocklistSpec b : blocklists) {
            configured.add(b.origin());
            applyList(b, initialLists.remove(b.name()));
        }
        Set<String> gone = new java.util.TreeSet<>();
        for (Decision c : core.book().allClaims()) {
            if (c.origin().startsWith("blocklist:") && !configured.contains(c.origin())) {
                gone.add(c.origin());
            }
        }
        for (String origin : gone) {
            LOG.infof("%s is no longer configured: lifted %d decision(s)", origin, core.forgetOrigin(origin));
        }
        long sweep = Math.max(50, config.sweepInterval().toMillis());
        engine.scheduleWithFixedDelay(guard(this::tick), sweep, sweep, TimeUnit.MILLISECONDS);
        long keepAlive = Math.max(100, config.streamKeepAlive().toMillis());
        engine.scheduleWithFixedDelay(guard(streams::keepAlive), keepAlive, keepAlive, TimeUnit.MILLISECONDS);
        if (!blocklists.isEmpty()) {
            long poll = Math.max(100, config.blocklistPollInterval().toMillis());
            engine.scheduleWithFixedDelay(guard(this::pollLists), poll, poll, TimeUnit.MILLISECONDS);
        }
        restored.complete(null);
    }

    private Runnable guard(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                engineFailures.incrementAndGet();
                LOG.errorf(e, "ban engine task failed");
            }
        };
    }

    // ---------------------------------------------------------------------------------- sink

    private void changed(DecisionBook.Change change) {
        if (!publisher.publish(change.cidr(), change.decision())) {
            unpublished.add(change.cidr());
        }
        storeNow(change.cidr());
        streams.changed(change);
    }

    /** Marks {@code cidr}'s claims for the next grid write (one bulk write per sweep, or sooner when many wait). */
    private void storeNow(String cidr) {
        unstored.add(cidr);
        if (unstored.size() >= GRID_BATCH && !gridWriteInFlight) {
            flushGrid();
        }
    }

    static final int GRID_BATCH = 5_000;
    private boolean gridWriteInFlight;

    /**
     * Writes up to {@value #GRID_BATCH} marked networks in one bulk call; what fails stays marked
     * and is retried at the next sweep. One write in flight at a time, so a slow grid is not
     * flooded.
     */
    private void flushGrid() {
        if (unstored.isEmpty() || gridWriteInFlight) {
            return;
        }
        Map<String, List<Decision>> batch = new LinkedHashMap<>();
        var it = unstored.iterator();
        while (it.hasNext() && batch.size() < GRID_BATCH) {
            String cidr = it.next();
            it.remove();
            batch.put(cidr, List.copyOf(core.book().claims(cidr).values()));
        }
        gridWriteInFlight = true;
        store.saveAll(batch, clock.millis()).whenComplete((ok, e) -> engine.execute(() -> {
            gridWriteInFlight = false;
            if (e != null || !Boolean.TRUE.equals(ok)) {
                for (String cidr : batch.keySet()) {
                    unstored.add(cidr);
                }
            } else if (unstored.size() >= GRID_BATCH) {
                flushGrid();
            }
        }));
    }

    private void tick() {
        core.sweep();
        if (!unpublished.isEmpty()) {
            List<String> retry = new ArrayList<>(unpublished);
            unpublished.clear();
            for (String cidr : retry) {
                if (!publisher.publish(cidr, core.book().decision(cidr))) {
                    unpublished.add(cidr);
                }
            }
        }
        flushGrid();
    }

    // ------------------------------------------------------------------------------ blocklists

    private Set<Cidr> readList(BlocklistSpec b) {
        return b.type() == BlocklistSpec.Type.CIDR ? ListFiles.readCidrList(b.file())
                : ListFiles.readDelegated(b.file(), b.countries());
    }

    private static Object version(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey();
        } catch (java.io.IOException e) {
            return "missing";
        }
    }

    private void applyList(BlocklistSpec b, Set<Cidr> networks) {
        BanCore.ListChange c = core.blocklist(b, networks);
        LOG.infof("blocklist %s (%s): %d network(s), %d added, %d lifted", b.name(), b.file(), c.listed(), c.added(),
                c.removed());
    }

    private void pollLists() {
        for (BlocklistSpec b : blocklists) {
            Object v = version(b.file());
            if (v.equals(listVersions.get(b.name()))) {
                continue;
            }
            listVersions.put(b.name(), v);
            try {
                Set<Cidr> networks = readList(b);
                listReloads.incrementAndGet();
                applyList(b, networks);
            } catch (ConfigException e) {
                listReloadFailures.incrementAndGet();
                lastListFailure = e.getMessage();
                LOG.errorf("blocklist %s not reloaded, the previous content stays in force: %s", b.name(), e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------------------ calls in

    /** An API call before the decisions are restored (503). */
    public static final class NotReadyException extends RuntimeException {
        public NotReadyException() {
            super("the ban-service is still restoring its decisions (Kafka and Infinispan); try again shortly");
        }
    }

    /** Runs {@code work} on the engine thread; fails with {@link NotReadyException} before the restore. */
    public <T> CompletionStage<T> call(Callable<T> work) {
        if (!restored.isDone()) {
            return CompletableFuture.failedFuture(new NotReadyException());
        }
        return whenRestored(work);
    }

    /** Runs {@code work} on the engine thread once the decisions are restored. */
    public <T> CompletionStage<T> whenRestored(Callable<T> work) {
        CompletableFuture<T> out = new CompletableFuture<>();
        restored.thenRun(() -> engine.execute(() -> {
            try {
                out.complete(work.call());
            } catch (Throwable e) {
                out.completeExceptionally(e);
            }
        }));
        return out;
    }

    /** A batch of events from the bus; completes when they have been counted. */
    public CompletionStage<Void> events(List<SessionEvent> batch) {
        return whenRestored(() -> {
            for (SessionEvent e : batch) {
                try {
                    core.event(e);
                } catch (RuntimeException ex) {
                    engineFailures.incrementAndGet();
                    LOG.errorf(ex, "event %s not counted", e.meta().id());
                }
            }
            return null;
        });
    }

    /** The engine, for calls made through {@link #call} only. */
    public BanCore core() {
        return core;
    }

    public boolean restoredYet() {
        return restored.isDone();
    }

    public List<BlocklistSpec> blocklists() {
        return blocklists;
    }

    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("restored", restoredDecisions.get());
        m.put("listReloads", listReloads.get());
        m.put("listReloadFailures", listReloadFailures.get());
        m.put("engineFailures", engineFailures.get());
        m.put("unpublished", (long) unpublished.size());
        m.put("unstored", (long) unstored.size());
        return m;
    }

    public long listReloads() {
        return listReloads.get();
    }

    public long listReloadFailures() {
        return listReloadFailures.get();
    }

    public long engineFailures() {
        return engineFailures.get();
    }

    public String lastListFailure() {
        return lastListFailure;
    }

    public String issuer() {
        return issuer;
    }
}
