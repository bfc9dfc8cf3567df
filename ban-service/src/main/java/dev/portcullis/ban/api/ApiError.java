package dev.portcullis.ban.api;

/** The body of every 4xx/5xx answer: what was wrong, in one line. */
public record ApiError(String error) {
}
