package dev.portcullis.agent.export;

import dev.portcullis.agent.Daemons;
import dev.portcullis.agent.LiveSet;
import dev.portcullis.agent.Untrusted;
import dev.portcullis.events.Cidr;
import dev.portcullis.events.Decision;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes the live decisions as a Postfix {@code cidr:} table (cidr_table(5)), for
 * {@code check_client_access cidr:/path/to/file} on a Postfix host that has no other link to
 * the cluster.
 *
 * <p>Format: one {@code network/prefix value} line per decision in force that covers the
 * exported port; the table is searched in file order and the first match wins, so every
 * allow line comes first (an exception wins over every ban, as in the decision table), then
 * the bans from the most specific network to the least. IPv6 networks are written bare
 * ({@code 2001:db8::/64}), as cidr_table(5) takes them. A comment header says what wrote
 * the file and when.
 *
 * <p>Writing: the whole file is written to a temporary file in the same directory, forced
 * to disk and renamed over the table, so a Postfix process opening it sees the old table or
 * the new one, never half of one. It is rewritten only when its content changes: after a
 * change on the bus (collected for {@code interval}), and when the next exported decision
 * expires (a cidr table has no expiry of its own). Postfix reads a cidr table when a process
 * starts; an optional reload command ({@code postfix reload}) makes running ones see it at once.
 */
public final class CidrExport implements LiveSet.Listener, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CidrExport.class);

    private final LiveSet live;
    private final Path file;
    private final String banValue;
    private final String allowValue;
    private final int port;
    private final List<String> reloadCommand;
    private final Duration interval;
    private volatile boolean dirty = true;
    private volatile boolean replayed;
    private volatile boolean written;
    private volatile Instant nextExpiry;
    private volatile String lastContent;
    private volatile String lastError;
    private volatile int entries;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private ScheduledExecutorService executor;

    public CidrExport(LiveSet live, Path file, String banValue, String allowValue, int port, List<String> reloadCommand,
                      Duration interval) {
        this.live = live;
        this.file = file.toAbsolutePath();
        this.banValue = banValue;
        this.allowValue = allowValue;
        this.port = port;
        this.reloadCommand = List.copyOf(reloadCommand);
        this.interval = interval;
    }

    public synchronized void start() {
        executor = Daemons.every("portcullis-agent-export", interval, this::tick);
    }

    @Override
    public void changed(String cidr) {
        dirty = true;
    }

    @Override
    public void replayed() {
        replayed = true;
    }

    void tick() {
        if (!replayed) {
            return;
        }
        Instant now = live.clock().instant();
        Instant expiry = nextExpiry;
        if (!dirty && (expiry == null || now.isBefore(expiry))) {
            return;
        }
        dirty = false;
        try {
            write(now);
        } catch (IOException | RuntimeException e) {
            dirty = true;
            failures.incrementAndGet();
            lastError = Untrusted.printable(e.toString(), 300);
            LOG.errorf("cannot write the cidr table %s: %s", file, lastError);
        }
    }

    /** Renders the table for the decisions in force at {@code now}. */
    String render(Instant now) {
        List<Decision> allow = new ArrayList<>();
        List<Decision> ban = new ArrayList<>();
        Instant soonest = null;
        for (Decision d : live.decisions().snapshot()) {
            if (!d.activeAt(now) || !d.coversPort(port)) {
                continue;
            }
            (d.action() == Decision.Action.ALLOW ? allow : ban).add(d);
            if (d.expires() != null && (soonest == null || d.expires().isBefore(soonest))) {
                soonest = d.expires();
            }
        }
        nextExpiry = soonest;
        Comparator<Decision> specificFirst = Comparator.comparingInt((Decision d) -> -Cidr.parse(d.cidr()).prefix())
                .thenComparing(Decision::cidr);
        allow.sort(specificFirst);
        ban.sort(specificFirst);
        StringBuilder sb = new StringBuilder(64 + 40 * (allow.size() + ban.size()));
        sb.append("# Postfix cidr table written by the Portcullis enforcement agent from portcullis.decisions.\n")
                .append("# Do not edit: it is replaced whenever the decisions change. Allow lines come first.\n")
                .append("# ").append(allow.size()).append(" allow, ").append(ban.size()).append(" ban; port ")
                .append(port).append('\n');
        for (Decision d : allow) {
            line(sb, d, allowValue);
        }
        for (Decision d : ban) {
            line(sb, d, banValue);
        }
        entries = allow.size() + ban.size();
        return sb.toString();
    }

    private static void line(StringBuilder sb, Decision d, String value) {
        sb.append(Cidr.canonical(d.cidr())).append(' ').append(value).append('\n');
    }

    private void write(Instant now) throws IOException {
        String content = render(now);
        String body = content.substring(content.indexOf('\n', content.indexOf('\n') + 1) + 1);
        if (lastContent != null && lastContent.equals(body) && Files.exists(file)) {
            return;
        }
        Path dir = file.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(StandardCharsets.US_ASCII.encode(content));
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename atomically into " + dir + ": " + e.getMessage(), e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        lastContent = body;
        written = true;
        lastError = null;
        writes.incrementAndGet();
        reload();
    }

    private void reload() {
        if (reloadCommand.isEmpty()) {
            return;
        }
        try {
            Process p = new ProcessBuilder(reloadCommand).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.warnf("reload command %s did not finish within 60s", reloadCommand);
            } else if (p.exitValue() != 0) {
                LOG.warnf("reload command %s exited with %d", reloadCommand, p.exitValue());
            }
        } catch (IOException e) {
            LOG.warnf("cannot run reload command %s: %s", reloadCommand, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the table has been written since the replay completed. */
    public boolean isWritten() {
        return written;
    }

    public Path file() {
        return file;
    }

    public int entries() {
        return entries;
    }

    public long writes() {
        return writes.get();
    }

    public long failures() {
        return failures.get();
    }

    public String lastError() {
        return lastError;
    }

    @Override
    public synchronized void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
