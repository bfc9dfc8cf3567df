package dev.portcullis.edge.dns;

import dev.portcullis.testkit.Dnsmasq;
import dev.portcullis.testkit.StubDnsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The resolver against a REAL DNS server (dnsmasq on loopback) for every answer kind and
 * the cache, and against misbehaving ones (silent, SERVFAIL, nothing listening) for the
 * failure paths: each ends as TEMPFAIL within attempts x timeout, and none is cached.
 */
class NettyResolverTest {

    private static Dnsmasq dns;

    @BeforeAll
    static void zone() throws Exception {
        Assumptions.assumeTrue(Dnsmasq.available(), "dnsmasq not installed (bin/install-test-peers installs dnsmasq-base)");
        dns = Dnsmasq.builder().ttl(60).local("test").local("127.in-addr.arpa")
                .hostRecord("good.test", "127.0.0.1")
                .hostRecord("six.test", "::1")
                .mx("mail.test", "mx.good.test", 10)
                .nullMx("nullmx.test")
                .txt("txt.test", "hello world")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    private static DnsSettings settings(Duration timeout, int attempts, String... servers) {
        return new DnsSettings(List.of(servers).stream().map(DnsSettings::server).toList(), timeout, attempts, 100,
                Duration.ofHours(1), Duration.ofMinutes(5));
    }

    private static DnsResult ask(Resolver r, String name, DnsType type) throws Exception {
        return r.query(name, type).get(30, TimeUnit.SECONDS);
    }

    @Test
    void everyAnswerKind() throws Exception {
        try (NettyResolver r = new NettyResolver(settings(Duration.ofSeconds(5), 2, dns.server()))) {
            assertEquals(List.of("127.0.0.1"), ask(r, "good.test", DnsType.A).values());
            assertEquals(List.of("127.0.0.1"), ask(r, "GOOD.test.", DnsType.A).values(), "case and final dot");
            assertEquals(DnsResult.Status.NODATA, ask(r, "good.test", DnsType.AAAA).status());
            assertEquals(DnsResult.Status.NXDOMAIN, ask(r, "nope.test", DnsType.A).status());
            assertEquals(List.of("0:0:0:0:0:0:0:1"), ask(r, "six.test", DnsType.AAAA).values());
            assertEquals(List.of("10 mx.good.test"), ask(r, "mail.test", DnsType.MX).values());
            assertEquals(List.of("0 ."), ask(r, "nullmx.test", DnsType.MX).values());
            assertEquals(List.of("hello world"), ask(r, "txt.test", DnsType.TXT).values());
            assertEquals(List.of("good.test"), ask(r, "1.0.0.127.in-addr.arpa", DnsType.PTR).values());
            DnsResult ok = ask(r, "mail.test", DnsType.MX);
            assertTrue(ok.ttlSeconds() > 0 && ok.ttlSeconds() <= 60, "TTL from the record: " + ok.ttlSeconds());
        }
    }

    @Test
    void cacheKeepsAnswersForTheirTtlAndIsBounded() throws Exception {
        AtomicLong now = new AtomicLong();
        DnsSettings s = new DnsSettings(List.of(DnsSettings.server(dns.server())), Duration.ofSeconds(5), 2, 3,
                Duration.ofHours(1), Duration.ofSeconds(30));
        try (NettyResolver r = new NettyResolver(s, now::get)) {
            ask(r, "good.test", DnsType.A);
            ask(r, "nope.test", DnsType.A);
            int before = count(dns.log(), "query[A] good.test");
            ask(r, "good.test", DnsType.A);
            ask(r, "nope.test", DnsType.A);
            assertEquals(before, count(dns.log(), "query[A] good.test"), "answered from the cache");
            assertEquals(1, count(dns.log(), "query[A] nope.test"), "NXDOMAIN cached too");
            now.addAndGet(TimeUnit.SECONDS.toNanos(31)); // past the negative TTL, not the positive one
            ask(r, "good.test", DnsType.A);
            ask(r, "nope.test", DnsType.A);
            assertEquals(before, count(dns.log(), "query[A] good.test"));
            assertEquals(2, count(dns.log(), "query[A] nope.test"), "negative answer expired after 30 s");
            now.addAndGet(TimeUnit.SECONDS.toNanos(30)); // past the record's 60 s
            ask(r, "good.test", DnsType.A);
            assertEquals(before + 1, count(dns.log(), "query[A] good.test"), "positive answer expired after its TTL");
            for (int i = 0; i < 20; i++) {
                ask(r, "n" + i + ".test", DnsType.A);
            }
            assertTrue(r.cached() <= 3, "bounded: " + r.cached());
        }
    }

    private static int count(String log, String what) {
        int n = 0;
        for (int i = log.indexOf(what); i >= 0; i = log.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void silentServerIsATempfailWithinAttemptsTimesTimeout() throws Exception {
        try (StubDnsServer silent = new StubDnsServer(StubDnsServer.Mode.SILENT);
             NettyResolver r = new NettyResolver(settings(Duration.ofMillis(400), 2, silent.server()))) {
            long t0 = System.nanoTime();
            DnsResult res = ask(r, "good.test", DnsType.A);
            long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
            assertEquals(DnsResult.Status.TEMPFAIL, res.status());
            assertEquals(2, silent.queries(), "one query per attempt");
            assertTrue(ms >= 700 && ms < 10_000, "two timeouts of 400 ms, took " + ms + " ms");
            ask(r, "good.test", DnsType.A);
            assertEquals(4, silent.queries(), "a TEMPFAIL is not cached");
        }
    }

    @Test
    void servfailAndNothingListeningAreTempfails() throws Exception {
        int dead;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort(); // closed again: nothing listens there
        }
        try (StubDnsServer servfail = new StubDnsServer(StubDnsServer.Mode.SERVFAIL);
             NettyResolver r1 = new NettyResolver(settings(Duration.ofSeconds(2), 3, servfail.server()));
             NettyResolver r2 = new NettyResolver(settings(Duration.ofMillis(500), 1, "127.0.0.1:" + dead))) {
            DnsResult res = ask(r1, "good.test", DnsType.MX);
            assertEquals(DnsResult.Status.TEMPFAIL, res.status());
            assertTrue(res.error().contains("ServFail"), res.error());
            assertEquals(3, servfail.queries(), "SERVFAIL is retried, attempts times");
            assertEquals(DnsResult.Status.TEMPFAIL, ask(r2, "good.test", DnsType.A).status());
        }
    }

    @Test
    void aDeadServerFailsOverToTheNext() throws Exception {
        try (StubDnsServer silent = new StubDnsServer(StubDnsServer.Mode.SILENT);
             NettyResolver r = new NettyResolver(settings(Duration.ofMillis(300), 2, silent.server(), dns.server()))) {
            assertEquals(List.of("127.0.0.1"), ask(r, "good.test", DnsType.A).values());
            assertEquals(1, silent.queries());
        }
    }

    @Test
    void lateAnswerAfterTheTimeoutIsIgnored() throws Exception {
        try (StubDnsServer late = new StubDnsServer(StubDnsServer.Mode.LATE, Duration.ofMillis(1500));
             NettyResolver r = new NettyResolver(settings(Duration.ofMillis(300), 1, late.server()))) {
            DnsResult res = ask(r, "good.test", DnsType.A);
            assertEquals(DnsResult.Status.TEMPFAIL, res.status());
            assertTrue(res.error().toLowerCase().contains("timeout") || res.error().contains("timed out"), res.error());
        }
    }

    @Test
    void serverListSyntax() {
        assertEquals(new InetSocketAddress("127.0.0.1", 5353), DnsSettings.server("127.0.0.1:5353"));
        assertEquals(new InetSocketAddress("127.0.0.1", 53), DnsSettings.server("127.0.0.1"));
        assertEquals(new InetSocketAddress("::1", 53), DnsSettings.server("[::1]:53"));
        assertEquals(null, DnsSettings.server("dns.example:53"), "names would need a resolver to resolve");
        assertEquals(null, DnsSettings.server("127.0.0.1:99999"));
    }
}
