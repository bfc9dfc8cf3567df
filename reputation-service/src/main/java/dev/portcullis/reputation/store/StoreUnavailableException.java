package dev.portcullis.reputation.store;

/** Infinispan could not be reached or did not answer in time; the caller retries later. */
public class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
