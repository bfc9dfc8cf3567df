package dev.portcullis.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A Java agent that makes a child JVM halt when the JVM that started it is gone, for child
 * processes whose main class is not ours (a packaged Quarkus application): {@link QuarkusApp}
 * adds {@link #jvmOption()}, {@code -javaagent:<jar>=<pid of this JVM>}, with the jar {@link #jar()}
 * writes.
 *
 * <p>Why: a test JVM's shutdown hook kills its children, but a test JVM killed with SIGKILL (a
 * surefire timeout, a developer's Ctrl-\) runs no hook, and its children would hold ports and
 * memory until someone noticed. {@link KafkaBroker}'s child watches its parent the same way
 * ({@code --exit-with-parent}). The watch is {@link ProcessHandle#onExit()} on the starter, which
 * the JDK polls for a process that is not its own child (a few seconds at most); the child then
 * halts (exit code {@value #EXIT_CODE}) without running its shutdown hooks, as a crash would.
 */
public final class ParentWatchAgent {

    /** The child's exit code when it halts because its parent died. */
    public static final int EXIT_CODE = 3;

    private static Path jar;

    private ParentWatchAgent() {
    }

    /**
     * Agent entry point: watch the process whose pid is {@code args} (the JVM that started this
     * one: {@code -javaagent:<jar>=<pid>}), or without an argument this process's parent. A given
     * pid that is already gone halts this JVM at once: the starter died before the agent ran, and
     * the parent would by now be init or a subreaper, which never exits.
     */
    public static void premain(String args) {
        ProcessHandle watched;
        if (args != null && !args.isBlank()) {
            long pid = Long.parseLong(args.trim());
            watched = ProcessHandle.of(pid).filter(ProcessHandle::isAlive).orElse(null);
            if (watched == null) {
                gone(pid);
            }
        } else {
            watched = ProcessHandle.current().parent().orElse(null);
        }
        if (watched != null) {
            ProcessHandle w = watched;
            w.onExit().thenRun(() -> gone(w.pid()));
        }
    }

    /** The option that makes a child JVM watch this JVM: {@code -javaagent:<jar>=<this pid>}. */
    public static String jvmOption() {
        return "-javaagent:" + jar() + "=" + ProcessHandle.current().pid();
    }

    private static void gone(long pid) {
        System.err.println("portcullis-testkit: parent process " + pid + " is gone, halting");
        Runtime.getRuntime().halt(EXIT_CODE);
    }

    /**
     * A jar holding only this class with {@code Premain-Class} set, written once per JVM into a
     * temp file that is deleted at exit.
     */
    public static synchronized Path jar() {
        if (jar != null && Files.isRegularFile(jar)) {
            return jar;
        }
        String entry = ParentWatchAgent.class.getName().replace('.', '/') + ".class";
        try (InputStream in = ParentWatchAgent.class.getClassLoader().getResourceAsStream(entry)) {
            if (in == null) {
                throw new IllegalStateException("cannot read " + entry + " from the class path");
            }
            byte[] bytes = in.readAllBytes();
            Path file = Files.createTempFile("portcullis-parent-watch-", ".jar");
            file.toFile().deleteOnExit();
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), ParentWatchAgent.class.getName());
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(file), manifest)) {
                out.putNextEntry(new JarEntry(entry));
                out.write(bytes);
                out.closeEntry();
            }
            jar = file;
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("writing the parent-watch agent jar failed", e);
        }
    }
}
