package dev.portcullis.postfix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the installed Postfix's postconf(1) on a main.cf written into a directory: the oracle
 * for how Postfix reads and expands main.cf.
 */
final class Postconf {

    static final Path BINARY = Path.of("/usr/sbin/postconf");

    record Result(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private Postconf() {
    }

    static boolean installed() {
        return Files.isExecutable(BINARY);
    }

    /** Writes {@code mainCf} (and an empty master.cf) into {@code dir}, runs postconf -c dir args. */
    static Result run(Path dir, String mainCf, String... args) {
        try {
            Files.writeString(dir.resolve("main.cf"), mainCf, StandardCharsets.UTF_8);
            if (!Files.exists(dir.resolve("master.cf"))) {
                Files.writeString(dir.resolve("master.cf"), "");
            }
            Path out = Files.createTempFile(dir, "postconf", ".out");
            Path err = Files.createTempFile(dir, "postconf", ".err");
            List<String> command = new ArrayList<>(List.of(BINARY.toString(), "-c", dir.toString()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("postconf did not finish in 30s: " + command);
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** postconf -h and -x print values with whitespace runs folded to one space. */
    static String fold(String value) {
        return value.replaceAll("[ \t\r\n\f\u000b]+", " ").strip();
    }
}
