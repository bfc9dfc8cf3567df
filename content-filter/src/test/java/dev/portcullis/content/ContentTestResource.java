package dev.portcullis.content;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/** A main.cf and table files in a temporary directory, for the service under test. */
public class ContentTestResource implements QuarkusTestResourceLifecycleManager {

    static final String HEADER_CHECKS = """
            # test header_checks
            /^Subject:.*viagra/       REJECT 5.7.1 No pharmacy spam
            /^Subject: discard me/    DISCARD
            /^X-Mailer: BadMailer/    IGNORE
            /^Subject: (.*)\\[tag\\]/ REPLACE Subject: $1[tagged]
            /^Subject: hold me/       HOLD needs review
            /^Subject: soft/          REJECT 4.7.1 try again later
            /^Subject: unknown/       FROBNICATE
            """;

    static final String BODY_CHECKS = """
            /^click here to win/      REJECT body spam
            /^remove this line$/      IGNORE
            """;

    static Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("content-filter-test");
            Files.writeString(dir.resolve("header_checks"), HEADER_CHECKS);
            Files.writeString(dir.resolve("body_checks"), BODY_CHECKS);
            Path mainCf = dir.resolve("main.cf");
            Files.writeString(mainCf, "header_checks = regexp:" + dir.resolve("header_checks") + "\n"
                    + "body_checks = regexp:" + dir.resolve("body_checks") + "\n"
                    + "message_size_limit = 200000\n");
            return Map.of("portcullis.main-cf", mainCf.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
