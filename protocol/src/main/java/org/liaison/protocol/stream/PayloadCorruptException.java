package org.liaison.protocol.stream;

import java.io.IOException;

/** A payload ciphertext failed authentication or is malformed; no unauthenticated byte was returned. */
public final class PayloadCorruptException extends IOException {
    public PayloadCorruptException(String message) {
        super(message);
    }
}
