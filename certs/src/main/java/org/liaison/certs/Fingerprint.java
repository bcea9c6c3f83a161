package org.liaison.certs;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A SHA-256 fingerprint: the way Liaison compares and names certificates and keys. Never compare
 * subject names; compare fingerprints. Two kinds: of the whole DER certificate, and of the
 * SubjectPublicKeyInfo (stable across re-issued certificates for the same key).
 */
public final class Fingerprint {
    private final byte[] sha256;

    private Fingerprint(byte[] sha256) {
        this.sha256 = sha256;
    }

    public static Fingerprint of(X509Certificate certificate) {
        try {
            return new Fingerprint(sha256(certificate.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
        }
    }

    public static Fingerprint ofSpki(X509Certificate certificate) {
        return ofPublicKey(certificate.getPublicKey());
    }

    public static Fingerprint ofPublicKey(PublicKey key) {
        return new Fingerprint(sha256(key.getEncoded()));
    }

    /** Parses 64 hex digits, with or without colons. */
    public static Fingerprint parse(String hex) {
        String clean = hex.replace(":", "").trim();
        if (clean.length() != 64) {
            throw new IllegalArgumentException("fingerprint: " + hex + " (expected: 64 hex digits of a SHA-256)");
        }
        return new Fingerprint(HexFormat.of().parseHex(clean));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    public byte[] bytes() {
        return sha256.clone();
    }

    /** Lower-case hex, 64 digits. */
    public String hex() {
        return HexFormat.of().formatHex(sha256);
    }

    /** Upper-case, colon-separated, as {@code openssl x509 -fingerprint -sha256} prints it. */
    public String colonHex() {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(sha256);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fingerprint && MessageDigest.isEqual(sha256, ((Fingerprint) o).sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sha256);
    }

    @Override
    public String toString() {
        return hex();
    }
}
