package dev.portcullis.reputation.api;

import dev.portcullis.events.Verdict;
import dev.portcullis.reputation.Subjects;
import dev.portcullis.reputation.config.ReputationSettings;
import dev.portcullis.reputation.counts.ClientState;
import dev.portcullis.reputation.counts.ClientStateCodec;
import dev.portcullis.reputation.counts.Counter;
import dev.portcullis.reputation.counts.Offenders;
import dev.portcullis.reputation.counts.Totals;
import dev.portcullis.reputation.counts.WindowSpec;
import dev.portcullis.reputation.store.StateStore;
import inet.ipaddr.IPAddress;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Answers the REST API from the grid, never from this instance's memory: any instance
 * answers for any client, whichever instance owns its partition. Non-blocking throughout
 * (Hot Rod's async calls).
 */
@ApplicationScoped
public class ReputationQueries {

    /** How many /N subnets a network query may sum (2^8: a /16 of /24s). */
    static final int MAX_SUBNET_BITS = 8;
    private static final int FALLBACK_PARTITIONS = 64;

    @Inject
    StateStore store;
    @Inject
    ReputationSettings settings;
    @Inject
    ClientStateCodec codec;
    @Inject
    Clock clock;

    private volatile int partitions;
    private volatile long partitionsReadAt;

    public CompletionStage<Views.ClientView> client(IPAddress ip) {
        String text = Subjects.text(ip);
        String network = Subjects.network(ip, settings.ipv4Prefix(), settings.ipv6Prefix());
        return partitions().thenCompose(p -> {
            Set<String> keys = new LinkedHashSet<>();
            keys.add(Subjects.ipKey(text));
            keys.addAll(shardKeys(network, p));
            return store.getAllAsync(keys).thenApply(found -> {
                long now = clock.millis();
                byte[] bytes = found.get(Subjects.ipKey(text));
                ClientState s = codec.decode(bytes);
                ClientState net = sum(found, shardKeys(network, p));
                return clientView(text, bytes != null, s, networkView(network, net, now, null), now);
            });
        });
    }

    public CompletionStage<Views.NetworkView> network(IPAddress block) {
        int kept = block.isIPv4() ? settings.ipv4Prefix() : settings.ipv6Prefix();
        int prefix = block.getPrefixLength();
        List<String> networks = new ArrayList<>();
        if (prefix == kept) {
            networks.add(block.toCanonicalString());
        } else {
            Iterator<? extends IPAddress> it = block.setPrefixLength(kept, false).prefixBlockIterator();
            while (it.hasNext()) {
                networks.add(it.next().toCanonicalString());
            }
        }
        return partitions().thenCompose(p -> {
            List<String> keys = new ArrayList<>();
            networks.forEach(n -> keys.addAll(shardKeys(n, p)));
            return store.getAllAsync(new LinkedHashSet<>(keys)).thenApply(found -> {
                long now = clock.millis();
                return networkView(block.toCanonicalString(), sum(found, keys), now,
                        networks.size() > 1 ? networks.size() : null);
            });
        });
    }

    public CompletionStage<Views.TopView> top(int n, Offenders.By by, int window) {
        return partitions().thenCompose(p -> {
            Set<String> keys = new LinkedHashSet<>();
            for (int i = 0; i < p; i++) {
                keys.add(Subjects.topKey(i));
            }
            return store.getAllAsync(keys);
        }).thenCompose(lists -> {
            List<List<Offenders.Candidate>> decoded = new ArrayList<>();
            lists.values().forEach(b -> decoded.add(Offenders.decode(b, settings.windows().size())));
            List<Offenders.Candidate> ranked = Offenders.top(Offenders.merge(decoded), window, by, n);
            Set<String> ipKeys = new LinkedHashSet<>();
            ranked.forEach(c -> ipKeys.add(Subjects.ipKey(c.ip())));
            return store.getAllAsync(ipKeys).thenApply(states -> {
                long now = clock.millis();
                WindowSpec spec = settings.windows().get(window);
                List<Views.Offender> out = new ArrayList<>();
                for (Offenders.Candidate c : ranked) {
                    ClientState s = codec.decode(states.get(Subjects.ipKey(c.ip())));
                    Totals t = Totals.of(s, window, spec, now);
                    long value = switch (by) {
                        case ERRORS -> t.get(Counter.ERRORS);
                        case CONNECTIONS -> t.get(Counter.CONNECTIONS);
                        case REJECTS -> t.get(Counter.REJECTS);
                        case SCORE -> t.score();
                    };
                    out.add(new Views.Offender(c.ip(), value, t.score(), counts(t), verdicts(s, now)));
                }
                // Figures were ranked up to a second ago; order by the fresh ones.
                out.sort((a, b) -> by == Offenders.By.SCORE ? Long.compare(a.value(), b.value())
                        : Long.compare(b.value(), a.value()));
                return new Views.TopView(by.name().toLowerCase(), spec.name(), n, out);
            });
        });
    }

    // ------------------------------------------------------------------ assembling

    private Views.ClientView clientView(String ip, boolean known, ClientState s, Views.NetworkView network, long now) {
        WindowSpec longest = settings.longestWindow();
        Totals score = Totals.of(s, settings.windows().size() - 1, longest, now);
        return new Views.ClientView(ip, known, s.lastSeenMillis() == 0 ? null : Instant.ofEpochMilli(s.lastSeenMillis()),
                score.score(), longest.name(), liveSessions(s, now),
                s.carriedErrors(now, settings.errorMemory().toMillis()), windows(s, now), verdicts(s, now), network);
    }

    private Views.NetworkView networkView(String network, ClientState sum, long now, Integer subnets) {
        return new Views.NetworkView(network, liveSessions(sum, now), windows(sum, now), verdicts(sum, now), subnets);
    }

    private int liveSessions(ClientState s, long now) {
        s.expireSessions(now - settings.sessionMaxAge().toMillis());
        return s.openSessions();
    }

    private Map<String, Views.WindowView> windows(ClientState s, long now) {
        Map<String, Views.WindowView> out = new LinkedHashMap<>();
        for (int w = 0; w < settings.windows().size(); w++) {
            WindowSpec spec = settings.windows().get(w);
            Totals t = Totals.of(s, w, spec, now);
            out.put(spec.name(), new Views.WindowView(counts(t), t.score(), t.rejectsByCheck(), t.rejectsByCode()));
        }
        return out;
    }

    private static Map<String, Long> counts(Totals t) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Counter c : Counter.values()) {
            counts.put(c.jsonName(), t.get(c));
        }
        return counts;
    }

    private static List<Views.VerdictView> verdicts(ClientState s, long now) {
        Instant at = Instant.ofEpochMilli(now);
        return s.verdict().stream().filter(e -> e.activeAt(at)).map(Views.VerdictView::of).toList();
    }

    private ClientState sum(Map<String, byte[]> found, List<String> keys) {
        ClientState sum = codec.newState();
        for (String k : keys) {
            byte[] b = found.get(k);
            if (b != null) {
                ClientState shard = codec.decode(b);
                sum.addCounts(shard);
                List<Verdict.Entry> merged = new ArrayList<>(sum.verdict());
                merged.addAll(shard.verdict());
                sum.verdict(merged);
            }
        }
        return sum;
    }

    private static List<String> shardKeys(String network, int partitions) {
        List<String> keys = new ArrayList<>(partitions);
        for (int i = 0; i < partitions; i++) {
            keys.add(Subjects.shardKey(network, i));
        }
        return keys;
    }

    /** The events topic's partition count as the aggregators recorded it (read at most every 10 s). */
    private CompletionStage<Integer> partitions() {
        long now = System.nanoTime();
        int p = partitions;
        if (p > 0 && now - partitionsReadAt < 10_000_000_000L) {
            return CompletableFuture.completedFuture(p);
        }
        return store.getAsync(Subjects.META_PARTITIONS).handle((bytes, e) -> {
            int read = 0;
            if (bytes != null) {
                try {
                    read = Integer.parseInt(new String(bytes, StandardCharsets.US_ASCII).trim());
                } catch (NumberFormatException ignored) {
                    read = 0;
                }
            }
            if (read > 0) {
                partitions = read;
                partitionsReadAt = now;
                return read;
            }
            return FALLBACK_PARTITIONS;
        });
    }
}
