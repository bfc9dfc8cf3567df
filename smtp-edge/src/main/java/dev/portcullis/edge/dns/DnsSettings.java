package dev.portcullis.edge.dns;

import dev.portcullis.postfix.InetPton;
import dev.portcullis.postfix.PostfixParameters;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The resolver's settings. Postfix has none of these (it uses the system resolver), so they
 * are Portcullis parameters in main.cf style, overridable like any other
 * ({@code POSTFIX_PORTCULLIS_DNS_SERVERS=...}).
 *
 * @param servers     {@code portcullis_dns_servers}: "ip[:port]" or "[ipv6]:port", in order
 *                    (default: the nameserver lines of /etc/resolv.conf, port 53)
 * @param timeout     {@code portcullis_dns_timeout} (5s, the resolver's RES_TIMEOUT): one try
 * @param attempts    {@code portcullis_dns_attempts} (2, RES_DFLRETRY): tries per query,
 *                    rotating over the servers
 * @param cacheSize   {@code portcullis_dns_cache_size} (10000): answers kept, LRU-ish bounded
 * @param maxTtl      {@code portcullis_dns_max_ttl} (1h): no answer is kept longer
 * @param negativeTtl {@code portcullis_dns_negative_ttl} (5m): cap (and default, without an
 *                    SOA) for NXDOMAIN/NODATA answers
 */
public record DnsSettings(List<InetSocketAddress> servers, Duration timeout, int attempts, int cacheSize,
                          Duration maxTtl, Duration negativeTtl) {

    public DnsSettings {
        servers = List.copyOf(servers);
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS server");
        }
    }

    /** Reads the settings; a bad value names its parameter (and main.cf line). */
    public static DnsSettings from(PostfixParameters p) {
        List<InetSocketAddress> servers = new ArrayList<>();
        String list = set(p, "portcullis_dns_servers") ? p.string("portcullis_dns_servers") : "";
        if (list.isBlank()) {
            servers.addAll(resolvConf(Path.of("/etc/resolv.conf")));
        } else {
            for (String s : list.split("[\\s,]+")) {
                if (s.isEmpty()) {
                    continue;
                }
                InetSocketAddress a = server(s);
                if (a == null) {
                    throw p.invalid("portcullis_dns_servers", "bad server \"" + s + "\" (want ip, ip:port or [ipv6]:port)");
                }
                servers.add(a);
            }
        }
        if (servers.isEmpty()) {
            servers.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
        }
        Duration timeout = set(p, "portcullis_dns_timeout") ? p.time("portcullis_dns_timeout") : Duration.ofSeconds(5);
        if (timeout.isZero() || timeout.isNegative()) {
            throw p.invalid("portcullis_dns_timeout", "must be more than 0");
        }
        int attempts = set(p, "portcullis_dns_attempts") ? p.integer("portcullis_dns_attempts", 1, 10) : 2;
        int cache = set(p, "portcullis_dns_cache_size") ? p.integer("portcullis_dns_cache_size", 0, 10_000_000) : 10_000;
        Duration maxTtl = set(p, "portcullis_dns_max_ttl") ? p.time("portcullis_dns_max_ttl") : Duration.ofHours(1);
        Duration negTtl = set(p, "portcullis_dns_negative_ttl") ? p.time("portcullis_dns_negative_ttl")
                : Duration.ofMinutes(5);
        return new DnsSettings(servers, timeout, attempts, cache, maxTtl, negTtl);
    }

    private static boolean set(PostfixParameters p, String name) {
        return p.has(name) && !p.string(name).isBlank();
    }

    static InetSocketAddress server(String s) {
        String host = s;
        int port = 53;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = s.substring(1, close);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return null;
                }
                port = port(rest.substring(1));
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = port(s.substring(s.indexOf(':') + 1));
        }
        byte[] raw = host.indexOf(':') >= 0 ? InetPton.v6(host) : InetPton.v4(host);
        if (raw == null || port <= 0) {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(raw), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static int port(String s) {
        try {
            int p = Integer.parseInt(s);
            return p > 0 && p < 65536 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The "nameserver ADDRESS" lines of resolv.conf(5); what cannot be read is skipped. */
    static List<InetSocketAddress> resolvConf(Path file) {
        List<InetSocketAddress> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String[] w = line.strip().split("\\s+");
                if (w.length >= 2 && w[0].equals("nameserver")) {
                    String addr = w[1].indexOf('%') >= 0 ? w[1].substring(0, w[1].indexOf('%')) : w[1];
                    InetSocketAddress a = server(addr.indexOf(':') >= 0 ? "[" + addr + "]" : addr);
                    if (a != null) {
                        out.add(a);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // no resolv.conf: the caller falls back to the loopback resolver
        }
        return out;
    }
}
