package dev.portcullis.content.api;

/** The body of every 4xx/5xx answer: what was wrong, in one line. */
public record ApiError(String error) {
}
