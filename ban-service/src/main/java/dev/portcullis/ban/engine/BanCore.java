package dev.portcullis.ban.engine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.portcullis.ban.config.BlocklistSpec;
import dev.portcullis.ban.config.Fail2banTime;
import dev.portcullis.ban.config.JailSpec;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import dev.portcullis.events.SessionEvent;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

/**
 * The deciding: jails over session events, recidive over bans, network bans, manual bans and
 * allows, blocklists and expiry, all on one {@link DecisionBook}. Every change to a published
 * decision goes to the {@link Sink} (the topic, the grid, the live streams) in the order it
 * happened.
 *
 * <p>Not thread-safe: one thread (the service's engine thread) calls everything here, so no
 * decision is ever computed from a half-applied one. Time comes from the injected clock.
 */
public final class BanCore {

    /** Where changes go. */
    public interface Sink {
        void changed(DecisionBook.Change change);
    }

    /** Where ban histories live between restarts. */
    public interface HistoryStore {
        /** The history of {@code ip}, empty when unknown; may throw when the store is away. */
        BanHistory load(String ip);

        void save(String ip, BanHistory history, Duration maxAge);
    }

    /** Settings the engine needs beyond the jails. */
    public record Settings(String issuer, int maxNetworks, long maxTrackedPerJail, int networkThreshold,
                           int networkPrefixV4, int networkPrefixV6, Duration historyMaxAge) {
    }

    /**
     * A manual ban or allow, already validated. {@code duration}: negative = permanent; null = the
     * jail's bantime (with {@code jail} only). {@code jail} may be null.
     */
    public record ManualRequest(Cidr cidr, Decision.Action action, Duration duration, List<Integer> ports,
                                String reason, String by, String jail, List<Integer> exceptPorts) {
        public ManualRequest {
            exceptPorts = exceptPorts == null ? List.of() : List.copyOf(exceptPorts);
        }

        /** On the listed ports only (every port when empty). */
        public ManualRequest(Cidr cidr, Decision.Action action, Duration duration, List<Integer> ports,
                             String reason, String by, String jail) {
            this(cidr, action, duration, ports, reason, by, jail, List.of());
        }
    }

    /** An unban that found only blocklist claims (they come back with the list; edit the file instead). */
    public static final class ListedException extends RuntimeException {
        public ListedException(String message) {
            super(message);
        }
    }

    public static final String NETWORK_ORIGIN = "network:auto";

    private final Clock clock;
    private final Settings settings;
    private final Map<String, Jail> jails = new LinkedHashMap<>();
    private final List<Jail> eventJails = new ArrayList<>();
    private final List<Jail> banJails = new ArrayList<>();
    private final DecisionBook book;
    private final Sink sink;
    private final HistoryStore historyStore;
    private final Cache<String, BanHistory> histories;
    private final DoubleSupplier random;
    private final Map<String, Set<String>> hostsByNetwork = new HashMap<>();

    private final AtomicLong events = new AtomicLong();
    private final AtomicLong unreadableAddresses = new AtomicLong();
    private final AtomicLong enforcements = new AtomicLong();
    private final AtomicLong historyFailures = new AtomicLong();
    private final AtomicLong expiredOnRestore = new AtomicLong();

    public BanCore(Clock clock, Settings settings, List<JailSpec> specs, Sink sink, HistoryStore historyStore,
                   DoubleSupplier random) {
        this.clock = clock;
        this.settings = settings;
        this.sink = sink;
        this.historyStore = historyStore;
        this.random = random;
        Ticker ticker = () -> clock.millis() * 1_000_000L;
        for (JailSpec s : specs) {
            Jail j = new Jail(s, settings.maxTrackedPerJail(), ticker);
            jails.put(s.name(), j);
            (s.countsBans() ? banJails : eventJails).add(j);
        }
        this.book = new DecisionBook(settings.maxNetworks(), settings.issuer(), clock);
        this.histories = Caffeine.newBuilder().maximumSize(100_000)
                .expireAfterAccess(Duration.ofHours(1)).ticker(ticker).executor(Runnable::run).build();
    }

    // ------------------------------------------------------------------------------------ events

    /** The time decisions are stamped with: the clock to the millisecond (the JSON stays readable). */
    private Instant now() {
        return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    }

    /**
     * The check an edge names when it refuses a client because of a decision (smtp-edge's
     * {@code BanGate.CHECK}): that is a ban being enforced, not a new offence, so it never counts
     * (else every reconnect of a banned client would extend and double its ban). fail2ban does not
     * see these either: its firewall drops them before anything is logged.
     */
    public static final String ENFORCEMENT_CHECK = "portcullis_ban";

