package dev.portcullis.postfix;

import java.util.Objects;

/**
 * One explicit parameter definition, from main.cf or from an override, before {@code $name}
 * expansion.
 *
 * @param name   the parameter name
 * @param value  the value as written (continuation lines joined, trailing whitespace removed)
 * @param origin where it was defined
 */
public record Parameter(String name, String value, Origin origin) {

    public Parameter {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(origin, "origin");
    }
}
