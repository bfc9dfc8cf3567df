package dev.portcullis.content.check;

import java.util.Optional;

/**
 * One lookup table as the inspector uses it: the first rule that matches a key, with its
 * result text (after $n substitution) and where the rule is (file:line).
 */
public interface Table {

    /** "type:name", e.g. {@code regexp:/etc/postfix/header_checks}. */
    String name();

    Optional<Match> find(String key);

    record Match(String value, String origin) {
    }
}
