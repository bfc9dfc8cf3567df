package dev.portcullis.api;

/** The body of every 4xx/5xx answer of the Portcullis REST APIs: what was wrong, in one line. */
public record ApiError(String error) {
}
