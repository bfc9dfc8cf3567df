package dev.portcullis.agent.nft;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces made for one test and joined by a veth pair: a "server" namespace,
 * where the agent's nftables table goes and TCP listeners run, and a "client" namespace with
 * several source addresses (IPv4 and IPv6) to connect from. Nothing touches the host's own
 * network: every address and rule lives in the namespaces, which {@link #close()} deletes.
 *
 * <pre>
 *   client ns  cli0  10.77.N.2, .3, .4 / fd77:N::2, ::3  ----veth----  srv0  10.77.N.1 / fd77:N::1  server ns
 * </pre>
 */
public final class Netns implements AutoCloseable {

    public static final String SERVER_V4 = "1";
    private final String server;
    private final String client;
    private final int net;
    private final List<Process> listeners = new ArrayList<>();
    private boolean closed;

    private Netns(String server, String client, int net) {
        this.server = server;
        this.client = client;
        this.net = net;
    }

    /** Whether this machine can make namespaces and run nft in them (root, ip, nft, python3). */
    public static boolean available() {
        return Files.isExecutable(Path.of("/usr/sbin/ip")) && Files.isExecutable(Path.of("/usr/sbin/nft"))
                && Files.isExecutable(Path.of("/usr/bin/python3")) && isRoot();
    }

    private static final java.util.concurrent.atomic.AtomicInteger CREATED = new java.util.concurrent.atomic.AtomicInteger();

    public static Netns create() {
        int n = ThreadLocalRandom.current().nextInt(1, 250);
        // Unique per JVM (pid), per class loader (Quarkus tests load this class a second time, with
        // its own counter) and per call: a random suffix alone collided in CI ("File exists").
        String tag = Long.toString(ProcessHandle.current().pid(), 36) + "-"
                + Integer.toString(System.identityHashCode(Netns.class), 36) + "-" + CREATED.incrementAndGet();
        Netns ns = new Netns("pcsrv" + tag, "pccli" + tag, n);
        // a test JVM that is stopped half-way still removes its namespaces
        Runtime.getRuntime().addShutdownHook(new Thread(ns::close, "netns-cleanup"));
        try {
            ns.setUp();
            return ns;
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    private void setUp() {
        sh("ip", "netns", "add", server);
        sh("ip", "netns", "add", client);
        sh("ip", "-n", server, "link", "add", "srv0", "type", "veth", "peer", "name", "cli0", "netns", client);
        sh("ip", "-n", server, "link", "set", "lo", "up");
        sh("ip", "-n", client, "link", "set", "lo", "up");
        sh("ip", "-n", server, "addr", "add", v4(1) + "/24", "dev", "srv0");
        sh("ip", "-n", server, "addr", "add", v6(1) + "/64", "dev", "srv0", "nodad");
        for (int host : new int[]{2, 3, 4}) {
            sh("ip", "-n", client, "addr", "add", v4(host) + "/24", "dev", "cli0");
            sh("ip", "-n", client, "addr", "add", v6(host) + "/64", "dev", "cli0", "nodad");
        }
        // no duplicate address detection: a tentative link-local address makes neighbour
        // discovery fail ("No route to host") in the first seconds after the link comes up
        sh("ip", "netns", "exec", server, "sysctl", "-qw", "net.ipv6.conf.srv0.accept_dad=0");
        sh("ip", "netns", "exec", client, "sysctl", "-qw", "net.ipv6.conf.cli0.accept_dad=0");
        sh("ip", "-n", server, "link", "set", "srv0", "up");
        sh("ip", "-n", client, "link", "set", "cli0", "up");
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!(sh("ip", "-n", server, "-6", "addr", "show", "tentative").isBlank()
                && sh("ip", "-n", client, "-6", "addr", "show", "tentative").isBlank())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("IPv6 addresses still tentative after 20 s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** An IPv4 address of the test network: host 1 is the server, 2-4 the client's. */
    public String v4(int host) {
        return "10.77." + net + "." + host;
    }

    /** The test network /24. */
    public String v4Net() {
        return "10.77." + net + ".0/24";
    }

    public String v6(int host) {
        return "fd77:" + Integer.toHexString(net) + "::" + host;
    }

    /** The command prefix that runs nft inside the server namespace. */
    public List<String> nftCommand() {
        return List.of("ip", "netns", "exec", server, "nft");
    }

    public String server() {
        return server;
    }

    /** Starts a TCP listener in the server namespace on every address, accepting and closing each connection. */
    public void listen(int... ports) {
        StringBuilder py = new StringBuilder("import socket,threading,sys\n")
                .append("def serve(p):\n")
                .append("  s=socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n")
                .append("  s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0); s.bind(('::',p)); s.listen(64)\n")
                .append("  while True:\n    c,_=s.accept(); c.close()\n")
                .append("ts=[threading.Thread(target=serve,args=(int(p),),daemon=True) for p in sys.argv[1:]]\n")
                .append("[t.start() for t in ts]\nprint('ready',flush=True)\nsys.stdin.read()\n");
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", server, "python3", "-c", py.toString()));
        for (int p : ports) {
            cmd.add(String.valueOf(p));
        }
        startListener(cmd);
    }

    /** Starts {@code cmd} (a server that prints "ready" once listening) and waits for it to be ready. */
    private void startListener(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            listeners.add(p);
            String first = new String(p.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
            if (!first.startsWith("ready")) {
                throw new IllegalStateException("listener did not start: " + first);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether a TCP connection from {@code source} (a client address) to the server on
     * {@code port} is established within {@code timeoutMillis}: false when the SYN is dropped.
     */
    public boolean connects(String source, int port, int timeoutMillis) {
        boolean v6 = source.contains(":");
        String dst = v6 ? v6(1) : v4(1);
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)\n"
                + "s.settimeout(" + (timeoutMillis / 1000.0) + ")\n"
                + "s.bind((sys.argv[1],0))\n"
                + "try:\n  s.connect((sys.argv[2],int(sys.argv[3]))); print('connected')\n"
                + "except socket.timeout:\n  print('timeout')\n"
                + "except OSError as e:\n  print('error',e)\n";
        String out = sh("ip", "netns", "exec", client, "python3", "-c", py, source, dst, String.valueOf(port)).strip();
        if (out.startsWith("connected")) {
            return true;
        }
        if (out.startsWith("timeout")) {
            return false;
        }
        throw new IllegalStateException("connect from " + source + " to " + dst + ":" + port + ": " + out);
    }

    /** Starts a UDP echo server in the server namespace on every IPv4 address, port {@code port}. */
    public void listenUdp(int port) {
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',int(sys.argv[1])))\n"
                + "print('ready',flush=True)\n"
                + "while True:\n  d,a=s.recvfrom(512); s.sendto(d,a)\n";
        startListener(List.of("ip", "netns", "exec", server, "python3", "-c", py, String.valueOf(port)));
    }

    /** Whether a UDP datagram from {@code source} (IPv4) to the server's echo on {@code port} is answered in time. */
    public boolean udpEchoes(String source, int port, int timeoutMillis) {
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(" + (timeoutMillis / 1000.0) + ")\n"
                + "s.bind((sys.argv[1],0)); s.sendto(b'ping',(sys.argv[2],int(sys.argv[3])))\n"
                + "try:\n  s.recvfrom(512); print('answered')\n"
                + "except socket.timeout:\n  print('timeout')\n";
        String out = sh("ip", "netns", "exec", client, "python3", "-c", py, source, v4(1), String.valueOf(port)).strip();
        if (!out.equals("answered") && !out.equals("timeout")) {
            throw new IllegalStateException("UDP from " + source + " to " + v4(1) + ":" + port + ": " + out);
        }
        return out.equals("answered");
    }

    /** Runs nft in the server namespace with the given arguments; its output. */
    public String nft(String... args) {
        List<String> cmd = new ArrayList<>(nftCommand());
        cmd.addAll(List.of(args));
        return sh(cmd.toArray(String[]::new));
    }

    /** How many elements the sets of {@code table} (family inet) hold, counted from nft's own listing. */
    public long elementCount(String table) {
        String listing = nft("list", "table", "inet", table);
        long n = 0;
        int at = 0;
        while ((at = listing.indexOf("elements = {", at)) >= 0) {
            int end = listing.indexOf('}', at);
            n += listing.substring(at, end).chars().filter(c -> c == ',').count() + 1;
            at = end;
        }
        return n;
    }

    /** Applies an nft script in the server namespace. */
    public void nftScript(String script) {
        try {
            Path f = Files.createTempFile("netns-", ".nft");
            try {
                Files.writeString(f, script);
                nft("-f", f.toString());
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timeout: " + String.join(" ", cmd));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Process p : listeners) {
            p.destroyForcibly();
        }
        for (String ns : List.of(server, client)) {
            try {
                new ProcessBuilder("ip", "netns", "del", ns).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
            } catch (IOException e) {
                // best effort
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
