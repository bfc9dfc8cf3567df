package dev.portcullis.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where the packaged applications and this module's output are. The failsafe configuration
 * passes the paths as system properties; run from an IDE, the same paths relative to the
 * module directory are used.
 */
final class Builds {

    private Builds() {
    }

    /** {@code smtp-edge/target/quarkus-app/quarkus-run.jar}, checked. */
    static Path smtpEdge() {
        return runJar("smtp-edge");
    }

    /** {@code reputation-service/target/quarkus-app/quarkus-run.jar}, checked. */
    static Path reputationService() {
        return runJar("reputation-service");
    }

    /** {@code ban-service/target/quarkus-app/quarkus-run.jar}, checked. */
    static Path banService() {
        return runJar("ban-service");
    }

    /** {@code content-filter/target/quarkus-app/quarkus-run.jar}, checked. */
    static Path contentFilter() {
        return runJar("content-filter");
    }

    /** This module's {@code target} directory. */
    static Path target() {
        return Path.of(System.getProperty("portcullis.e2e.target", "target")).toAbsolutePath().normalize();
    }

    /** A fresh (emptied) directory under {@code target/e2e/}. */
    static Path freshDir(String name) {
        Path dir = target().resolve("e2e").resolve(name);
        try {
            if (Files.exists(dir)) {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        }
    }

    /**
     * The runner jar of {@code module}: it must exist, and must not be older than the module's
     * compiled classes (a build that compiled but did not package would test old code).
     */
    static Path runJar(String module) {
        String property = "portcullis.e2e." + module + ".jar";
        Path jar = Path.of(System.getProperty(property, "../" + module + "/target/quarkus-app/quarkus-run.jar"))
                .toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + ": package " + module + " first, e.g. ./mvnw -B verify -pl e2e"
                    + " -am (the reactor packages it before e2e runs), or ./mvnw -pl " + module
                    + " -am package -DskipTests");
        }
        Path classes = jar.getParent().getParent().resolve("classes");
        Optional<FileTime> newest = newest(classes);
        try {
            FileTime jarTime = Files.getLastModifiedTime(jar);
            // quarkus-run.jar is rewritten by every package, after compilation; allow a little clock slack
            if (newest.isPresent() && newest.get().toMillis() > jarTime.toMillis() + 2_000) {
                throw new IllegalStateException(jar + " is older than " + classes + " (compiled " + newest.get()
                        + ", packaged " + jarTime + "): package " + module + " again, e.g. ./mvnw -B verify -pl e2e -am");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jar;
    }

    private static Optional<FileTime> newest(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".class")).map(p -> {
                try {
                    return Files.getLastModifiedTime(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).max(Comparator.naturalOrder());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
