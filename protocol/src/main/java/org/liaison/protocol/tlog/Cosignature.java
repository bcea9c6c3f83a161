package org.liaison.protocol.tlog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import org.liaison.certs.Providers;

/**
 * Witness cosignatures (C2SP tlog-cosignature): a note signature line
 * {@code — NAME base64(key ID ‖ u64 timestamp ‖ signature)} over a checkpoint. For the Ed25519 type
 * ({@code cosignature/v1}) the signed message is {@code "cosignature/v1\ntime T\n"} followed by the
 * checkpoint's whole note body, and the key ID is the first four bytes of
 * SHA-256(NAME ‖ "\n" ‖ 0x04 ‖ public key) — 0x04 rather than a log key's 0x01, so a witness key
 * can never be taken for a log key. ML-DSA-44 (type 0x06, which the spec recommends for new
 * deployments) is recognised in verifier keys but not signed or verified yet: such a cosignature
 * never counts towards a quorum.
 */
public final class Cosignature {
    /** The cosignature types of the spec: the key-ID type byte and the signature length. */
    public enum Algorithm {
        ED25519((byte) 0x04, 32, 64),
        ML_DSA_44((byte) 0x06, 1312, 2420);

        final byte type;
        final int publicKeyBytes;
        final int signatureBytes;

        Algorithm(byte type, int publicKeyBytes, int signatureBytes) {
            this.type = type;
            this.publicKeyBytes = publicKeyBytes;
            this.signatureBytes = signatureBytes;
        }

        static Algorithm ofType(byte type) {
            for (Algorithm a : values()) {
                if (a.type == type) {
                    return a;
                }
            }
            throw new IllegalArgumentException(String.format("not a cosigner key type: 0x%02x (expected 0x04 Ed25519 or 0x06 ML-DSA-44)",
                    type));
        }
    }

    private static final String HEADER = "cosignature/v1\n";
    private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private Cosignature() {}

    /** A witness's public key: what a verifier is configured with (a vkey {@code NAME+keyid+base64(type ‖ key)}). */
    public record WitnessKey(String name, Algorithm algorithm, byte[] publicKey) {
        public WitnessKey {
            checkName(name);
            if (publicKey.length != algorithm.publicKeyBytes) {
                throw new IllegalArgumentException(algorithm + " cosigner key: " + publicKey.length + " bytes (expected "
                        + algorithm.publicKeyBytes + ")");
            }
            publicKey = publicKey.clone();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }

