package dev.portcullis.edge.dns;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsPtrRecord;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@link Resolver} over Netty's DNS client (netty-resolver-dns, already on the edge's
 * classpath through Vert.x), with a bounded cache of our own.
 *
 * <p>How: one query goes to the servers in turn, {@code attempts} tries in all, each bounded
 * by {@code timeout}; a timeout, an unreachable server, SERVFAIL, REFUSED or any other rcode
 * but NOERROR/NXDOMAIN moves on to the next try, and after the last one the answer is
 * TEMPFAIL - so a query always ends within attempts x timeout. Netty's own caches are off
 * (they cover only A/AAAA); ours keys on (type, lower-case name), keeps positive answers for
 * their smallest record TTL and NXDOMAIN/NODATA for the SOA's negative TTL (RFC 2308), both
 * capped, and never keeps a TEMPFAIL. It is bounded by entry count (Caffeine's W-TinyLFU,
 * which also resists a flood of one-off names from attacker-chosen HELOs and senders).
 *
 * <p>All resolvers share one daemon I/O thread ("portcullis-dns"): DNS is a few small
 * datagrams per session, and the thread never runs session code - the futures are completed
 * there and callers hop back to their event loop.
 */
public final class NettyResolver implements Resolver, AutoCloseable {

    private static final EventLoopGroup IO = new NioEventLoopGroup(1, new DefaultThreadFactory("portcullis-dns", true));

    private record Key(DnsType type, String name) {
    }

    private final DnsSettings settings;
    private final DnsNameResolver netty;
    private final Cache<Key, DnsResult> cache;

    public NettyResolver(DnsSettings settings) {
        this(settings, Ticker.systemTicker());
    }

