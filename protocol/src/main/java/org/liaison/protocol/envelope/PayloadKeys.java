package org.liaison.protocol.envelope;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import javax.crypto.SecretKey;
import org.liaison.protocol.stream.PayloadCipher;

/**
 * What decrypts an opened envelope's payloads, without handing out its content key: the raw key stays in the
 * protocol module. A gateway reads a stored payload through a seekable decrypting channel (a fetch that resumes
 * at any offset), decrypts a whole one, or finds how much of a partly received one authenticates.
 */
public final class PayloadKeys {
    private final SecretKey contentKey;

    PayloadKeys(SecretKey contentKey) {
        this.contentKey = contentKey;
    }

    /** The key itself: for this package only (sealing and its tests). */
    SecretKey contentKey() {
        return contentKey;
    }

    /**
     * The plaintext of payload {@code payloadIndex}, read from {@code ciphertext} (its whole stored ciphertext),
     * positionable anywhere: see {@link PayloadCipher#newSeekableDecryptingChannel}.
     */
    public SeekableByteChannel newSeekableDecryptingChannel(int payloadIndex, SeekableByteChannel ciphertext) throws IOException {
        return PayloadCipher.newSeekableDecryptingChannel(contentKey, payloadIndex, ciphertext);
    }

    /** The plaintext of payload {@code payloadIndex}, read from its whole ciphertext: see {@link PayloadCipher#decrypt}. */
    public InputStream decrypt(int payloadIndex, InputStream ciphertext) throws IOException {
        return PayloadCipher.decrypt(contentKey, payloadIndex, ciphertext);
    }

    /** How much of a partly received payload authenticates: see {@link PayloadCipher#authenticPrefix}. */
    public long authenticPrefix(int payloadIndex, long ciphertextSize, InputStream in, MessageDigest digest) throws IOException {
        return PayloadCipher.authenticPrefix(contentKey, payloadIndex, ciphertextSize, in, digest);
    }

    /** The same content key (compared in constant time). */
    @Override
    public boolean equals(Object o) {
        return o instanceof PayloadKeys k && MessageDigest.isEqual(contentKey.getEncoded(), k.contentKey.getEncoded());
    }

    @Override
    public int hashCode() {
        return 0; // no bit of the key in a hash
    }

    @Override
    public String toString() {
        return "PayloadKeys[redacted]";
    }
}
