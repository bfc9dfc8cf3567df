package dev.portcullis.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Postfix's {@code smtp-sink} test server on {@code 127.0.0.1:<free port>}, dumping every
 * received message into its own file ({@code -d}).
 *
 * <pre>{@code
 * assumeTrue(SmtpSink.available());
 * try (SmtpSink sink = new SmtpSink().start()) { ... sink.awaitMessages(1, Duration.ofSeconds(5)) ... }
 * try (SmtpSink sink = SmtpSink.rejecting("RCPT").start()) { ... }   // RCPT -> 500 5.3.0 Error: command failed
 * }</pre>
 *
 * <p>Dump file format (smtp-sink 3.7): every line ends in LF (the CRLF of the SMTP stream is not
 * kept), dot-stuffing is removed, and before the message smtp-sink writes its own header block:
 * {@code X-Client-Addr:}, {@code X-Client-Proto:}, {@code X-Helo-Args:} (if HELO/EHLO was sent),
 * {@code X-Mail-Args:}, one {@code X-Rcpt-Args:} per RCPT, then a three-line
 * {@code Received: from HELO ([ADDR])} / {@code \tby HOST (smtp-sink) with PROTO id ID;} /
 * {@code \tDATE} header; after the message it appends one empty line. {@link #content(byte[])}
 * strips both, leaving the message as received with LF line endings.
 *
 * <p>Reply modes ({@code man smtp-sink}): {@code -f CMDS} hard-rejects ({@code 500 5.3.0 Error:
 * command failed}, text settable with {@code -B}), {@code -r CMDS} soft-rejects
 * ({@code 450 4.3.0 Error: command failed}, {@code -b}), {@code -q CMDS} disconnects without a
 * reply, {@code -Q CMDS} replies {@code 421 4.0.0 Server closing connection} and disconnects.
 * CMDS are names like {@code CONNECT, HELO, EHLO, MAIL, RCPT, DATA, ., RSET, NOOP, QUIT}.
 * {@code -f}/{@code -r} also turn off PIPELINING. A message rejected at "." with {@code -f .} is
 * still dumped. If the dump file cannot be written smtp-sink exits (fatal).
 */
public final class SmtpSink implements AutoCloseable {

    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/sbin/smtp-sink"), Path.of("/usr/bin/smtp-sink"),
            Path.of("/usr/local/sbin/smtp-sink"));
    private static final String DUMP_PREFIX = "msg.";

    private final List<String> extraArgs;
    private Path dir;
    private Process process;
    private int port;

    public SmtpSink() {
        this(List.of());
    }

    /** @param extraArgs raw smtp-sink options placed before the listen address */
    public SmtpSink(List<String> extraArgs) {
        this.extraArgs = List.copyOf(extraArgs);
    }

    /** A sink with raw extra options, e.g. {@code withArgs("-W", "DATA:10")}. */
    public static SmtpSink withArgs(String... args) {
        return new SmtpSink(Arrays.asList(args));
    }

    /** Hard-rejects the given commands with {@code 500 5.3.0 Error: command failed} ({@code -f}). */
    public static SmtpSink rejecting(String... commands) {
        return withArgs("-f", String.join(",", commands));
    }

    /** Hard-rejects the given commands with {@code reply}, e.g. {@code "554 5.7.1 No"} ({@code -B}, {@code -f}). */
    public static SmtpSink rejectingWith(String reply, String... commands) {
        return withArgs("-B", reply, "-f", String.join(",", commands));
    }

    /** Soft-rejects the given commands with {@code 450 4.3.0 Error: command failed} ({@code -r}). */
    public static SmtpSink deferring(String... commands) {
        return withArgs("-r", String.join(",", commands));
    }

    /** Disconnects without a reply after the given commands ({@code -q}). */
    public static SmtpSink disconnectingAfter(String... commands) {
        return withArgs("-q", String.join(",", commands));
    }

    /** Replies {@code 421 4.0.0 Server closing connection} and disconnects after the given commands ({@code -Q}). */
    public static SmtpSink closingWith421After(String... commands) {
        return withArgs("-Q", String.join(",", commands));
    }

    /** True when an smtp-sink executable is installed. */
    public static boolean available() {
        return executable() != null;
    }

    private static Path executable() {
        for (Path p : CANDIDATES) {
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, "smtp-sink"))) {
                    return Path.of(d, "smtp-sink");
                }
            }
        }
        return null;
    }

    /** Starts smtp-sink on a free port and returns once it listens. */
    public synchronized SmtpSink start() {
        return start(0);
    }

    /**
     * Starts smtp-sink on the given port (0 = a free one) and returns once it listens; a test
     * that swaps next-hop behaviour keeps the port its edge was configured with.
     */
    public synchronized SmtpSink start(int fixedPort) {
        if (process != null || dir != null) {
            throw new IllegalStateException("already started");
        }
        Path exe = executable();
        if (exe == null) {
            throw new IllegalStateException("smtp-sink not installed");
        }
        try {
            dir = Files.createTempDirectory("portcullis-smtp-sink-");
            Path dumps = Files.createDirectories(dir.resolve("dumps"));
            boolean root = RealPostfix.isRoot();
            if (root) {
                // As root smtp-sink must drop privileges (-u nobody); nobody writes the dumps.
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.setPosixFilePermissions(dumps, PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            port = fixedPort > 0 ? fixedPort : FreePort.find();
            List<String> cmd = new ArrayList<>();
            cmd.add(exe.toString());
            if (root) {
                cmd.add("-u");
                cmd.add("nobody");
            }
            cmd.add("-d");
            cmd.add(dumps.resolve(DUMP_PREFIX).toString());
            cmd.addAll(extraArgs);
            cmd.add("127.0.0.1:" + port);
            cmd.add("64");
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("smtp-sink.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            Process p = process;
            FreePort.awaitListening(port, Duration.ofSeconds(15), p::isAlive, this::log);
            return this;
        } catch (IOException | RuntimeException e) {
            close();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot start smtp-sink", io);
            }
            throw (RuntimeException) e;
        }
    }

    public int port() {
        if (process == null) {
            throw new IllegalStateException("not started");
        }
        return port;
    }

    /** True while the smtp-sink process runs (it exits on fatal errors such as an unwritable dump). */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** smtp-sink's own stdout/stderr (fatal errors end up here). */
    public String log() {
        try {
            return dir == null ? "" : Files.readString(dir.resolve("smtp-sink.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The dump files' contents, oldest first. A file appears during a transaction (it was seen
     * after the first RCPT) and is complete once the client has received the reply to the final
     * "." (or to the last BDAT). An aborted transaction's file is removed again: before the reply
     * to RSET, but only shortly after the reply to QUIT or after a disconnect, so a test that
     * counts files should end open transactions with RSET or wait with {@link #awaitMessages}.
     */
    public List<byte[]> messages() {
        List<byte[]> out = new ArrayList<>();
        try {
            for (Path f : dumpFiles()) {
                out.add(Files.readAllBytes(f));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The dump files themselves, oldest first, as {@link #messages()} reads them; for a test that
     * re-reads a file while smtp-sink is still writing it. The same caveats apply: a file appears
     * during a transaction and disappears again if the transaction is aborted. The files are
     * deleted by {@link #close()}.
     */
    public List<Path> dumpFiles() {
        if (dir == null) {
            throw new IllegalStateException("not started");
        }
        try (Stream<Path> files = Files.list(dir.resolve("dumps"))) {
            return files.filter(p -> p.getFileName().toString().startsWith(DUMP_PREFIX))
                    .sorted(Comparator.comparing(SmtpSink::mtime).thenComparing(Path::toString))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Polls until at least {@code count} dump files exist; returns {@link #messages()}. */
    public List<byte[]> awaitMessages(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<byte[]> m = messages();
            if (m.size() >= count) {
                return m;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + count + " dumped messages, have " + m.size()
                        + " after " + timeout + "; smtp-sink log: " + log());
            }
            FreePort.pause(20);
        }
    }

    /**
     * Strips smtp-sink's generated header block (X-Client-Addr ... through its own three-line
     * Received header) and the empty line it appends, leaving the message as received (LF line
     * endings, dot-stuffing removed).
     */
    public static byte[] content(byte[] dump) {
        String s = new String(dump, StandardCharsets.ISO_8859_1);
        int pos = 0;
        // skip the X-* records
        while (s.startsWith("X-", pos)) {
            int nl = s.indexOf('\n', pos);
            if (nl < 0) {
                return new byte[0];
            }
            pos = nl + 1;
        }
        if (s.startsWith("Received: ", pos)) {
            int nl = s.indexOf('\n', pos);
            pos = nl < 0 ? s.length() : nl + 1;
            while (pos < s.length() && s.charAt(pos) == '\t') {
                nl = s.indexOf('\n', pos);
                pos = nl < 0 ? s.length() : nl + 1;
            }
        }
        int end = s.length();
        if (end > pos && s.charAt(end - 1) == '\n' && (end - 1 == pos || s.charAt(end - 2) == '\n')) {
            end--; // the empty line smtp-sink appends
        }
        return Arrays.copyOfRange(dump, pos, end);
    }

    /** Kills smtp-sink and deletes its directory. */
    @Override
    public synchronized void close() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            process = null;
        }
        RealPostfix.deleteTree(dir);
        dir = null;
    }

    private static FileTime mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
