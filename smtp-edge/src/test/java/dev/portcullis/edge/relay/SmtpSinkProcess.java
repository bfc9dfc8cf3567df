package dev.portcullis.edge.relay;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Postfix's smtp-sink(1) on 127.0.0.1 and a free port, dumping each transaction to a file
 * ({@code -d dir/%M.}). Stand-in until testkit's SmtpSink fixture exists.
 *
 * <p>Dump format (observed, Postfix 3.7): smtp-sink's own headers X-Client-Addr,
 * X-Client-Proto, X-Helo-Args, X-Mail-Args, one X-Rcpt-Args per RCPT, then a three-line
 * Received header, then the message as received with dots unstuffed and CRLF turned into LF
 * (a bare CR is dropped), then one empty line.
 */
final class SmtpSinkProcess implements AutoCloseable {

    static final String BINARY = "/usr/sbin/smtp-sink";

    final int port;
    final Path dumpDir;
    private final Process process;
    private final Path log;

    private SmtpSinkProcess(int port, Path dumpDir, Process process, Path log) {
        this.port = port;
        this.dumpDir = dumpDir;
        this.process = process;
        this.log = log;
    }

    /** Starts smtp-sink with extra options (e.g. "-f", "RCPT") and waits until it accepts connections. */
    static SmtpSinkProcess start(Path workDir, String... options) throws IOException {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException(BINARY + " not found: install the Debian package postfix");
        }
        Path dumps = Files.createTempDirectory(workDir, "sink");
        // smtp-sink drops privileges to "nobody" when started as root; let it reach and write the dumps
        // (JUnit's @TempDir is created rwx------).
        Files.setPosixFilePermissions(workDir, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(dumps, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path log = dumps.resolveSibling(dumps.getFileName() + ".log");
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePort();
            List<String> cmd = new ArrayList<>(List.of(BINARY));
            if ("root".equals(System.getProperty("user.name"))) {
                cmd.addAll(List.of("-u", "nobody"));
            }
            cmd.addAll(List.of(options));
            cmd.addAll(List.of("-d", dumps + "/%M.", "127.0.0.1:" + port, "100"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            SmtpSinkProcess sink = new SmtpSinkProcess(port, dumps, p, log);
            try {
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                        .until(() -> !p.isAlive() || sink.accepts());
            } catch (RuntimeException e) {
                sink.close();
                throw e;
            }
            if (p.isAlive()) {
                return sink;
            }
            // Lost the race for the port: try another one.
        }
        throw new IllegalStateException("smtp-sink did not start: " + Files.readString(log));
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    NextHop hop() {
        return new NextHop("127.0.0.1", port);
    }

    /** The one dump file, once smtp-sink has written the message and the trailing empty line. */
    Path onlyDump() {
        return await().atMost(Duration.ofSeconds(20)).until(() -> {
            try (Stream<Path> files = Files.list(dumpDir)) {
                List<Path> all = files.toList();
                return all.size() == 1 ? all.get(0) : null;
            }
        }, f -> f != null);
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
