package dev.portcullis.postfix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Golden files under src/test/resources/dev/portcullis/postfix. */
final class Golden {

    private Golden() {
    }

    static String text(String name) {
        try (InputStream in = Objects.requireNonNull(Golden.class.getResourceAsStream(name), name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The cases of a main.cf-syntax golden file: each "name = ..." line followed by a line
     * "#> expected" gives name -> expected (the text after "#> ").
     */
    static Map<String, String> expectations(String text) {
        Map<String, String> cases = new LinkedHashMap<>();
        String previous = null;
        for (String line : text.split("\n")) {
            if (line.startsWith("#> ") || line.equals("#>")) {
                String name = previous.substring(0, previous.indexOf('=')).strip();
                cases.put(name, line.length() > 3 ? line.substring(3) : "");
            } else if (!line.startsWith("#") && !line.isBlank()) {
                previous = line;
            }
        }
        return cases;
    }
}
