package dev.portcullis.postfix;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainCfSourceTest {

    @Test
    void overridesComeFromPropertiesAndEnvironmentNames() {
        Map<String, String> props = Map.of("postfix.smtpd_soft_error_limit", "5",
                "POSTFIX_SMTPD_HARD_ERROR_LIMIT", "9", "quarkus.http.port", "1");
        Map<String, String> o = MainCfSource.overrides(props.keySet(), n -> Optional.ofNullable(props.get(n)));
        assertEquals(Map.of("smtpd_soft_error_limit", "5", "smtpd_hard_error_limit", "9"), o);
    }

    @Test
    void fileThenOverrides(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("main.cf");
        Files.writeString(file, "smtpd_soft_error_limit = 3\nsmtpd_hard_error_limit = 7\n");
        MainCf cf = MainCfSource.load(Optional.of(file.toString()), "PORTCULLIS_MAIN_CF",
                Map.of("smtpd_hard_error_limit", "8"), "test");
        assertEquals(3, cf.parameters().integer("smtpd_soft_error_limit"));
        assertEquals(8, cf.parameters().integer("smtpd_hard_error_limit"));
        assertEquals(20, MainCfSource.load(Optional.of(" "), "X", Map.of(), "t").parameters()
                .integer("smtpd_hard_error_limit"));
    }

    @Test
    void unreadableFileNamesTheSetting(@TempDir Path dir) {
        PostfixConfigException e = assertThrows(PostfixConfigException.class, () -> MainCfSource.load(
                Optional.of(dir.resolve("missing.cf").toString()), "PORTCULLIS_MAIN_CF", Map.of(), "t"));
        assertTrue(e.getMessage().contains("missing.cf") && e.getMessage().contains("PORTCULLIS_MAIN_CF"),
                e.getMessage());
    }
}
