package dev.portcullis.bench;

import dev.portcullis.events.EventMeta;
import dev.portcullis.events.SessionEvent;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Session events as a fleet of edges would publish them, for {@link ReputationBench}: a fixed
 * set of client IPs spread over many networks, sessions drawn from a mix of outcomes, many
 * sessions open at once so that their events interleave, times moving forward evenly.
 * Deterministic for a given seed.
 *
 * <p>Client IPs: {@code v6Share} of them IPv6 (about 4 per /64), the rest IPv4 (about 8 per
 * /24, random hosts, public-looking first octets), written as {@link InetAddress#getHostAddress()}
 * writes them - what the edge puts in {@code clientIp} and the record key. The first
 * {@code ips} sessions use every IP once (in shuffled order); later sessions go 80% to a hot
 * tenth of the IPs and 20% to any.
 *
 * <p>The mix of sessions (every one starts with CONNECT and ends with DISCONNECT with
 * Postfix's command counts): 55% deliver one message (15% two): HELO, MAIL, RCPT x 1-5,
 * DATA, ACCEPTED; 20% hit unknown recipients: HELO, MAIL, REJECT 550 5.1.1 x 1-3, and in a
 * third of them one good RCPT and a delivery; 10% try to relay: HELO, MAIL, REJECT 454
 * 4.7.1; 10% send junk: 1-4 ERROR 502 5.5.2, each followed by a TARPIT half the time; 5%
 * are refused at HELO: REJECT 504 5.5.2, sometimes a TARPIT.
 */
final class EventGenerator {

    private static final String[] EDGES = {"edge-1", "edge-2", "edge-3", "edge-4"};
    private static final String[] DOMAINS = {"example.org", "example.net", "mail.example.com", "example.info",
            "news.example.co.uk", "shop.example.de"};
    private static final String[] JUNK = {"BOGUS", "AUTH", "STARTTLS", "GET", "XCLIENT", "\\x16\\x03\\x01"};

    private final Random rnd;
    private final List<String> ips;
    private final int v4Networks;
    private final int v6Networks;
    private final BitSet used;
    private long sessions;
    private final Map<String, Long> eventKinds = new TreeMap<>();
    private final Map<String, Long> sessionKinds = new TreeMap<>();

    EventGenerator(long seed, int ipCount, double v6Share) {
        if (ipCount < 1) {
            throw new IllegalArgumentException("at least one IP");
        }
        this.rnd = new Random(seed);
        int v6 = (int) Math.round(ipCount * v6Share);
        int v4 = ipCount - v6;
        this.v4Networks = v4 == 0 ? 0 : Math.max(1, v4 / 8);
        this.v6Networks = v6 == 0 ? 0 : Math.max(1, v6 / 4);
        List<String> all = new ArrayList<>(ipCount);
        all.addAll(ipv4(v4, v4Networks));
        all.addAll(ipv6(v6, v6Networks));
        Collections.shuffle(all, rnd);
        this.ips = List.copyOf(all);
        this.used = new BitSet(ipCount);
    }

    List<String> ips() {
        return ips;
    }

    int v4Networks() {
        return v4Networks;
    }

    int v6Networks() {
        return v6Networks;
    }

    long sessions() {
        return sessions;
    }

    int distinctIpsUsed() {
        return used.cardinality();
    }

    Map<String, Long> eventKinds() {
        return eventKinds;
    }

    Map<String, Long> sessionKinds() {
        return sessionKinds;
    }

    /**
     * Emits exactly {@code n} events, with times evenly from {@code startMillis} to
     * {@code startMillis + spanMillis}, from {@code concurrent} sessions open at once (the
     * sessions still open when {@code n} is reached are cut short: no DISCONNECT).
     */
    void generate(long n, long startMillis, long spanMillis, int concurrent, Consumer<SessionEvent> out) {
        Session[] pool = new Session[concurrent];
        for (int i = 0; i < concurrent; i++) {
            pool[i] = newSession();
        }
        for (long i = 0; i < n; i++) {
            long t = startMillis + (long) ((double) i * spanMillis / n);
            int j = rnd.nextInt(concurrent);
            Session s = pool[j];
            SessionEvent e = s.next(t);
            eventKinds.merge(kind(e), 1L, Long::sum);
            out.accept(e);
            if (s.done()) {
                pool[j] = newSession();
            }
        }
    }

    private static String kind(SessionEvent e) {
        return e.getClass().getSimpleName().toUpperCase(Locale.ROOT);
    }

    // ------------------------------------------------------------------ addresses

    private List<String> ipv4(int count, int networks) {
        List<Integer> nets = new ArrayList<>(networks);
        Set<Integer> seen = new HashSet<>();
        while (nets.size() < networks) {
            int a = 11 + rnd.nextInt(213); // 11..223
            if (a == 100 || a == 127 || a == 169 || a == 172 || a == 192 || a == 198 || a == 203) {
                continue; // shared, loopback, link-local, private and documentation ranges
            }
            int net = (a << 16) | (rnd.nextInt(256) << 8) | rnd.nextInt(256);
            if (seen.add(net)) {
                nets.add(net);
            }
        }
        Set<Integer> hosts = new HashSet<>();
        List<String> out = new ArrayList<>(count);
        while (out.size() < count) {
            int net = nets.get(rnd.nextInt(networks));
            int ip = (net << 8) | (1 + rnd.nextInt(254));
            if (hosts.add(ip)) {
                out.add(((ip >>> 24) & 255) + "." + ((ip >>> 16) & 255) + "." + ((ip >>> 8) & 255) + "." + (ip & 255));
            }
        }
        return out;
    }

    private List<String> ipv6(int count, int networks) {
        List<long[]> nets = new ArrayList<>(networks);
        for (int i = 0; i < networks; i++) {
            // 2a00::/12 .. 2a0f: global unicast, the /64 otherwise random
            long hi = (0x2a00L + rnd.nextInt(16)) << 48 | (rnd.nextLong() & 0x0000_FFFF_FFFF_FFFFL);
            nets.add(new long[]{hi});
        }
        Set<String> seen = new HashSet<>();
        List<String> out = new ArrayList<>(count);
        while (out.size() < count) {
            long hi = nets.get(rnd.nextInt(networks))[0];
            long lo = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(4096) : rnd.nextLong(); // some ::N hosts, most SLAAC-like
            byte[] b = new byte[16];
            for (int k = 0; k < 8; k++) {
                b[k] = (byte) (hi >>> (56 - 8 * k));
                b[8 + k] = (byte) (lo >>> (56 - 8 * k));
            }
            try {
                String text = InetAddress.getByAddress(b).getHostAddress();
                if (seen.add(text)) {
                    out.add(text);
                }
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    private int pickIp() {
        int i;
        if (sessions < ips.size()) {
            i = (int) sessions;
        } else if (rnd.nextInt(10) < 8) {
            i = rnd.nextInt(Math.max(1, ips.size() / 10));
        } else {
            i = rnd.nextInt(ips.size());
        }
        used.set(i);
        return i;
    }

    // ------------------------------------------------------------------ sessions

    private interface Step {
        SessionEvent make(Session s, long now);
    }

    private final class Session {
        final String ip;
        final String id;
        final String edge;
        final int port;
        final List<Step> plan = new ArrayList<>();
        final Map<String, int[]> counts = new LinkedHashMap<>();
        int next;
        long start;
        int errors;
        int messages;
        String sender;
        int recipients;
        String reason = "quit";

        Session(String ip) {
            this.ip = ip;
            this.id = Long.toString((1L << 40) + sessions, 36).toUpperCase(Locale.ROOT);
            this.edge = EDGES[rnd.nextInt(EDGES.length)];
            this.port = 1024 + rnd.nextInt(64000);
        }

        SessionEvent next(long now) {
            return plan.get(next++).make(this, now);
        }

        boolean done() {
            return next >= plan.size();
        }

        EventMeta meta(long now) {
            return new EventMeta(SessionEvent.SCHEMA, new UUID(rnd.nextLong() & ~0xF000L | 0x4000L,
                    rnd.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L).toString(),
                    Instant.ofEpochMilli(now), edge, id, ip);
        }

        void command(String name, boolean ok) {
            int[] c = counts.computeIfAbsent(name, k -> new int[2]);
            if (ok) {
                c[0]++;
            }
            c[1]++;
        }
    }

    private Session newSession() {
        Session s = new Session(ips.get(pickIp()));
        sessions++;
        List<Step> p = s.plan;
        String server = "198.51.100." + (1 + Integer.parseInt(s.edge.substring(5))) + ":25";
        p.add((x, t) -> {
            x.start = t;
            return new SessionEvent.Connect(x.meta(t), x.port, server);
        });
        int r = rnd.nextInt(100);
        String kind;
        if (r < 55) {
            kind = "delivered";
            helo(p);
            int messages = rnd.nextInt(100) < 15 ? 2 : 1;
            for (int m = 0; m < messages; m++) {
                mail(p);
                int k = rnd.nextInt(100) < 60 ? 1 : rnd.nextInt(100) < 60 ? 2 : 3 + rnd.nextInt(3);
                for (int i = 0; i < k; i++) {
                    rcpt(p);
                }
                deliver(p);
            }
        } else if (r < 75) {
            kind = "unknown-recipient";
            helo(p);
            mail(p);
            int k = 1 + rnd.nextInt(3);
            for (int i = 0; i < k; i++) {
                String rcpt = "nobody" + rnd.nextInt(100_000) + "@example.com";
                p.add((x, t) -> {
                    x.command("rcpt", false);
                    x.errors++;
                    return new SessionEvent.Reject(x.meta(t), "RCPT", 550, "5.1.1", "reject_unlisted_recipient",
                            "<" + rcpt + ">: Recipient address rejected: User unknown in local recipient table",
                            x.sender, rcpt);
                });
            }
            if (rnd.nextInt(3) == 0) {
                rcpt(p);
                deliver(p);
            }
        } else if (r < 85) {
            kind = "relay-denied";
            helo(p);
            mail(p);
            String rcpt = "victim" + rnd.nextInt(1_000_000) + "@" + DOMAINS[rnd.nextInt(DOMAINS.length)];
            p.add((x, t) -> {
                x.command("rcpt", false);
                x.errors++;
                return new SessionEvent.Reject(x.meta(t), "RCPT", 454, "4.7.1", "reject_unauth_destination",
                        "<" + rcpt + ">: Relay access denied", x.sender, rcpt);
            });
        } else if (r < 95) {
            kind = "protocol-errors";
            if (rnd.nextBoolean()) {
                helo(p);
            }
            int k = 1 + rnd.nextInt(4);
            for (int i = 0; i < k; i++) {
                String junk = JUNK[rnd.nextInt(JUNK.length)];
                p.add((x, t) -> {
                    x.command("unknown", false);
                    x.errors++;
                    return new SessionEvent.Error(x.meta(t), junk, 502, "5.5.2", "Error: command not recognized",
                            x.errors);
                });
                if (rnd.nextBoolean()) {
                    p.add((x, t) -> new SessionEvent.Tarpit(x.meta(t), 1000, x.errors));
                }
            }
            if (rnd.nextBoolean()) {
                s.reason = "lost"; // the client went away without QUIT
            }
        } else {
            kind = "helo-rejected";
            String name = "host" + rnd.nextInt(10_000);
            p.add((x, t) -> {
                x.command("ehlo", false);
                x.errors++;
                return new SessionEvent.Reject(x.meta(t), "HELO", 504, "5.5.2", "reject_non_fqdn_helo_hostname",
                        "<" + name + ">: Helo command rejected: need fully-qualified hostname", null, null);
            });
            if (rnd.nextInt(3) == 0) {
                p.add((x, t) -> new SessionEvent.Tarpit(x.meta(t), 1000, x.errors));
            }
        }
        sessionKinds.merge(kind, 1L, Long::sum);
        p.add((x, t) -> {
            if ("quit".equals(x.reason)) {
                x.command("quit", true);
            }
            Map<String, Integer> m = new LinkedHashMap<>();
            x.counts.forEach((k, c) -> {
                m.put(k + ".ok", c[0]);
                m.put(k + ".all", c[1]);
            });
            return new SessionEvent.Disconnect(x.meta(t), x.reason, Math.max(0, t - x.start), x.errors,
                    x.messages, m);
        });
        return s;
    }

    private void helo(List<Step> p) {
        String name = "mx" + rnd.nextInt(100) + "." + DOMAINS[rnd.nextInt(DOMAINS.length)];
        p.add((x, t) -> {
            x.command("ehlo", true);
            return new SessionEvent.Helo(x.meta(t), name, true);
        });
    }

    private void mail(List<Step> p) {
        String sender = "user" + rnd.nextInt(50_000) + "@" + DOMAINS[rnd.nextInt(DOMAINS.length)];
        long size = rnd.nextInt(4) == 0 ? -1 : 1_000 + rnd.nextInt(200_000);
        p.add((x, t) -> {
            x.command("mail", true);
            x.sender = sender;
            x.recipients = 0;
            return new SessionEvent.Mail(x.meta(t), sender, size);
        });
    }

    private void rcpt(List<Step> p) {
        String rcpt = "user" + rnd.nextInt(5_000) + "@example.com";
        p.add((x, t) -> {
            x.command("rcpt", true);
            x.recipients++;
            return new SessionEvent.Rcpt(x.meta(t), x.sender, rcpt);
        });
    }

    private void deliver(List<Step> p) {
        long size = 1_000 + rnd.nextInt(200_000);
        String queueId = Long.toString(rnd.nextLong() & 0xFFFF_FFFF_FFFFL, 36).toUpperCase(Locale.ROOT);
        p.add((x, t) -> {
            x.command("data", true);
            return new SessionEvent.Data(x.meta(t), x.recipients);
        });
        p.add((x, t) -> {
            x.messages++;
            return new SessionEvent.Accepted(x.meta(t), x.sender, x.recipients, size,
                    "250 2.0.0 Ok: queued as " + queueId);
        });
    }
}
