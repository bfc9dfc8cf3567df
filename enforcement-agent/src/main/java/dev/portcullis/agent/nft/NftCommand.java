package dev.portcullis.agent.nft;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs nft: the configured command (e.g. {@code nft}, or {@code ip netns exec NS nft}) with
 * {@code -f -}, the script on its standard input. One run is one netlink transaction: nft
 * applies a whole file or nothing of it. A run that outlives its timeout is killed.
 */
public final class NftCommand {

    /** What one run did. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    private final List<String> command;
    private final Duration timeout;

    public NftCommand(List<String> command, Duration timeout) {
        if (command.isEmpty() || command.get(0).isBlank()) {
            throw new IllegalArgumentException("empty command");
        }
        this.command = List.copyOf(command);
        this.timeout = timeout;
    }

    /** Runs {@code nft -f -} with {@code script}. */
    public Result apply(String script) {
        List<String> cmd = new ArrayList<>(command);
        cmd.add("-f");
        cmd.add("-");
        return run(cmd, script);
    }

    /** Runs the command with extra arguments and no input (e.g. {@code --version}, {@code list table ...}). */
    public Result run(String... args) {
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of(args));
        return run(cmd, "");
    }

    private Result run(List<String> cmd, String input) {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(-1, "cannot run " + String.join(" ", cmd) + ": " + e.getMessage());
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        try (OutputStream in = p.getOutputStream()) {
            in.write(input.getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // nft exited early; its output says why
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", cmd) + " did not finish within " + timeout);
            }
            return new Result(p.exitValue(), out.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        } catch (Exception e) {
            return new Result(p.exitValue(), "(output unreadable: " + e + ")");
        }
    }

    private static String read(InputStream s) {
        try {
            byte[] b = s.readNBytes(64 * 1024);
            s.transferTo(OutputStream.nullOutputStream());
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }

    public List<String> command() {
        return command;
    }
}
