package dev.portcullis.testkit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link QuarkusApp} and {@link ParentWatchAgent} with a stand-in runner jar ({@link FakeQuarkusMain}). */
class QuarkusAppTest {

    @TempDir
    static Path dir;
    static Path runJar;

    @BeforeAll
    static void packFakeApp() throws Exception {
        runJar = dir.resolve("fake-app/target/quarkus-app/quarkus-run.jar");
        Files.createDirectories(runJar.getParent());
        String entry = FakeQuarkusMain.class.getName().replace('.', '/') + ".class";
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeQuarkusMain.class.getName());
        try (InputStream in = QuarkusAppTest.class.getClassLoader().getResourceAsStream(entry);
             JarOutputStream out = new JarOutputStream(Files.newOutputStream(runJar), manifest)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
    }

    @Test
    void startsWaitsKillsAndStartsAgainOnTheSamePort() {
        try (QuarkusApp app = QuarkusApp.builder(runJar).logDir(dir.resolve("logs"))
                .env("FAKE_SETTING", "yes").start()) {
            assertEquals("fake-app", app.name(), "named after the module directory");
            assertTrue(app.isRunning());
            int port = app.httpPort();
            assertEquals("yes", app.get("/env/FAKE_SETTING").body());
            assertEquals("127.0.0.1", app.get("/env/QUARKUS_HTTP_HOST").body());
            assertTrue(app.log().contains("fake app listening on 127.0.0.1:" + port), app.log());

            assertEquals(137, app.kill(), "SIGKILL");
            assertFalse(app.isRunning());
            assertThrows(UncheckedIOException.class, () -> app.get("/q/health/ready"));
            assertFalse(app.log().contains("fake app shutting down"), "a kill runs no shutdown hook");

            app.env("FAKE_SETTING", "changed").start();
            assertEquals(port, app.httpPort(), "same port after a restart");
            assertEquals("changed", app.get("/env/FAKE_SETTING").body());

            assertEquals(143, app.stop(), "SIGTERM");
            assertTrue(app.log().contains("fake app shutting down"), "a stop runs the shutdown hooks");
        }
    }

    @Test
    void aStartThatFailsSaysWhyWithTheLog() {
        QuarkusApp app = QuarkusApp.builder(runJar).name("failing").logDir(dir.resolve("logs"))
                .env("FAKE_MODE", "fail").startTimeout(Duration.ofSeconds(30)).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, app::start);
        assertTrue(e.getMessage().contains("exited with 7"), e.getMessage());
        assertTrue(e.getMessage().contains("fake app failing on purpose"), e.getMessage());
        assertEquals(7, app.lastExitCode());
        app.close();
    }

    @Test
    void aMissingJarIsNamed() {
        Path missing = dir.resolve("nothing/target/quarkus-app/quarkus-run.jar");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> QuarkusApp.builder(missing).logDir(dir.resolve("logs")).start());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void aChildGoesWhenItsParentIsKilled() throws Exception {
        Process parent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-jar", runJar.toString(), "spawn", ParentWatchAgent.jar().toString())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            long childPid;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(parent.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line = r.readLine();
                assertTrue(line != null && line.startsWith("child "), "first line: " + line);
                childPid = Long.parseLong(line.substring(6).trim());
                ProcessHandle child = ProcessHandle.of(childPid).orElseThrow();
                String listening = r.readLine(); // the child is up, its agent ran
                assertTrue(listening != null && listening.startsWith("fake app listening"), listening);
                assertTrue(child.isAlive());
                parent.destroyForcibly(); // SIGKILL: the parent runs no hook that could stop the child
                assertTrue(parent.waitFor(10, TimeUnit.SECONDS));
                // the JDK polls a non-child's exit (backing off to a few seconds); allow for it
                child.onExit().get(30, TimeUnit.SECONDS);
                assertFalse(child.isAlive(), "the child halted after its parent died");
            }
        } finally {
            parent.descendants().forEach(ProcessHandle::destroyForcibly);
            parent.destroyForcibly();
        }
    }
}
