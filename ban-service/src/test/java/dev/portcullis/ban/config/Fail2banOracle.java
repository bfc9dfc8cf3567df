package dev.portcullis.ban.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Python snippets against the installed fail2ban (Debian's {@code fail2ban}, in
 * {@code /usr/lib/python3/dist-packages}) and Python's own {@code ipaddress}: the oracles for
 * time syntax and range splitting. {@link #available} is false when python3 or fail2ban is missing.
 */
final class Fail2banOracle {

    private Fail2banOracle() {
    }

    /** Debian's python3 (which sees Debian's fail2ban) before whatever python3 is first on PATH. */
    static String python() {
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** Whether python3 runs at all (the ipaddress oracle). */
    static boolean pythonAvailable() {
        try {
            return run("print('ok')").strip().equals("ok");
        } catch (RuntimeException e) {
            return false;
        }
    }

    static boolean available() {
        try {
            return run("import fail2ban.server.mytime; print('ok')").strip().equals("ok");
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Runs {@code script} with python3 and returns its standard output. */
    static String run(String script) {
        try {
            Process p = new ProcessBuilder(List.of(python(), "-c", script)).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("python3 timed out");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("python3 failed: " + text);
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("python3 not runnable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