    /** One session event from the bus. */
    public void event(SessionEvent e) {
        events.incrementAndGet();
        if (e instanceof SessionEvent.Reject r && ENFORCEMENT_CHECK.equals(r.check())) {
            enforcements.incrementAndGet();
            return;
        }
        Cidr host = host(e.meta().clientIp());
        if (host == null) {
            unreadableAddresses.incrementAndGet();
            return;
        }
        Instant now = now();
        long at = Math.min(e.meta().time().toEpochMilli(), now.toEpochMilli());
        for (Jail j : eventJails) {
            if (!j.matches(e)) {
                continue;
            }
            if (j.ignores(host) || book.allowed(host, j.spec().ports(), now)) {
                j.ignored.incrementAndGet();
                continue;
            }
            if (at <= now.toEpochMilli() - j.findTime().toMillis()) {
                j.stale.incrementAndGet();
                continue;
            }
            if (j.fail(host, at)) {
                banByJail(j, host, describe(e, j), now, null, new HashSet<>());
            }
        }
    }

    private static String describe(SessionEvent e, Jail j) {
        String what;
        if (e instanceof SessionEvent.Reject r) {
            what = r.code() + " " + (r.enhancedCode() == null ? "" : r.enhancedCode() + " ")
                    + (r.check() == null ? "reject" : r.check());
        } else if (e instanceof SessionEvent.Limit l) {
            what = "limit " + l.limit();
        } else if (e instanceof SessionEvent.Error er) {
            what = "protocol error " + er.code();
        } else {
            what = e.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        }
        return j.spec().maxRetry() + " failures within " + Fail2banTime.format(j.findTime()) + ", last: "
                + printable(what);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 120; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    /** A client address from an event, in its native family; null if it is not an address literal. */
    static Cidr host(String text) {
        if (text == null || text.isEmpty() || text.length() > 64) {
            return null;
        }
        if (text.indexOf('/') >= 0) {
            return null;
        }
        try {
            return Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            IPAddress a = new IPAddressString(text.strip()).getAddress();
            if (a != null && !a.isPrefixed() && a.isIPv6() && a.toIPv6().isIPv4Mapped()) {
                return Cidr.parse(a.toIPv6().getEmbeddedIPv4Address().toCanonicalString());
            }
            return null;
        }
    }

    /**
     * Bans {@code host} for {@code jail}: the ban time from the history (bantime.increment), one
     * claim per jail and network (a repeat extends it), the history updated, then recidive jails
     * and network bans. {@code chain} keeps a cycle of recidive jails from banning for ever.
     */
    private Decision banByJail(Jail jail, Cidr host, String reason, Instant now, Duration explicit, Set<String> chain) {
        chain.add(jail.name());
        JailSpec spec = jail.spec();
        String ip = host.toString();
        BanHistory history = history(ip);
        int count = spec.overallJails() ? history.count(null) : history.count(spec.name());
        Duration length = explicit == null ? BanTimes.of(spec, count, random) : explicit.isNegative() ? null : explicit;
        Instant expires = length == null ? null : now.plus(length);
        Decision existing = book.claims(ip).get(spec.origin());
        Instant created = now;
        if (existing != null && existing.activeAt(now)) {
            created = existing.created();
            if (existing.expires() == null || (expires != null && existing.expires().isAfter(expires))) {
                expires = existing.expires();
            }
        }
        Decision claim = new Decision(Decision.SCHEMA, ip, Decision.Action.BAN, spec.ports(), spec.origin(),
                reason, created, expires, settings.issuer());
        apply(book.put(claim));
        jail.bans.incrementAndGet();
        if (host.prefix() == (host.isIpv6() ? 128 : 32)) {
            history = history.with(spec.name(), now.toEpochMilli());
            saveHistory(ip, history);
            for (Jail r : banJails) {
                if (chain.contains(r.name()) || !r.matchesBan(spec.name())) {
                    continue;
                }
                if (r.ignores(host) || book.allowed(host, r.spec().ports(), now)) {
                    r.ignored.incrementAndGet();
                    continue;
                }
                r.matched.incrementAndGet();
                long since = now.toEpochMilli() - r.findTime().toMillis();
                long n = history.entries().stream()
                        .filter(en -> en.atMillis() > since && r.matchesBan(en.jail())).count();
                if (n >= r.spec().maxRetry()) {
                    banByJail(r, host, n + " bans within " + Fail2banTime.format(r.findTime()) + " (last by "
                            + spec.name() + ")", now, null, chain);
                }
            }
        }
        return claim;
    }

    private BanHistory history(String ip) {
        BanHistory h = histories.getIfPresent(ip);
        if (h == null) {
            try {
                h = historyStore.load(ip);
            } catch (RuntimeException e) {
                historyFailures.incrementAndGet();
                h = BanHistory.empty();
            }
            histories.put(ip, h);
        }
        return h;
    }

    private void saveHistory(String ip, BanHistory h) {
        histories.put(ip, h);
        try {
            historyStore.save(ip, h, settings.historyMaxAge());
        } catch (RuntimeException e) {
            historyFailures.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------------------ network bans

    private void apply(DecisionBook.Change change) {
        if (change == null) {
            return;
        }
        sink.changed(change);
        if (settings.networkThreshold() > 0) {
            network(change);
        }
    }

    /**
     * Keeps, per network (/24, /64 by default), the host bans in it that count (every ban but
     * blocklist and network ones); at {@code networkThreshold} hosts the network itself is banned
     * until the last of its hosts' bans ends, on the union of their ports.
     */
    private void network(DecisionBook.Change change) {
        Cidr c = Cidr.parse(change.cidr());
        if (c.prefix() != (c.isIpv6() ? 128 : 32)) {
            return;
        }
        int prefix = c.isIpv6() ? settings.networkPrefixV6() : settings.networkPrefixV4();
        String net = Cidr.of(Jail.address(c), prefix).toString();
        Decision d = change.decision();
        boolean counts = d != null && d.action() == Decision.Action.BAN && !d.origin().startsWith("blocklist:")
                && !d.origin().equals(NETWORK_ORIGIN);
        Set<String> hosts = hostsByNetwork.get(net);
        if (!counts) {
            if (hosts != null && hosts.remove(change.cidr()) && hosts.isEmpty()) {
                hostsByNetwork.remove(net);
            }
            return;
        }
        hostsByNetwork.computeIfAbsent(net, k -> new HashSet<>()).add(change.cidr());
        hosts = hostsByNetwork.get(net);
        if (hosts.size() < settings.networkThreshold()) {
            return;
        }
        Instant expires = null;
        boolean never = false;
        List<Decision> held = new ArrayList<>(hosts.size());
        for (String h : hosts) {
            Decision hd = book.decision(h);
            if (hd == null) {
                continue;
            }
            if (hd.expires() == null) {
                never = true;
            } else if (expires == null || hd.expires().isAfter(expires)) {
                expires = hd.expires();
            }
            held.add(hd);
        }
        PortScope scope = PortScope.union(held);
        Decision existing = book.claims(net).get(NETWORK_ORIGIN);
        Instant now = now();
        Decision claim = new Decision(Decision.SCHEMA, net, Decision.Action.BAN, scope.ports(), NETWORK_ORIGIN,
                hosts.size() + " addresses of " + net + " banned", existing != null ? existing.created() : now,
                never ? null : expires, settings.issuer(), scope.exceptPorts());
        if (!claim.equals(existing)) {
            apply(book.put(claim));
        }
    }

    // ------------------------------------------------------------------------------- manual

    /** A ban or allow over the API; returns the claim made. @throws IllegalArgumentException for an unknown jail */
    public Decision manual(ManualRequest r) {
        Instant now = now();
        if (r.jail() != null) {
            Jail j = jails.get(r.jail());
            if (j == null) {
                throw new IllegalArgumentException("unknown jail \"" + r.jail() + "\" (jails: " + jails.keySet() + ")");
            }
            Cidr host = r.cidr();
            Decision d = banByJail(j, host, r.reason(), now, r.duration(), new HashSet<>());
            return book.claims(host.toString()).getOrDefault(j.spec().origin(), d);
        }
        String origin = "manual:" + r.by();
        Decision claim = new Decision(Decision.SCHEMA, r.cidr().toString(), r.action(), r.ports(), origin, r.reason(),
                now, r.duration() == null || r.duration().isNegative() ? null : now.plus(r.duration()), settings.issuer(),
                r.exceptPorts());
        Decision existing = book.claims(claim.cidr()).get(origin);
        if (existing != null && existing.action() == claim.action() && existing.activeAt(now)) {
            claim = new Decision(claim.schema(), claim.cidr(), claim.action(), claim.ports(), origin, claim.reason(),
                    existing.created(), claim.expires(), claim.issuer(), claim.exceptPorts());
        } else if (existing != null) {
            apply(book.remove(claim.cidr(), c -> c.origin().equals(origin)));
        }
        apply(book.put(claim));
        return claim;
    }

    /**
     * Lifts the manual, jail and network claims on {@code cidr} of {@code action} (both when
     * null), and forgets the address's failures in every jail (fail2ban's unbanip). Returns the
     * claims lifted; throws {@link ListedException} when only blocklists hold it.
     */
    public List<Decision> unban(Cidr cidr, Decision.Action action) {
        String key = cidr.toString();
        List<Decision> lifted = new ArrayList<>();
        for (Decision c : book.claims(key).values()) {
            if (!c.origin().startsWith("blocklist:") && (action == null || c.action() == action)) {
                lifted.add(c);
            }
        }
        if (lifted.isEmpty()) {
            List<String> lists = book.claims(key).values().stream().map(Decision::origin)
                    .filter(o -> o.startsWith("blocklist:")).toList();
            if (!lists.isEmpty()) {
                throw new ListedException(key + " is listed by " + String.join(", ", lists)
                        + ": edit that list (or add an allow, which wins over it)");
            }
            return lifted;
        }
        for (Jail j : jails.values()) {
            j.forget(cidr);
        }
        Set<String> origins = new HashSet<>();
        lifted.forEach(c -> origins.add(c.origin()));
        apply(book.remove(key, c -> origins.contains(c.origin()) && (action == null || c.action() == action)));
        return lifted;
    }

    // ---------------------------------------------------------------------------- blocklists

    /** What a blocklist (re)load changed. */
    public record ListChange(int listed, int added, int removed, int unchanged) {
    }

    /** Makes {@code spec}'s claims exactly {@code networks}: new ones added, gone ones lifted. */
    public ListChange blocklist(BlocklistSpec spec, Collection<Cidr> networks) {
        String origin = spec.origin();
        Set<String> before = new HashSet<>(book.networksOf(origin));
        Instant now = now();
        int added = 0;
        int unchanged = 0;
        Set<String> keep = new HashSet<>();
        for (Cidr c : networks) {
            String key = c.toString();
            keep.add(key);
            Decision existing = book.claims(key).get(origin);
            Decision claim = new Decision(Decision.SCHEMA, key, spec.action(), spec.ports(), origin, spec.reason(),
                    existing != null ? existing.created() : now, null, settings.issuer(), spec.exceptPorts());
            if (claim.equals(existing)) {
                unchanged++;
                continue;
            }
            apply(book.put(claim));
            added++;
        }
        int removed = 0;
        for (String key : before) {
            if (!keep.contains(key)) {
                apply(book.remove(key, c -> c.origin().equals(origin)));
                removed++;
            }
        }
        return new ListChange(keep.size(), added, removed, unchanged);
    }

    /** Lifts every claim of {@code origin} (a blocklist no longer configured); how many. */
    public int forgetOrigin(String origin) {
        int n = 0;
        for (String key : book.networksOf(origin)) {
            apply(book.remove(key, c -> c.origin().equals(origin)));
            n++;
        }
        return n;
    }

    // ------------------------------------------------------------------------------ expiry

    /** Lifts what has expired (tombstones, or narrower decisions); how many networks changed. */
    public int sweep() {
        List<DecisionBook.Change> changes = book.sweep(clock.instant());
        changes.forEach(this::apply);
        for (Jail j : jails.values()) {
            j.tracked();
        }
        return changes.size();
    }

    // ----------------------------------------------------------------------------- restore

    /**
     * Loads the claims that were live before a restart (expired ones are dropped and counted)
     * without publishing them, then returns what must be published so the topic says the same
     * as the claims: {@code onTopic} is the topic's live content as read at start.
     */
    public List<DecisionBook.Change> restore(Collection<Decision> claims, Map<String, Decision> onTopic) {
        Instant now = now();
        for (Decision c : claims) {
            if (!c.activeAt(now)) {
                expiredOnRestore.incrementAndGet();
                continue;
            }
            DecisionBook.Change ch = book.put(c);
            if (ch != null && settings.networkThreshold() > 0) {
                network(ch);
            }
        }
        List<DecisionBook.Change> out = new ArrayList<>();
        for (Decision d : book.decisions()) {
            if (!d.equals(onTopic.get(d.cidr()))) {
                out.add(new DecisionBook.Change(d.cidr(), d));
            }
        }
        for (String key : onTopic.keySet()) {
            if (book.decision(key) == null) {
                out.add(new DecisionBook.Change(key, null));
            }
        }
        out.forEach(sink::changed);
        return out;
    }

    // ------------------------------------------------------------------------------ queries

    public DecisionBook book() {
        return book;
    }

    public Collection<Jail> jails() {
        return jails.values();
    }

    public Optional<Jail> jail(String name) {
        return Optional.ofNullable(jails.get(name));
    }

    public long events() {
        return events.get();
    }

    /** Refusals of already banned clients seen (never counted as failures). */
    public long enforcements() {
        return enforcements.get();
    }

    public long unreadableAddresses() {
        return unreadableAddresses.get();
    }

    public long historyFailures() {
        return historyFailures.get();
    }

    public long expiredOnRestore() {
        return expiredOnRestore.get();
    }

    /** Host bans counted towards network bans, per network (for tests and the API). */
    public int hostsBannedIn(String network) {
        Set<String> s = hostsByNetwork.get(network);
        return s == null ? 0 : s.size();
    }

    public Clock clock() {
        return clock;
    }

    @Override
    public String toString() {
        return "BanCore" + Objects.toString(jails.keySet());
    }
}
