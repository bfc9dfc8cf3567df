package dev.portcullis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real Postfix instance for tests: its own temporary config directory, queue directory, data
 * directory and maillog file, with one {@code smtpd} listener on {@code 127.0.0.1:<free port>}.
 *
 * <pre>{@code
 * assumeTrue(RealPostfix.available());
 * try (RealPostfix postfix = new RealPostfix(Map.of("smtpd_timeout", "5s"))) {
 *     postfix.start();
 *     try (SmtpTestClient c = SmtpTestClient.connect("127.0.0.1", postfix.port())) { ... }
 *     postfix.awaitMaillog(l -> l.contains("disconnect from"), Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>main.cf is {@link #DEFAULTS} with the given overrides on top (an override whose value is
 * {@code null} removes the default line, leaving Postfix's built-in default). The directory
 * settings ({@code queue_directory}, {@code data_directory}, {@code maillog_file},
 * {@code maillog_file_prefixes}) are always set by the fixture. All delivery transports default
 * to {@code discard:}, so accepted mail is queued and then dropped without any delivery attempt;
 * override {@code relay_transport} (e.g. {@code smtp:[127.0.0.1]:PORT}) to relay to an
 * {@link SmtpSink}.
 *
 * <p>Running several instances side by side needs root (Postfix's master must start as root),
 * and per instance a distinct {@code queue_directory} (holds {@code pid/master.pid} and the
 * sockets), a distinct {@code data_directory} owned by the {@code mail_owner} (holds
 * {@code master.lock}) and a distinct listener port. No {@code alternate_config_directories} or
 * {@code multi_instance_directories} entry in /etc/postfix/main.cf is needed: Postfix only
 * enforces that list for set-uid/set-gid ("unsafe") callers, not for a root process running
 * {@code postfix -c DIR start}. {@code maillog_file} must match {@code maillog_file_prefixes}
 * (default {@code /var, /dev/stdout}), so the fixture sets the prefix to its own directory.
 * The queue subdirectories are created with the right owners by {@code postfix start} itself
 * (its {@code check} step), so {@code postfix set-permissions} is not needed.
 */
public final class RealPostfix implements AutoCloseable {

    public static final Path POSTFIX = Path.of("/usr/sbin/postfix");
    public static final Path POSTCONF = Path.of("/usr/sbin/postconf");

    /**
     * Test defaults written to main.cf before the overrides. Note the tarpit: sleep 1s, soft
     * limit 3, hard limit 6 (Postfix's own defaults are 1s/10/20), and all transports
     * {@code discard:}.
     */
    public static final Map<String, String> DEFAULTS = defaults();

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    private final Map<String, String> overrides;
    private final List<String> extraMasterLines = new ArrayList<>();
    private final List<String> smtpdOptions = new ArrayList<>();
    private Path dir;
    /** Null: the host's /etc/resolv.conf. */
    private Path resolvConf;
    private int port;
    private boolean started;
    private Thread shutdownHook;

    public RealPostfix() {
        this(Map.of());
    }

    /** @param overrides main.cf settings on top of {@link #DEFAULTS}; a null value removes a default */
    public RealPostfix(Map<String, String> overrides) {
        this.overrides = new LinkedHashMap<>(overrides);
    }

    /** Starts a new instance with the given overrides (convenience for {@code new + start}). */
    public static RealPostfix started(Map<String, String> overrides) {
        RealPostfix p = new RealPostfix(overrides);
        p.start();
        return p;
    }

    /** True when Postfix is installed and this JVM runs as root (Postfix's master needs root). */
    public static boolean available() {
        return Files.isExecutable(POSTFIX) && Files.isExecutable(POSTCONF) && isRoot();
    }

    /**
     * Runs this Postfix with its own /etc/resolv.conf: master (and every daemon it starts)
     * lives in a private mount namespace ({@code unshare --mount}) where {@code resolvConf} is
     * bind-mounted over /etc/resolv.conf; the network is the host's, so the listener stays on
     * 127.0.0.1. The system resolver talks to port 53 only: point the file at a test DNS
     * server listening on port 53 of some loopback address. Needs root and util-linux
     * {@code unshare}. Call before {@link #start()}.
     */
    public RealPostfix withResolvConf(Path resolvConf) {
        checkNotStarted();
        this.resolvConf = resolvConf;
        return this;
    }

    /** Adds a raw line to master.cf (e.g. another service). Call before {@link #start()}. */
    public RealPostfix withMasterCfLine(String line) {
        checkNotStarted();
        extraMasterLines.add(line);
        return this;
    }

    /** Adds {@code -o name=value} to the smtpd listener in master.cf. Call before {@link #start()}. */
    public RealPostfix withSmtpdOption(String name, String value) {
        checkNotStarted();
        smtpdOptions.add("  -o " + name + "=" + value);
        return this;
    }

    /** Writes the configuration, starts Postfix and returns once the listener accepts connections. */
    public synchronized RealPostfix start() {
        checkNotStarted();
        if (!available()) {
            throw new IllegalStateException("Postfix not available (needs " + POSTFIX + " and root)");
        }
        try {
            dir = Files.createTempDirectory("portcullis-postfix-");
            // Postfix daemons run as mail_owner and must traverse this directory.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectories(configDirectory());
            Files.createDirectories(queueDirectory());
            Path data = Files.createDirectories(dir.resolve("data"));
            Files.setOwner(data, mailOwner());
            port = FreePort.find();
            Files.writeString(configDirectory().resolve("main.cf"), mainCf(), StandardCharsets.UTF_8);
            Files.writeString(configDirectory().resolve("master.cf"), masterCf(), StandardCharsets.UTF_8);
            started = true;
            shutdownHook = new Thread(this::stopQuietly, "RealPostfix-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);

            List<String> start = List.of(POSTFIX.toString(), "-c", configDirectory().toString(), "start");
            if (resolvConf != null) {
                start = List.of("unshare", "--mount", "--", "sh", "-c",
                        "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", resolvConf.toString(),
                        POSTFIX.toString(), "-c", configDirectory().toString(), "start");
            }
            Result r = run(start);
            if (r.exit != 0) {
                throw new IllegalStateException("postfix start failed (exit " + r.exit + "):\n"
                        + r.output + "\n" + maillogTail());
            }
            FreePort.awaitListening(port, START_TIMEOUT, this::masterAlive, this::maillogTail);
            return this;
        } catch (IOException | RuntimeException e) {
            close();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot start Postfix", io);
            }
            throw (RuntimeException) e;
        }
    }

    /** The smtpd listener port on 127.0.0.1. */
    public int port() {
        checkStarted();
        return port;
    }

    /** The maillog file (written by postlogd; lines appear asynchronously). */
    public Path maillog() {
        checkStarted();
        return dir.resolve("maillog");
    }

    /** The instance's base directory (conf/, queue/, data/, maillog). */
    public Path directory() {
        checkStarted();
        return dir;
    }

    public Path configDirectory() {
        return dir.resolve("conf");
    }

    public Path queueDirectory() {
        return dir.resolve("queue");
    }

    /** Current maillog lines (empty list when the file does not exist yet). */
    public List<String> maillogLines() {
        try {
            return Files.readAllLines(maillog(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Polls the maillog until a line matches, and returns that line. Log lines are written by
     * separate processes after the SMTP reply, so tests should wait with this rather than read once.
     */
    public String awaitMaillog(Predicate<String> matcher, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String line : maillogLines()) {
                if (matcher.test(line)) {
                    return line;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no matching maillog line within " + timeout + "\n" + maillogTail());
            }
            FreePort.pause(25);
        }
    }

    /** The effective value of a main.cf parameter of this instance ({@code postconf -c DIR -h}). */
    public String postconf(String name) {
        checkStarted();
        Result r = run(List.of(POSTCONF.toString(), "-c", configDirectory().toString(), "-h", name));
        if (r.exit != 0) {
            throw new IllegalStateException("postconf " + name + " failed: " + r.output);
        }
        return r.output.strip();
    }

    /** Stops Postfix ({@code postfix -c DIR stop}, which waits for master to exit) and deletes the directory. */
    @Override
    public synchronized void close() {
        if (dir == null) {
            return;
        }
        stopQuietly();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException ignored) {
                // JVM already shutting down
            }
            shutdownHook = null;
        }
        deleteTree(dir);
        dir = null;
        started = false;
    }

    private void stopQuietly() {
        if (!started || dir == null) {
            return;
        }
        long pid = masterPid();
        if (Files.exists(configDirectory().resolve("main.cf"))) {
            run(List.of(POSTFIX.toString(), "-c", configDirectory().toString(), "stop"));
        }
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ph -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (ph.isAlive() && System.nanoTime() < deadline) {
                    FreePort.pause(20);
                }
                if (ph.isAlive()) {
                    ph.destroyForcibly();
                }
            });
        }
        started = false;
    }

    private long masterPid() {
        try {
            String s = Files.readString(queueDirectory().resolve("pid/master.pid")).strip();
            return s.isEmpty() ? -1 : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private boolean masterAlive() {
        long pid = masterPid();
        if (pid <= 0) {
            return true; // pid file not written yet: give it time
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private String maillogTail() {
        if (dir == null) {
            return "";
        }
        try {
            List<String> lines = Files.readAllLines(dir.resolve("maillog"), StandardCharsets.UTF_8);
            return "maillog (last lines):\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no maillog)";
        }
    }

    private String mainCf() {
        Map<String, String> cf = new LinkedHashMap<>(DEFAULTS);
        overrides.forEach((k, v) -> {
            if (v == null) {
                cf.remove(k);
            } else {
                cf.put(k, v);
            }
        });
        cf.put("queue_directory", queueDirectory().toString());
        cf.put("data_directory", dir.resolve("data").toString());
        cf.put("maillog_file", dir.resolve("maillog").toString());
        cf.put("maillog_file_prefixes", dir.toString());
        StringBuilder sb = new StringBuilder("# written by dev.portcullis.testkit.RealPostfix\n");
        cf.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        return sb.toString();
    }

    private String masterCf() {
        StringBuilder sb = new StringBuilder("# written by dev.portcullis.testkit.RealPostfix (no chroot)\n");
        sb.append("127.0.0.1:").append(port).append(" inet n - n - - smtpd\n");
        smtpdOptions.forEach(o -> sb.append(o).append('\n'));
        for (String line : List.of(
                "pickup    unix  n       -       n       60      1       pickup",
                "cleanup   unix  n       -       n       -       0       cleanup",
                "qmgr      unix  n       -       n       300     1       qmgr",
                "rewrite   unix  -       -       n       -       -       trivial-rewrite",
                "bounce    unix  -       -       n       -       0       bounce",
                "defer     unix  -       -       n       -       0       bounce",
                "trace     unix  -       -       n       -       0       bounce",
                "verify    unix  -       -       n       -       1       verify",
                "flush     unix  n       -       n       1000?   0       flush",
                "proxymap  unix  -       -       n       -       -       proxymap",
                "proxywrite unix -       -       n       -       1       proxymap",
                "smtp      unix  -       -       n       -       -       smtp",
                "relay     unix  -       -       n       -       -       smtp",
                "showq     unix  n       -       n       -       -       showq",
                "error     unix  -       -       n       -       -       error",
                "retry     unix  -       -       n       -       -       error",
                "discard   unix  -       -       n       -       -       discard",
                "local     unix  -       n       n       -       -       local",
                "anvil     unix  -       -       n       -       1       anvil",
                "scache    unix  -       -       n       -       1       scache",
                "postlog   unix-dgram n  -       n       -       1       postlogd")) {
            sb.append(line).append('\n');
        }
        extraMasterLines.forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("compatibility_level", "3.6");
        d.put("myhostname", "oracle.example");
        d.put("mydomain", "oracle.example");
        d.put("myorigin", "oracle.example");
        d.put("mydestination", "oracle.example");
        d.put("relay_domains", "relay.example");
        // Loopback must not be in mynetworks: it would exempt the test client from relay rules.
        d.put("mynetworks", "192.0.2.0/24");
        // ...and from anvil limits.
        d.put("smtpd_client_event_limit_exceptions", "");
        d.put("smtpd_peername_lookup", "no");
        d.put("inet_interfaces", "127.0.0.1");
        d.put("inet_protocols", "ipv4");
        d.put("smtpd_error_sleep_time", "1s");
        d.put("smtpd_soft_error_limit", "3");
        d.put("smtpd_hard_error_limit", "6");
        d.put("local_transport", "discard:");
        d.put("default_transport", "discard:");
        d.put("relay_transport", "discard:");
        d.put("alias_maps", "");
        d.put("alias_database", "");
        d.put("biff", "no");
        return Collections.unmodifiableMap(d);
    }

    private void checkNotStarted() {
        if (started || dir != null) {
            throw new IllegalStateException("already started");
        }
    }

    private void checkStarted() {
        if (dir == null) {
            throw new IllegalStateException("not started");
        }
    }

    private static UserPrincipal mailOwner() throws IOException {
        String owner = "postfix";
        Result r = run(List.of(POSTCONF.toString(), "-dh", "mail_owner"));
        if (r.exit == 0 && !r.output.isBlank()) {
            owner = r.output.strip();
        }
        return java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService()
                .lookupPrincipalByName(owner);
    }

    static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    record Result(int exit, String output) {
    }

    static Result run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timeout: " + command);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, e.toString());
        }
    }

    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // best effort
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) {
                    try {
                        Files.deleteIfExists(d);
                    } catch (IOException ignored) {
                        // best effort
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
