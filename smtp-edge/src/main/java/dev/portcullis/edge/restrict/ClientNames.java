package dev.portcullis.edge.restrict;

import dev.portcullis.edge.dns.DnsResult;
import dev.portcullis.edge.dns.DnsType;
import dev.portcullis.edge.dns.Resolver;
import dev.portcullis.postfix.InetPton;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;

/**
 * Looks up the client's names as smtpd_peer.c does: the PTR of the address gives the reverse
 * name (a TEMPFAIL makes both names "unknown" with status TEMP; no PTR, or one that is not a
 * valid host name or looks like an address, PERM); then the reverse name is looked up
 * forward (A for an IPv4 client, AAAA for IPv6) and becomes the client name only when one of
 * the addresses is the client's (TEMP when that lookup fails temporarily, FORGED when it does
 * not lead back).
 */
final class ClientNames {

    private ClientNames() {
    }

    static CompletableFuture<ClientName> resolve(Resolver resolver, InetAddress client) {
        return resolver.query(reverseName(client), DnsType.PTR).thenCompose(ptr -> {
            if (ptr.status() == DnsResult.Status.TEMPFAIL) {
                return CompletableFuture.completedFuture(ClientName.unknown(ClientName.TEMP));
            }
            if (!ptr.ok()) {
                return CompletableFuture.completedFuture(ClientName.unknown(ClientName.PERM));
            }
            String name = ptr.values().get(0);
            if (!HostnameChecks.validHostname(name) || InetPton.v4(name) != null || InetPton.v6(name) != null) {
                return CompletableFuture.completedFuture(ClientName.unknown(ClientName.PERM));
            }
            DnsType type = client instanceof Inet4Address ? DnsType.A : DnsType.AAAA;
            return resolver.query(name, type).thenApply(fwd -> {
                if (fwd.status() == DnsResult.Status.TEMPFAIL) {
                    return new ClientName(ClientName.UNKNOWN, name, ClientName.TEMP, ClientName.OK);
                }
                for (String a : fwd.values()) {
                    if (same(a, client)) {
                        return new ClientName(name, name, ClientName.OK, ClientName.OK);
                    }
                }
                return new ClientName(ClientName.UNKNOWN, name, ClientName.FORGED, ClientName.OK);
            });
        });
    }

    private static boolean same(String text, InetAddress client) {
        byte[] raw = text.indexOf(':') >= 0 ? InetPton.v6(text) : InetPton.v4(text);
        try {
            return raw != null && InetAddress.getByAddress(raw).equals(client);
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** 1.2.0.192.in-addr.arpa, or the 32 nibbles under ip6.arpa. */
    static String reverseName(InetAddress a) {
        byte[] b = a.getAddress();
        StringBuilder sb = new StringBuilder(80);
        if (b.length == 4) {
            for (int i = 3; i >= 0; i--) {
                sb.append(b[i] & 0xff).append('.');
            }
            return sb.append("in-addr.arpa").toString();
        }
        for (int i = b.length - 1; i >= 0; i--) {
            sb.append(Character.forDigit(b[i] & 0xf, 16)).append('.').append(Character.forDigit((b[i] >> 4) & 0xf, 16))
                    .append('.');
        }
        return sb.append("ip6.arpa").toString();
    }

    /** The DNSBL query prefix of an address: reversed octets, or nibbles for IPv6, with a final dot. */
    static String reversedLabels(InetAddress a) {
        String r = reverseName(a);
        return r.substring(0, r.length() - (a.getAddress().length == 4 ? "in-addr.arpa".length() : "ip6.arpa".length()));
    }
}
