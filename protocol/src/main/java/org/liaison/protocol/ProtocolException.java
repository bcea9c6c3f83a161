package org.liaison.protocol;

/**
 * A document or message was refused. The {@link ErrorCode} is what a peer sees; the message is
 * one sentence for a person, naming what was wrong.
 */
public class ProtocolException extends Exception {
    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ProtocolException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
