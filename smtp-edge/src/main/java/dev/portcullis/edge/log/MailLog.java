package dev.portcullis.edge.log;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mail log, in Postfix's format, so that log tools built for Postfix (fail2ban's stock
 * {@code postfix} filter, pflogsumm) read it unchanged:
 * {@code Nov 22 03:08:03 edge1 postfix/smtpd[4242]: connect from unknown[192.0.2.7]}.
 * The program name is {@code syslog_name}/smtpd, as Postfix writes it.
 *
 * <p>Written to {@code maillog_file}, or standard output when that is empty, by one
 * background thread: sessions only offer a line to a bounded queue and never wait on disk.
 * Lines that do not fit are counted as dropped. Text from clients is cut to a printable
 * prefix before it gets here (see {@link dev.portcullis.edge.protocol.Untrusted}).
 */
public final class MailLog implements AutoCloseable {

    private static final DateTimeFormatter SYSLOG_TIME = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);
    private static final String STOP = new String("stop");

    private final String prefixHost;
    private final String program;
    private final Clock clock;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(65_536);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final Writer out;
    private final Thread writer;

    public MailLog(Path file, String syslogName, String hostname, Clock clock) throws IOException {
        this.prefixHost = shortHost(hostname);
        this.program = syslogName + "/smtpd[" + ProcessHandle.current().pid() + "]: ";
        this.clock = clock;
        if (file == null) {
            out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        } else {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        }
        writer = new Thread(this::drain, "maillog-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Logs one smtpd line; never blocks. */
    public void smtpd(String message) {
        String line = SYSLOG_TIME.format(ZonedDateTime.now(clock)) + " " + prefixHost + " " + program + message;
        if (!queue.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    public long dropped() {
        return dropped.get();
    }

    private static String shortHost(String hostname) {
        int dot = hostname.indexOf('.');
        return dot > 0 ? hostname.substring(0, dot) : hostname;
    }

    private void drain() {
        List<String> batch = new ArrayList<>(256);
        try {
            while (true) {
                String first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 255);
                boolean stop = false;
                try {
                    for (String line : batch) {
                        if (line == STOP) {
                            stop = true;
                            break;
                        }
                        out.write(line);
                        out.write('\n');
                    }
                    out.flush();
                } catch (IOException e) {
                    // Disk full or the like: lose this batch (counted), keep the writer alive so
                    // logging resumes when the disk does.
                    if (writeErrors.getAndIncrement() == 0) {
                        System.err.println("maillog: cannot write: " + e.getMessage());
                    }
                    dropped.addAndGet(batch.size());
                }
                batch.clear();
                if (stop) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        try {
            if (!queue.offer(STOP, 5, TimeUnit.SECONDS)) {
                writer.interrupt();
            }
            writer.join(5_000);
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // best effort at shutdown
        }
    }
}