    NettyResolver(DnsSettings settings, Ticker ticker) {
        this.settings = settings;
        this.netty = new DnsNameResolverBuilder(IO.next())
                .datagramChannelType(NioDatagramChannel.class)
                .nameServerProvider(new SequentialDnsServerAddressStreamProvider(settings.servers()))
                .queryTimeoutMillis(settings.timeout().toMillis())
                .maxQueriesPerResolve(1)
                .recursionDesired(true)
                .resolvedAddressTypes(ResolvedAddressTypes.IPV4_PREFERRED)
                .resolveCache(NoopDnsCache.INSTANCE)
                .cnameCache(NoopDnsCnameCache.INSTANCE)
                .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
                .build();
        this.cache = Caffeine.newBuilder()
                .maximumSize(settings.cacheSize())
                .ticker(ticker)
                .expireAfter(new Expiry<Key, DnsResult>() {
                    @Override
                    public long expireAfterCreate(Key key, DnsResult value, long currentTime) {
                        return TimeUnit.SECONDS.toNanos(value.ttlSeconds());
                    }

                    @Override
                    public long expireAfterUpdate(Key key, DnsResult value, long currentTime, long currentDuration) {
                        return TimeUnit.SECONDS.toNanos(value.ttlSeconds());
                    }

                    @Override
                    public long expireAfterRead(Key key, DnsResult value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    @Override
    public CompletableFuture<DnsResult> query(String name, DnsType type) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        Key key = new Key(type, n);
        DnsResult cached = cache.getIfPresent(key);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        CompletableFuture<DnsResult> out = new CompletableFuture<>();
        attempt(key, 0, out);
        return out;
    }

    /** Cached answers (tests and metrics). */
    public long cached() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    private void attempt(Key key, int n, CompletableFuture<DnsResult> out) {
        InetSocketAddress server = settings.servers().get(n % settings.servers().size());
        DefaultDnsQuestion q = new DefaultDnsQuestion(key.name() + ".", key.type().netty);
        try {
            netty.query(server, q).addListener(f -> {
                DnsResult r;
                if (f.isSuccess()) {
                    @SuppressWarnings("unchecked")
                    AddressedEnvelope<DnsResponse, InetSocketAddress> env =
                            (AddressedEnvelope<DnsResponse, InetSocketAddress>) f.getNow();
                    try {
                        r = parse(env.content(), key.type());
                    } catch (RuntimeException e) {
                        r = DnsResult.tempfail("malformed reply from " + server + ": " + e);
                    } finally {
                        env.release();
                    }
                } else {
                    r = DnsResult.tempfail(server.getAddress().getHostAddress() + ":" + server.getPort() + ": "
                            + String.valueOf(f.cause().getMessage()));
                }
                finish(key, n, r, out);
            });
        } catch (RuntimeException e) {
            finish(key, n, DnsResult.tempfail(String.valueOf(e.getMessage())), out);
        }
    }

    private void finish(Key key, int n, DnsResult r, CompletableFuture<DnsResult> out) {
        if (r.status() == DnsResult.Status.TEMPFAIL && n + 1 < settings.attempts()) {
            attempt(key, n + 1, out);
            return;
        }
        if (r.status() != DnsResult.Status.TEMPFAIL && r.ttlSeconds() > 0) {
            cache.put(key, r);
        }
        out.complete(r);
    }

    private DnsResult parse(DnsResponse resp, DnsType type) {
        DnsResponseCode rc = resp.code();
        long maxTtl = settings.maxTtl().toSeconds();
        if (rc.equals(DnsResponseCode.NXDOMAIN)) {
            return new DnsResult(DnsResult.Status.NXDOMAIN, List.of(), negativeTtl(resp), null);
        }
        if (!rc.equals(DnsResponseCode.NOERROR)) {
            return DnsResult.tempfail("rcode " + rc);
        }
        List<String> values = new ArrayList<>();
        long ttl = maxTtl;
        int count = resp.count(DnsSection.ANSWER);
        for (int i = 0; i < count; i++) {
            DnsRecord rec = resp.recordAt(DnsSection.ANSWER, i);
            if (!rec.type().equals(type.netty)) {
                continue; // a CNAME on the way
            }
            String v = value(rec, type);
            if (v != null) {
                values.add(v);
                ttl = Math.min(ttl, rec.timeToLive());
            }
        }
        if (values.isEmpty()) {
            return new DnsResult(DnsResult.Status.NODATA, List.of(), negativeTtl(resp), null);
        }
        return new DnsResult(DnsResult.Status.OK, values, Math.max(0, ttl), null);
    }

    /** RFC 2308: min(SOA TTL, SOA MINIMUM), capped by portcullis_dns_negative_ttl. */
    private long negativeTtl(DnsResponse resp) {
        long cap = settings.negativeTtl().toSeconds();
        int n = resp.count(DnsSection.AUTHORITY);
        for (int i = 0; i < n; i++) {
            DnsRecord rec = resp.recordAt(DnsSection.AUTHORITY, i);
            if (rec.type().equals(DnsRecordType.SOA) && rec instanceof DnsRawRecord raw) {
                ByteBuf b = raw.content();
                if (b.readableBytes() >= 4) {
                    long minimum = b.getUnsignedInt(b.writerIndex() - 4);
                    return Math.min(cap, Math.min(rec.timeToLive(), minimum));
                }
            }
        }
        return cap;
    }

    private static String value(DnsRecord rec, DnsType type) {
        if (rec instanceof DnsPtrRecord ptr) {
            return stripDot(ptr.hostname());
        }
        if (!(rec instanceof DnsRawRecord raw)) {
            return null;
        }
        ByteBuf b = raw.content().duplicate();
        switch (type) {
            case A, AAAA -> {
                int len = type == DnsType.A ? 4 : 16;
                if (b.readableBytes() != len) {
                    return null;
                }
                byte[] addr = new byte[len];
                b.readBytes(addr);
                try {
                    return InetAddress.getByAddress(addr).getHostAddress();
                } catch (UnknownHostException e) {
                    return null;
                }
            }
            case MX -> {
                int pref = b.readUnsignedShort();
                String host = DefaultDnsRecordDecoder.decodeName(b);
                return pref + " " + (host.equals(".") ? "." : stripDot(host));
            }
            case PTR -> {
                return stripDot(DefaultDnsRecordDecoder.decodeName(b));
            }
            case TXT -> {
                StringBuilder sb = new StringBuilder();
                while (b.isReadable()) {
                    int len = b.readUnsignedByte();
                    sb.append(b.readCharSequence(Math.min(len, b.readableBytes()), StandardCharsets.ISO_8859_1));
                }
                return sb.toString();
            }
            default -> {
                return null;
            }
        }
    }

    private static String stripDot(String name) {
        return name.length() > 1 && name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    @Override
    public void close() {
        netty.close();
    }
}
