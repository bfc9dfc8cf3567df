package dev.portcullis.testkit;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real DNS server for tests: Debian's dnsmasq (package dnsmasq-base) on 127.0.0.1 and an
 * ephemeral port, serving only the records a test gives it, authoritative-like for the
 * domains named {@link Builder#local} (unknown names there are NXDOMAIN, other types of a
 * known name NODATA) and nothing else (no upstream, no /etc/hosts).
 *
 * <pre>
 * assumeTrue(Dnsmasq.available(), "dnsmasq not installed (bin/install-test-peers)");
 * try (Dnsmasq dns = Dnsmasq.builder().local("test").hostRecord("good.test", "127.0.0.1").start()) { ... }
 * </pre>
 */
public final class Dnsmasq implements AutoCloseable {

    private static final Path BINARY = Path.of("/usr/sbin/dnsmasq");

    private final Process process;
    private final String address;
    private final int port;
    private final Path dir;

    private Dnsmasq(Process process, String address, int port, Path dir) {
        this.process = process;
        this.address = address;
        this.port = port;
        this.dir = dir;
    }

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What dnsmasq logged (one "query[TYPE] name from ..." line per query it got). */
    public String log() throws IOException {
        Path log = dir.resolve("log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    public int port() {
        return port;
    }

    /** "127.0.0.1:port", as portcullis_dns_servers takes it. */
    public String server() {
        return address + ":" + port;
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** The zone content, as dnsmasq configuration lines. */
    public static final class Builder {
        private final List<String> lines = new ArrayList<>();
        private int ttl = 60;
        private String address = "127.0.0.1";
        private int fixedPort;

        /**
         * Listen on this address and port instead of 127.0.0.1 and an ephemeral port: a system
         * resolver (resolv.conf) can only use port 53 (see {@link RealPostfix#withResolvConf}).
         */
        public Builder listen(String address, int port) {
            this.address = address;
            this.fixedPort = port;
            return this;
        }

        /** The TTL of every record served (dnsmasq's local-ttl; its own default, 0, defeats caching). */
        public Builder ttl(int seconds) {
            this.ttl = seconds;
            return this;
        }

        /** Answer for this domain (and below) from the records given only: NXDOMAIN otherwise. */
        public Builder local(String domain) {
            lines.add("local=/" + domain + "/");
            return this;
        }

        /** A (or AAAA) and the matching PTR. */
        public Builder hostRecord(String name, String address) {
            lines.add("host-record=" + name + "," + address);
            return this;
        }

        /** A PTR only: {@code ptr("192.0.2.1", "host.test")}. */
        public Builder ptr(String ipv4, String name) {
            String[] o = ipv4.split("\\.");
            lines.add("ptr-record=" + o[3] + "." + o[2] + "." + o[1] + "." + o[0] + ".in-addr.arpa," + name);
            return this;
        }

        /** An A record without a PTR (DNSBL answers, forward-only names). */
        public Builder a(String name, String ipv4) {
            StringBuilder hex = new StringBuilder();
            for (String o : ipv4.split("\\.")) {
                hex.append(String.format("%02x", Integer.parseInt(o)));
            }
            lines.add("dns-rr=" + name + ",1," + hex);
            return this;
        }

        public Builder mx(String name, String host, int preference) {
            lines.add("mx-host=" + name + "," + host + "," + preference);
            return this;
        }

        /** RFC 7505 null MX: preference 0, exchange ".". */
        public Builder nullMx(String name) {
            lines.add("dns-rr=" + name + ",15,000000");
            return this;
        }

        public Builder txt(String name, String text) {
            lines.add("txt-record=" + name + ",\"" + text.replace("\"", "") + "\"");
            return this;
        }

        /** Any other dnsmasq option line. */
        public Builder line(String line) {
            lines.add(line);
            return this;
        }

        public Dnsmasq start() throws IOException {
            if (!available()) {
                throw new IllegalStateException("dnsmasq is not installed (Debian package dnsmasq-base)");
            }
            Path dir = Files.createTempDirectory("dnsmasq");
            IOException last = null;
            for (int tries = 0; tries < 5; tries++) {
                int port = fixedPort > 0 ? fixedPort : FreePort.find();
                Path conf = dir.resolve("dnsmasq.conf");
                List<String> all = new ArrayList<>(List.of("port=" + port, "listen-address=" + address,
                        "bind-interfaces", "no-resolv", "no-hosts", "no-poll", "user=root", "pid-file=",
                        "log-facility=" + dir.resolve("log"), "log-queries", "local-ttl=" + ttl));
                all.addAll(lines);
                Files.write(conf, all, StandardCharsets.UTF_8);
                Process p = new ProcessBuilder(BINARY.toString(), "-k", "-C", conf.toString())
                        .redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
                Dnsmasq d = new Dnsmasq(p, address, port, dir);
                if (d.awaitReady(Duration.ofSeconds(10))) {
                    return d;
                }
                p.destroyForcibly();
                last = new IOException("dnsmasq did not answer on port " + port + ": "
                        + Files.readString(dir.resolve("out")));
            }
            throw last;
        }
    }

    /** Asks for the SOA of "." until dnsmasq answers anything. */
    private boolean awaitReady(Duration max) throws IOException {
        long end = System.nanoTime() + max.toNanos();
        byte[] query = HexFormat.of().parseHex("beef01000001000000000000" + "0000060001");
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName(address))) {
            s.setSoTimeout(200);
            while (System.nanoTime() < end) {
                if (!process.isAlive()) {
                    return false;
                }
                s.send(new DatagramPacket(query, query.length, InetAddress.getByName(address), port));
                try {
                    s.receive(new DatagramPacket(new byte[512], 512));
                    return true;
                } catch (SocketTimeoutException e) {
                    // not yet
                }
            }
        }
        return false;
    }
}
