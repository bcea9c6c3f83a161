package org.liaison.cli;

/** A failure whose message is written for the person at the terminal: what went wrong and what to do. */
public final class UserException extends RuntimeException {
    public UserException(String message) {
        super(message);
    }
}
