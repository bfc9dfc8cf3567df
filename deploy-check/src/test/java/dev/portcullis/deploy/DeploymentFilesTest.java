package dev.portcullis.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code k8s/validate.sh} (kustomize render, schemas, rules, yamllint, docker-compose) in the
 * build, and proves it fails: on each broken object under {@code k8s/test/broken/} (every
 * {@code # expect:} line of the file must be in the validator's answer) and on a copy of the
 * repository's deployment files with real mistakes in them. Skips, saying why, when kubectl or
 * node is missing ({@code bin/install-test-peers} installs them).
 */
class DeploymentFilesTest {

    private static final Path ROOT = Path.of(System.getProperty("portcullis.root", "..")).toAbsolutePath().normalize();
    private static final Path K8S = ROOT.resolve("k8s");
    private static final long TIMEOUT_SECONDS = 240;

    record Run(int exit, String output) {}

    @BeforeAll
    static void tools() {
        for (String tool : List.of("kubectl", "node")) {
            if (!onPath(tool)) {
                abort(tool + " is not installed (bin/install-test-peers installs it): deployment files not validated");
            }
        }
        Path modules = K8S.resolve("test/node_modules/kubernetes-models");
        if (!Files.isDirectory(modules)) {
            if (!onPath("npm")) {
                abort("npm is not installed and k8s/test/node_modules is missing: deployment files not validated");
            }
            Run npm = run(K8S.resolve("test"), List.of("npm", "ci", "--no-audit", "--no-fund"));
            if (npm.exit() != 0 || !Files.isDirectory(modules)) {
                abort("npm ci in k8s/test failed (no registry?), deployment files not validated:\n" + npm.output());
            }
        }
    }

    @Test
    void theRepositorysDeploymentFilesPass() {
        Run r = run(ROOT, List.of("bash", K8S.resolve("validate.sh").toString()));
        if (r.exit() == 3) {
            abort(r.output());
        }
        assertEquals(0, r.exit(), "k8s/validate.sh failed:\n" + r.output());
        for (String target : List.of("base", "overlays/dev", "overlays/production", "overlays/production-hpa")) {
            assertTrue(r.output().contains(target + ": "), target + " not validated:\n" + r.output());
        }
        assertTrue(r.output().contains("validate: OK"), r.output());
    }

    @Test
    void everyBrokenObjectIsRejectedWithItsReason() throws IOException {
        List<Path> fixtures;
        try (Stream<Path> s = Files.list(K8S.resolve("test/broken"))) {
            fixtures = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(fixtures.size() >= 10, "expected the broken fixtures, found " + fixtures);
        // one node for all of them (its start is most of the time); each answer line names its file
        List<String> command = new ArrayList<>(List.of("node", "validate.js"));
        fixtures.forEach(f -> command.add("broken/" + f.getFileName()));
        Run r = run(K8S.resolve("test"), command);
        assertEquals(1, r.exit(), "broken fixtures were not rejected:\n" + r.output());
        for (Path fixture : fixtures) {
            String name = "broken/" + fixture.getFileName();
            List<String> answer = r.output().lines().filter(l -> l.startsWith(name + ": ")).toList();
            List<String> expected = Files.readAllLines(fixture).stream()
                    .filter(l -> l.startsWith("# expect: "))
                    .map(l -> l.substring("# expect: ".length()))
                    .toList();
            assertTrue(!expected.isEmpty(), fixture + " says nothing it expects (# expect: ...)");
            assertTrue(answer.stream().noneMatch(l -> l.endsWith("objects valid")), name + " was not rejected:\n" + r.output());
            for (String e : expected) {
                assertTrue(answer.stream().anyMatch(l -> l.contains(e)), name + ": expected \"" + e + "\" in:\n" + String.join("\n", answer));
            }
        }
    }

    @Test
    void brokenDeploymentFilesFailTheWholeValidation(@TempDir Path tmp) throws IOException {
        for (String part : List.of("k8s", "config", "docker", "docker-compose.yml", ".github")) {
            copy(ROOT.resolve(part), tmp.resolve(part));
        }
        Files.createSymbolicLink(tmp.resolve("k8s/test/node_modules"), K8S.resolve("test/node_modules"));
        // docker-compose checks that each service's build context (its module) exists
        for (String module : List.of("smtp-edge", "reputation-service", "ban-service", "content-filter", "enforcement-agent")) {
            Files.createDirectories(tmp.resolve(module));
        }
        // the edge's grace period below its drain: the kubelet would kill sessions mid-drain
        edit(tmp.resolve("k8s/base/smtp-edge.yaml"), "terminationGracePeriodSeconds: 90", "terminationGracePeriodSeconds: 30");
        // a Service whose target port no pod has
        edit(tmp.resolve("k8s/base/content-filter.yaml"), "      targetPort: http", "      targetPort: htp");
        // a copied table that drifted from config/
        Files.writeString(tmp.resolve("k8s/base/config/jails.conf"), "\n# drift\n", java.nio.file.StandardOpenOption.APPEND);
        // an overlay that does not render
        edit(tmp.resolve("k8s/overlays/dev/kustomization.yaml"), "  - demo-sink.yaml", "  - demo-sink.yaml\n  - missing.yaml");
        // a workflow that is not YAML
        Files.writeString(tmp.resolve(".github/workflows/images.yml"), "jobs: [unclosed\n", java.nio.file.StandardOpenOption.APPEND);
        // a token with a default in docker-compose.yml
        edit(tmp.resolve("docker-compose.yml"), "${PORTCULLIS_API_TOKEN:?set PORTCULLIS_API_TOKEN}", "${PORTCULLIS_API_TOKEN:-secret}");

        Run r = run(tmp, List.of("bash", tmp.resolve("k8s/validate.sh").toString()));
        assertEquals(1, r.exit(), "validate.sh passed broken files:\n" + r.output());
        for (String e : List.of(
                "Deployment/smtp-edge: terminationGracePeriodSeconds 30 must be longer than PORTCULLIS_DRAIN_TIMEOUT 60s",
                "Service/content-filter: targetPort htp is no port of the selected pods",
                "k8s/base/config/jails.conf differs from config/jails.conf",
                "kubectl kustomize overlays/dev",
                "overlays/production: Service/content-filter: targetPort htp",
                "overlays/production-hpa: Deployment/smtp-edge: terminationGracePeriodSeconds 30")) {
            assertTrue(r.output().contains(e), "expected \"" + e + "\" in:\n" + r.output());
        }
        if (onPath("yamllint")) {
            assertTrue(r.output().contains("workflows/images.yml") && r.output().contains("validate: FAILED: yamllint"), r.output());
        }
        if (onPath("docker-compose")) {
            assertTrue(r.output().contains("docker-compose.yml starts without PORTCULLIS_API_TOKEN"), r.output());
        }
    }

    private static void edit(Path file, String from, String to) throws IOException {
        String s = Files.readString(file);
        assertTrue(s.contains(from), file + " no longer contains \"" + from + "\": update this test");
        Files.writeString(file, s.replace(from, to));
    }

    private static void copy(Path from, Path to) throws IOException {
        if (Files.isRegularFile(from)) {
            Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
            return;
        }
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.toString().contains("node_modules")) {
                    continue;
                }
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command with its output collected; fails the test if it outlives the timeout. */
    private static Run run(Path dir, List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try (InputStream in = p.getInputStream()) {
                    in.transferTo(out);
                } catch (IOException e) {
                    // the process was killed; what was read is kept
                }
            }, "deploy-check-output");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s:\n" + out);
            }
            reader.join(10_000);
            return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
