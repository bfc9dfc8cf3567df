package dev.portcullis.ban.engine;

import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import dev.portcullis.events.DecisionTable;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * Every live claim, and the one decision per network they add up to.
 *
 * <p>A <em>claim</em> is what one origin says about one network: the postfix jail bans
 * 192.0.2.7/32 until T, an operator allows 192.0.2.0/24, a blocklist lists 198.51.100.0/24. The
 * topic has one record per network, so the claims on a network are combined into one
 * {@link Decision} ({@link #combine}):
 * <ul>
 *   <li>any ALLOW claim makes it an ALLOW (exceptions win), built from the ALLOW claims only;</li>
 *   <li>otherwise a BAN lasting until the latest expiry (never, if any claim is permanent), on the
 *       union of the ports the claims cover ({@link PortScope}: every port beats "every port
 *       except" beats port lists; the union never shrinks);</li>
 *   <li>origin and reason come from the claim that lasts longest; created is the earliest.</li>
 * </ul>
 * A repeat offence replaces its origin's claim, so the network keeps one decision whose expiry
 * moves; nothing piles up.
 *
 * <p>Single-threaded (the engine's thread) except {@link #lookup} and {@link #table()} reads,
 * which go to a {@link DecisionTable} (lock-free reads). Bounded: at most {@code maxNetworks}
 * networks; a claim on a new network past that is refused and counted.
 */
public final class DecisionBook {

    /** What changed on one network: the decision now published for it, or null (lifted). */
    public record Change(String cidr, Decision decision) {
    }

    private record Expiry(String cidr, String origin, long atMillis) {
    }

    private final Map<String, Map<String, Decision>> claims = new HashMap<>();
    private final DecisionTable table;
    private final PriorityQueue<Expiry> expiries = new PriorityQueue<>(Comparator.comparingLong(Expiry::atMillis));
    private final int maxNetworks;
    private final String issuer;
    private long refused;
    private int claimCount;

    public DecisionBook(int maxNetworks, String issuer, java.time.Clock clock) {
        this.maxNetworks = maxNetworks;
        this.issuer = issuer;
        this.table = new DecisionTable(maxNetworks, clock);
    }

    /**
     * Adds or replaces {@code claim} (its cidr and origin say which); returns the change to
     * publish, or null when the published decision stays the same (or the claim was refused: see
     * {@link #refused()}).
     */
    public Change put(Decision claim) {
        Map<String, Decision> onNetwork = claims.get(claim.cidr());
        if (onNetwork == null) {
            if (claims.size() >= maxNetworks) {
                refused++;
                return null;
            }
            onNetwork = new LinkedHashMap<>();
            claims.put(claim.cidr(), onNetwork);
        }
        if (onNetwork.put(claim.origin(), claim) == null) {
            claimCount++;
        }
        if (claim.expires() != null) {
            expiries.add(new Expiry(claim.cidr(), claim.origin(), claim.expires().toEpochMilli()));
            compactExpiries();
        }
        return recompute(claim.cidr());
    }

    /** Removes the claims on {@code cidr} that {@code which} selects; the change, or null if none. */
    public Change remove(String cidr, Predicate<Decision> which) {
        Map<String, Decision> onNetwork = claims.get(cidr);
        if (onNetwork == null) {
            return null;
        }
        int before = onNetwork.size();
        onNetwork.values().removeIf(which);
        claimCount -= before - onNetwork.size();
        if (before == onNetwork.size()) {
            return null;
        }
        return recompute(cidr);
    }

    /** Drops every claim expired at {@code now}; the changes. */
    public List<Change> sweep(Instant now) {
        List<Change> out = new ArrayList<>();
        long t = now.toEpochMilli();
        while (!expiries.isEmpty() && expiries.peek().atMillis() <= t) {
            Expiry e = expiries.poll();
            Map<String, Decision> onNetwork = claims.get(e.cidr());
            Decision c = onNetwork == null ? null : onNetwork.get(e.origin());
            if (c == null || c.expires() == null || c.expires().toEpochMilli() != e.atMillis()) {
                continue; // replaced or removed since
            }
            Change ch = remove(e.cidr(), d -> d.origin().equals(e.origin()) && Objects.equals(d.expires(), c.expires()));
            if (ch != null) {
                out.add(ch);
            }
        }
        return out;
    }

    /** The expiry queue keeps stale entries of replaced claims until they come up; rebuild when it doubles. */
    private void compactExpiries() {
        if (expiries.size() > 1024 && expiries.size() > 2 * claimCount) {
            List<Expiry> live = new ArrayList<>();
            for (Map<String, Decision> m : claims.values()) {
                for (Decision d : m.values()) {
                    if (d.expires() != null) {
                        live.add(new Expiry(d.cidr(), d.origin(), d.expires().toEpochMilli()));
                    }
                }
            }
            expiries.clear();
            expiries.addAll(live);
        }
    }

    private Change recompute(String cidr) {
        Map<String, Decision> onNetwork = claims.get(cidr);
        Decision combined = onNetwork == null || onNetwork.isEmpty() ? null : combine(cidr, onNetwork.values(), issuer);
        if (onNetwork != null && onNetwork.isEmpty()) {
            claims.remove(cidr);
        }
        Decision current = table.get(cidr).orElse(null);
        if (Objects.equals(current, combined)) {
            return null;
        }
        if (combined == null) {
            table.remove(cidr);
        } else {
            table.put(combined);
        }
        return new Change(cidr, combined);
    }

    /** The one decision {@code claims} on {@code cidr} add up to (see the class comment). */
    static Decision combine(String cidr, Collection<Decision> claims, String issuer) {
        boolean allow = claims.stream().anyMatch(c -> c.action() == Decision.Action.ALLOW);
        Decision.Action action = allow ? Decision.Action.ALLOW : Decision.Action.BAN;
        Decision primary = null;
        Instant created = null;
        boolean never = false;
        Instant expires = null;
        List<Decision> counted = new ArrayList<>(claims.size());
        for (Decision c : claims) {
            if (c.action() != action) {
                continue;
            }
            if (c.expires() == null) {
                never = true;
            } else if (expires == null || c.expires().isAfter(expires)) {
                expires = c.expires();
            }
            counted.add(c);
            if (created == null || c.created().isBefore(created)) {
                created = c.created();
            }
            if (primary == null || lastsLonger(c, primary)) {
                primary = c;
            }
        }
        PortScope scope = PortScope.union(counted);
        return new Decision(Decision.SCHEMA, cidr, action, scope.ports(), primary.origin(), primary.reason(),
                created, never ? null : expires, issuer, scope.exceptPorts());
    }

    private static boolean lastsLonger(Decision a, Decision b) {
        if (a.expires() == null) {
            return b.expires() != null;
        }
        return b.expires() != null && a.expires().isAfter(b.expires());
    }

    /** The decision published for {@code cidr}, if any. */
    public Decision decision(String cidr) {
        return table.get(cidr).orElse(null);
    }

    /** The claims on {@code cidr}, by origin (a copy). */
    public Map<String, Decision> claims(String cidr) {
        Map<String, Decision> m = claims.get(cidr);
        return m == null ? Map.of() : Map.copyOf(m);
    }

    /** Every claim (a copy). */
    public List<Decision> allClaims() {
        List<Decision> out = new ArrayList<>(claimCount);
        claims.values().forEach(m -> out.addAll(m.values()));
        return out;
    }

    /** Every network with a claim of {@code origin}. */
    public List<String> networksOf(String origin) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Decision>> e : claims.entrySet()) {
            if (e.getValue().containsKey(origin)) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** The deciding decision for {@code client} on {@code port} (thread-safe). */
    public java.util.Optional<Decision> lookup(java.net.InetAddress client, int port, Instant now) {
        return table.lookup(client, port, now);
    }

    /** Whether an ALLOW covers {@code host} on any of {@code ports} (every port when empty: then port 25). */
    public boolean allowed(Cidr host, List<Integer> ports, Instant now) {
        java.net.InetAddress a;
        try {
            a = java.net.InetAddress.getByAddress(host.networkBytes());
        } catch (java.net.UnknownHostException e) {
            return false;
        }
        for (int p : ports.isEmpty() ? List.of(25) : ports) {
            if (table.lookup(a, p, now).map(d -> d.action() == Decision.Action.ALLOW).orElse(false)) {
                return true;
            }
        }
        return false;
    }

    /** The published decisions (thread-safe snapshot). */
    public List<Decision> decisions() {
        return table.snapshot();
    }

    /** How many decisions are published now (thread-safe). */
    public int published() {
        return table.size();
    }

    public int networks() {
        return claims.size();
    }

    public int claimCount() {
        return claimCount;
    }

    /** Claims refused because {@code maxNetworks} networks already had one. */
    public long refused() {
        return refused;
    }
}
