package org.liaison.protocol.envelope;

/** An encrypted payload as the envelope lists it (ciphertext only: names and sizes stay in the encrypted manifest). */
public record PayloadInfo(int index, int segmentSize, long ciphertextSize, String ciphertextSha256) {
    public PayloadInfo {
        if (index < 0 || ciphertextSize < 0 || ciphertextSha256 == null || !ciphertextSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("payload " + index + ": invalid description");
        }
    }
}
