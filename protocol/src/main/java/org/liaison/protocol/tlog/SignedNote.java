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
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.liaison.certs.Providers;

/**
 * Signed notes (C2SP signed-note, as golang.org/x/mod/sumdb/note): a text ending in a newline,
 * a blank line, then signature lines {@code — NAME base64(keyhash ‖ Ed25519 signature)}. The key
 * hash is the first four bytes of SHA-256(NAME ‖ "\n" ‖ 0x01 ‖ public key). Checkpoints of the
 * audit log are signed notes, so any tlog tool can check them.
 */
public final class SignedNote {
    private static final byte ED25519 = 0x01;
    private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private SignedNote() {}

    /**
     * A signer: a name and an Ed25519 key, as raw 32-byte seed and public key. It keeps the key object
     * it signs with: building it from the seed derives the public key again, which cost as much as the
     * signature itself (an audit checkpoint is signed for every message received).
     */
    public static final class Signer {
        private final String name;
        private final byte[] seed;
        private final byte[] publicKey;
        private final PrivateKey key;

        /** Prefer {@link #of}: the public key is derived from the seed, and a second input that disagrees is refused. */
        public Signer(String name, byte[] seed, byte[] publicKey) {
            if (name.isEmpty() || name.contains(" ") || name.contains("\n") || name.contains("+")) {
                throw new IllegalArgumentException("note signer name: " + name + " (expected no spaces, newlines or '+')");
            }
            if (seed.length != 32 || publicKey.length != 32) {
                throw new IllegalArgumentException("Ed25519 seed and public key must be 32 bytes");
            }
            if (!java.security.MessageDigest.isEqual(derive(seed), publicKey)) {
                throw new IllegalArgumentException("the public key is not the seed's: refusing to sign under a key that cannot verify");
            }
            this.name = name;
            this.seed = seed.clone();
            this.publicKey = publicKey.clone();
            try {
                this.key = KeyFactory.getInstance("Ed25519", Providers.bouncyCastle())
                        .generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, this.seed)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Bouncy Castle cannot load an Ed25519 seed", e);
            }
        }

        /** A signer whose public key is derived from its 32-byte Ed25519 seed. */
        public static Signer of(String name, byte[] seed) {
            if (seed.length != 32) {
                throw new IllegalArgumentException("Ed25519 seed: " + seed.length + " bytes (expected 32)");
            }
            return new Signer(name, seed, derive(seed));
        }

        private static byte[] derive(byte[] seed) {
            return new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        }

        public String name() {
            return name;
        }

        /** A copy of the 32-byte seed. */
        public byte[] seed() {
            return seed.clone();
        }

        /** A copy of the 32-byte public key. */
        public byte[] publicKey() {
            return publicKey.clone();
        }

        /** The verifier key text, {@code NAME+hash+base64(0x01 ‖ public key)}. */
        public String verifierKey() {
            return SignedNote.verifierKey(name, publicKey);
        }

        @Override
        public String toString() {
            return "Signer[" + name + "]"; // never the seed
        }
    }

    public static String verifierKey(String name, byte[] publicKey) {
        byte[] k = new byte[33];
        k[0] = ED25519;
        System.arraycopy(publicKey, 0, k, 1, 32);
        return name + "+" + String.format("%08x", keyHash(name, publicKey)) + "+" + Base64.getEncoder().encodeToString(k);
    }

    static int keyHash(String name, byte[] publicKey) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(name.getBytes(StandardCharsets.UTF_8));
            d.update((byte) '\n');
            d.update(ED25519);
            d.update(publicKey);
            return ByteBuffer.wrap(d.digest(), 0, 4).getInt();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void checkText(String text) {
        if (text.isEmpty() || !text.endsWith("\n") || text.contains("\n\n")) {
            throw new IllegalArgumentException("note text must be non-empty, end with a newline and contain no blank line");
        }
    }

    /** Signs {@code text} and returns the whole note. */
    public static String sign(String text, Signer signer) throws GeneralSecurityException {
        checkText(text);
        Signature s = Signature.getInstance("Ed25519", Providers.bouncyCastle());
        s.initSign(signer.key);
        s.update(text.getBytes(StandardCharsets.UTF_8));
        byte[] sig = s.sign();
        byte[] blob = ByteBuffer.allocate(4 + sig.length).putInt(keyHash(signer.name, signer.publicKey)).put(sig).array();
        return text + "\n— " + signer.name() + " " + Base64.getEncoder().encodeToString(blob) + "\n";
    }

    /**
     * Returns the text of {@code note} if it carries a valid signature by the key of
     * {@code verifierKey}; throws otherwise.
     */
    public static String open(String note, String verifierKey) throws GeneralSecurityException {
        String[] vk = verifierKey.split("\\+", 3);
        if (vk.length != 3) {
            throw new GeneralSecurityException("malformed verifier key");
        }
        byte[] key;
        try {
            key = strictBase64(vk[2]);
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException("malformed verifier key");
        }
        if (key.length != 33 || key[0] != ED25519) {
            throw new GeneralSecurityException("verifier key is not an Ed25519 note key");
        }
        byte[] pub = Arrays.copyOfRange(key, 1, 33);
        int hash = keyHash(vk[0], pub);
        if (!String.format("%08x", hash).equals(vk[1])) {
            throw new GeneralSecurityException("verifier key hash does not match its name and key");
        }
        int split = note.lastIndexOf("\n\n");
        if (split < 0) {
            throw new GeneralSecurityException("malformed note: no signature block");
        }
        String text = note.substring(0, split + 1);
        checkText(text);
        PublicKey publicKey = KeyFactory.getInstance("Ed25519", Providers.bouncyCastle())
                .generatePublic(new X509EncodedKeySpec(concat(SPKI_PREFIX, pub)));
        for (String line : note.substring(split + 2).split("\n")) {
            String prefix = "— " + vk[0] + " ";
            if (!line.startsWith(prefix)) {
                continue;
            }
            byte[] blob;
            try {
                blob = strictBase64(line.substring(prefix.length()));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (blob.length != 68 || ByteBuffer.wrap(blob, 0, 4).getInt() != hash) {
                continue;
            }
            Signature s = Signature.getInstance("Ed25519", Providers.bouncyCastle());
            s.initVerify(publicKey);
            s.update(text.getBytes(StandardCharsets.UTF_8));
            if (s.verify(Arrays.copyOfRange(blob, 4, 68))) {
                return text;
            }
        }
        throw new GeneralSecurityException("the note carries no valid signature by " + vk[0]);
    }

    /**
     * Decodes standard base64 and refuses any other spelling of the same bytes (non-zero padding
     * bits, missing padding): one byte string, one text — so that no byte of a note can change
     * without the note failing.
     */
    static byte[] strictBase64(String s) {
        byte[] b = Base64.getDecoder().decode(s);
        if (!Base64.getEncoder().encodeToString(b).equals(s)) {
            throw new IllegalArgumentException("not canonical base64");
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