        /** The key ID: SHA-256(name ‖ "\n" ‖ type ‖ key)[:4]. */
        public int keyId() {
            try {
                MessageDigest d = MessageDigest.getInstance("SHA-256");
                d.update(name.getBytes(StandardCharsets.UTF_8));
                d.update((byte) '\n');
                d.update(algorithm.type);
                d.update(publicKey);
                return ByteBuffer.wrap(d.digest(), 0, 4).getInt();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The vkey text. */
        public String vkey() {
            byte[] k = new byte[1 + publicKey.length];
            k[0] = algorithm.type;
            System.arraycopy(publicKey, 0, k, 1, publicKey.length);
            return name + "+" + String.format("%08x", keyId()) + "+" + Base64.getEncoder().encodeToString(k);
        }

        /** Reads a vkey; refuses one whose key ID does not match its name and key, or that is no cosigner key. */
        public static WitnessKey parse(String vkey) {
            String[] p = vkey.split("\\+", 3);
            if (p.length != 3) {
                throw new IllegalArgumentException("malformed witness key (expected NAME+keyid+key)");
            }
            byte[] k;
            try {
                k = SignedNote.strictBase64(p[2]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("malformed witness key: the key is not canonical base64");
            }
            if (k.length < 2) {
                throw new IllegalArgumentException("malformed witness key: no key");
            }
            WitnessKey w = new WitnessKey(p[0], Algorithm.ofType(k[0]), Arrays.copyOfRange(k, 1, k.length));
            if (!String.format("%08x", w.keyId()).equals(p[1])) {
                throw new IllegalArgumentException("witness key ID does not match its name and key");
            }
            return w;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof WitnessKey w && w.name.equals(name) && w.algorithm == algorithm && Arrays.equals(w.publicKey, publicKey);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(publicKey);
        }

        @Override
        public String toString() {
            return vkey();
        }
    }

    /** A witness's signing key (Ed25519): its name, seed and public key. */
    public static final class Cosigner {
        private final WitnessKey key;
        private final PrivateKey privateKey;

        private Cosigner(String name, byte[] seed) {
            if (seed.length != 32) {
                throw new IllegalArgumentException("Ed25519 seed: " + seed.length + " bytes (expected 32)");
            }
            byte[] pub = new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
            this.key = new WitnessKey(name, Algorithm.ED25519, pub);
            try {
                byte[] pkcs8 = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + 32);
                System.arraycopy(seed, 0, pkcs8, PKCS8_PREFIX.length, 32);
                this.privateKey = KeyFactory.getInstance("Ed25519", Providers.bouncyCastle()).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Bouncy Castle cannot load an Ed25519 seed", e);
            }
        }

        /** An Ed25519 cosigner from its 32-byte seed. */
        public static Cosigner of(String name, byte[] seed) {
            return new Cosigner(name, seed);
        }

        public WitnessKey key() {
            return key;
        }

        public String name() {
            return key.name();
        }

        @Override
        public String toString() {
            return "Cosigner[" + key.name() + "]"; // never the seed
        }
    }

    /**
     * The signature line (ending in a newline) by which {@code cosigner} cosigns the checkpoint whose
     * note body is {@code body} (its text: origin, size, root and any extension lines), at {@code time}.
     */
    public static String sign(String body, Cosigner cosigner, long time) throws GeneralSecurityException {
        checkBody(body);
        if (time <= 0) {
            throw new IllegalArgumentException("a cosignature's timestamp is not zero (tlog-witness)");
        }
        Signature s = Signature.getInstance("Ed25519", Providers.bouncyCastle());
        s.initSign(cosigner.privateKey);
        s.update(message(body, time));
        byte[] blob = ByteBuffer.allocate(4 + 8 + 64).putInt(cosigner.key.keyId()).putLong(time).put(s.sign()).array();
        return "— " + cosigner.name() + " " + Base64.getEncoder().encodeToString(blob) + "\n";
    }

    /** The signed message of an Ed25519 cosignature: the header, the time line and the note body. */
    public static byte[] message(String body, long time) {
        return (HEADER + "time " + Long.toUnsignedString(time) + "\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The timestamp of a valid cosignature by {@code key} in {@code note} (a signed checkpoint with
     * any number of signature lines), or empty when it carries none. Lines of other keys are ignored;
     * a line with the key's name and ID whose signature fails does not count.
     */
    public static OptionalLong verify(String note, WitnessKey key) {
        int split = note.lastIndexOf("\n\n");
        if (split < 0) {
            return OptionalLong.empty();
        }
        String body = note.substring(0, split + 1);
        if (key.algorithm() != Algorithm.ED25519) {
            return OptionalLong.empty(); // ML-DSA-44: not verified yet, so never counted
        }
        int id = key.keyId();
        String prefix = "— " + key.name() + " ";
        for (String line : note.substring(split + 2).split("\n")) {
            if (!line.startsWith(prefix)) {
                continue;
            }
            byte[] blob;
            try {
                blob = SignedNote.strictBase64(line.substring(prefix.length()));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (blob.length != 4 + 8 + 64 || ByteBuffer.wrap(blob, 0, 4).getInt() != id) {
                continue;
            }
            long time = ByteBuffer.wrap(blob, 4, 8).getLong();
            if (time <= 0) {
                continue;
            }
            try {
                Signature s = Signature.getInstance("Ed25519", Providers.bouncyCastle());
                byte[] spki = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + 32);
                System.arraycopy(key.publicKey, 0, spki, SPKI_PREFIX.length, 32);
                PublicKey pk = KeyFactory.getInstance("Ed25519", Providers.bouncyCastle()).generatePublic(new X509EncodedKeySpec(spki));
                s.initVerify(pk);
                s.update(message(body, time));
                if (s.verify(Arrays.copyOfRange(blob, 12, 76))) {
                    return OptionalLong.of(time);
                }
            } catch (GeneralSecurityException e) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }

    /** The signature lines of a note (each with its newline), after the blank line. */
    public static List<String> signatureLines(String note) {
        int split = note.lastIndexOf("\n\n");
        List<String> out = new ArrayList<>();
        if (split < 0) {
            return out;
        }
        for (String line : note.substring(split + 2).split("\n")) {
            if (line.startsWith("— ")) {
                out.add(line + "\n");
            }
        }
        return out;
    }

    /** {@code note} with {@code lines} added after its signature lines (each line at most once). */
    public static String withSignatures(String note, List<String> lines) {
        StringBuilder out = new StringBuilder(note.endsWith("\n") ? note : note + "\n");
        List<String> present = signatureLines(note);
        for (String l : lines) {
            String line = l.endsWith("\n") ? l : l + "\n";
            if (!line.startsWith("— ") || line.indexOf('\n') != line.length() - 1) {
                throw new IllegalArgumentException("not a note signature line");
            }
            if (!present.contains(line)) {
                out.append(line);
                present.add(line);
            }
        }
        return out.toString();
    }

    /** The note body (text before the blank line, with its final newline). */
    public static String body(String note) {
        int split = note.lastIndexOf("\n\n");
        if (split < 0) {
            throw new IllegalArgumentException("not a signed note (no blank line before the signatures)");
        }
        return note.substring(0, split + 1);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(" ") || name.contains("\n") || name.contains("+")) {
            throw new IllegalArgumentException("cosigner name: " + name + " (expected no spaces, newlines or '+')");
        }
    }

    private static void checkBody(String body) {
        if (body.isEmpty() || !body.endsWith("\n") || body.contains("\n\n")) {
            throw new IllegalArgumentException("note body must be non-empty, end with a newline and contain no blank line");
        }
    }
}
