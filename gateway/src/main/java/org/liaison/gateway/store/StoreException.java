package org.liaison.gateway.store;

/** The store failed; nothing the caller asked for happened (transactions roll back). */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
