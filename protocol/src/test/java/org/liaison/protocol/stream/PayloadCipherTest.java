package org.liaison.protocol.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PayloadCipherTest {
    private static final int S = PayloadCipher.MIN_SEGMENT_SIZE;
    private static final int SEALED = S + PayloadCipher.TAG_SIZE;
    private static final HexFormat HEX = HexFormat.of();

    static SecretKey key() throws Exception {
        KeyGenerator g = KeyGenerator.getInstance("AES");
        g.init(256);
        return g.generateKey();
    }

    static byte[] data(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    static byte[] encrypt(SecretKey k, int index, byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream enc = PayloadCipher.encrypt(k, index, S, out)) {
            // Odd-sized writes exercise the segment boundaries.
            for (int off = 0; off < plain.length; off += 7919) {
                enc.write(plain, off, Math.min(7919, plain.length - off));
            }
        }
        return out.toByteArray();
    }

    static byte[] decrypt(SecretKey k, int index, byte[] ct) throws IOException {
        return PayloadCipher.decrypt(k, index, new ByteArrayInputStream(ct)).readAllBytes();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, S - 1, S, S + 1, 2 * S, 3 * S + 5})
    void roundTripsAtEverySizeAroundSegmentBoundaries(int size) throws Exception {
        SecretKey k = key();
        byte[] plain = data(size);
        byte[] ct = encrypt(k, 3, plain);
        assertThat((long) ct.length).isEqualTo(PayloadCipher.ciphertextSize(size, S));
        assertThat(decrypt(k, 3, ct)).isEqualTo(plain);
    }

    /**
     * The encrypting stream's buffer starts small and grows to the segment size as bytes come: the same segments at the
     * default segment size whether a file is written in one call (crossing every growth at once) or byte by byte.
     */
    @ParameterizedTest
    @ValueSource(ints = {1024, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 100_000, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 600_000})
    void aGrowingBufferWritesTheSameSegmentsAtTheDefaultSize(int size) throws Exception {
        SecretKey k = key();
        byte[] plain = data(size);
        int seg = PayloadCipher.DEFAULT_SEGMENT_SIZE;
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        try (OutputStream enc = PayloadCipher.encrypt(k, 1, seg, whole)) {
            enc.write(plain, 0, plain.length);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream enc = PayloadCipher.encrypt(k, 1, seg, bytes)) {
            for (byte b : plain) {
                enc.write(b);
            }
        }
        for (byte[] ct : List.of(whole.toByteArray(), bytes.toByteArray())) {
            assertThat((long) ct.length).isEqualTo(PayloadCipher.ciphertextSize(size, seg));
            assertThat(decrypt(k, 1, ct)).isEqualTo(plain);
        }
    }

    @Test
    void sameInputEncryptsDifferentlyEachTime() throws Exception {
        SecretKey k = key();
        byte[] plain = data(1000);
        assertThat(encrypt(k, 0, plain)).isNotEqualTo(encrypt(k, 0, plain));
    }

    private static void assertCorrupt(SecretKey k, int index, byte[] ct) {
        assertThatThrownBy(() -> decrypt(k, index, ct)).isInstanceOf(PayloadCorruptException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 30, 40, PayloadCipher.HEADER_SIZE, PayloadCipher.HEADER_SIZE + 100,
        PayloadCipher.HEADER_SIZE + SEALED - 1, PayloadCipher.HEADER_SIZE + SEALED + 3})
    void aFlippedBitAnywhereIsDetected(int offset) throws Exception {
        SecretKey k = key();
        byte[] ct = encrypt(k, 0, data(2 * S + 10));
        ct[offset] ^= 0x01;
        assertCorrupt(k, 0, ct);
    }

    @Test
    void truncationAtASegmentBoundaryIsDetected() throws Exception {
        SecretKey k = key();
        byte[] ct = encrypt(k, 0, data(3 * S));
        assertCorrupt(k, 0, Arrays.copyOf(ct, PayloadCipher.HEADER_SIZE + 2 * SEALED));
        assertCorrupt(k, 0, Arrays.copyOf(ct, PayloadCipher.HEADER_SIZE + SEALED));
        assertCorrupt(k, 0, Arrays.copyOf(ct, PayloadCipher.HEADER_SIZE));
    }

    @Test
    void truncationInsideASegmentIsDetected() throws Exception {
        SecretKey k = key();
        byte[] ct = encrypt(k, 0, data(2 * S));
        assertCorrupt(k, 0, Arrays.copyOf(ct, ct.length - 1));
        assertCorrupt(k, 0, Arrays.copyOf(ct, PayloadCipher.HEADER_SIZE + 10));
    }

    @Test
    void reorderedAndDuplicatedSegmentsAreDetected() throws Exception {
        SecretKey k = key();
        byte[] ct = encrypt(k, 0, data(3 * S + 1));
        int h = PayloadCipher.HEADER_SIZE;
        byte[] swapped = ct.clone();
        System.arraycopy(ct, h, swapped, h + SEALED, SEALED);
        System.arraycopy(ct, h + SEALED, swapped, h, SEALED);
        assertCorrupt(k, 0, swapped);

        byte[] duplicated = ct.clone();
        System.arraycopy(ct, h, duplicated, h + SEALED, SEALED);
        assertCorrupt(k, 0, duplicated);

        byte[] appended = Arrays.copyOf(ct, ct.length + SEALED);
        System.arraycopy(ct, h, appended, ct.length, SEALED);
        assertCorrupt(k, 0, appended);
    }

    @Test
    void wrongKeyOrWrongPayloadIndexIsDetected() throws Exception {
        SecretKey k = key();
        byte[] ct = encrypt(k, 1, data(100));
        assertCorrupt(key(), 1, ct);
        assertCorrupt(k, 2, ct);
    }

    @Test
    void payloadsCannotBeSwappedBetweenMessagesByHeader() throws Exception {
        SecretKey k = key();
        byte[] a = encrypt(k, 0, data(S + 1));
        byte[] b = encrypt(k, 0, data(S + 2));
        byte[] mixed = b.clone();
        System.arraycopy(a, 0, mixed, 0, PayloadCipher.HEADER_SIZE);
        assertCorrupt(k, 0, mixed);
    }

    @Test
    void decryptionResumesAtAnySegmentBoundary() throws Exception {
        SecretKey k = key();
        byte[] plain = data(4 * S + 123);
        byte[] ct = encrypt(k, 0, plain);
        byte[] header = Arrays.copyOf(ct, PayloadCipher.HEADER_SIZE);
        for (int seg = 0; seg <= 4; seg++) {
            int off = (int) PayloadCipher.ciphertextOffset(seg, S);
            byte[] rest = PayloadCipher.decryptFrom(k, 0, header, seg,
                    new ByteArrayInputStream(ct, off, ct.length - off)).readAllBytes();
            assertThat(rest).isEqualTo(Arrays.copyOfRange(plain, seg * S, plain.length));
        }
        // Resuming with the wrong segment number fails: position is authenticated.
        int off = (int) PayloadCipher.ciphertextOffset(2, S);
        assertThatThrownBy(() -> PayloadCipher.decryptFrom(k, 0, header, 1, new ByteArrayInputStream(ct, off, ct.length - off))
                .readAllBytes()).isInstanceOf(PayloadCorruptException.class);
    }

    @Test
    void segmentSizeOutsideBoundsIsRefused() {
        assertThatThrownBy(() -> PayloadCipher.encrypt(key(), 0, 1024, new ByteArrayOutputStream()))
                .hasMessageContaining("segmentSize: 1024");
    }

    /** Test vector: RFC 5869 appendix A.1 (HKDF-SHA256, basic test case) — the KDF deriving payload keys. */
    @Test
    void hkdfMatchesRfc5869TestCase1() {
        byte[] ikm = new byte[22];
        Arrays.fill(ikm, (byte) 0x0b);
        byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
        byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(ikm, salt, info));
        byte[] okm = new byte[42];
        hkdf.generateBytes(okm, 0, 42);
        assertThat(HEX.formatHex(okm)).isEqualTo(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    /** Test vector: McGrew &amp; Viega, "The Galois/Counter Mode of Operation", test case 14 (AES-256, 96-bit IV). */
    @Test
    void aesGcmMatchesTheGcmSpecificationTestCase14() throws Exception {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[32], "AES"), new GCMParameterSpec(128, new byte[12]));
        byte[] out = c.doFinal(new byte[16]);
        assertThat(HEX.formatHex(out)).isEqualTo("cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919");
    }

    /** The authentic prefix of a partial ciphertext, and the digest of exactly those bytes. */
    private static long prefix(SecretKey k, byte[] ct, long fullSize, java.security.MessageDigest d) throws Exception {
        return PayloadCipher.authenticPrefix(k, 0, fullSize, new ByteArrayInputStream(ct), d);
    }

    @Test
    void authenticPrefixStopsAtTheFirstIncompleteOrAlteredSegment() throws Exception {
        SecretKey k = key();
        byte[] ct = encrypt(k, 0, data(3 * S + 5));
        int h = PayloadCipher.HEADER_SIZE;
        java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
        // Complete: everything authenticates, and the digest is the whole ciphertext's.
        assertThat(prefix(k, ct, ct.length, d)).isEqualTo(ct.length);
        assertThat(d.digest()).isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(ct));
        // Cut inside segment 2: two whole segments count, the digest covers exactly them.
        byte[] cut = Arrays.copyOf(ct, h + 2 * SEALED + 100);
        assertThat(prefix(k, cut, ct.length, d)).isEqualTo(h + 2 * SEALED);
        assertThat(d.digest()).isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(ct, h + 2 * SEALED)));
        // A flipped byte in segment 1 (a tampered or torn stored segment): only segment 0 counts.
        byte[] altered = ct.clone();
        altered[h + SEALED + 10] ^= 1;
        assertThat(prefix(k, altered, ct.length, d)).isEqualTo(h + SEALED);
        d.reset();
        // Zeros where a crash left a hole, an altered header, a wrong key, a wrong payload index, a cut header or
        // segment 0: nothing counts, not even the header (only segment 0 authenticates it), and nothing was digested.
        byte[] zeros = ct.clone();
        Arrays.fill(zeros, h, h + 50, (byte) 0);
        assertThat(prefix(k, zeros, ct.length, d)).isZero();
        byte[] header = ct.clone();
        header[20] ^= 1;
        assertThat(prefix(k, header, ct.length, d)).isZero();
        assertThat(prefix(key(), ct, ct.length, d)).isZero();
        assertThat(PayloadCipher.authenticPrefix(k, 1, ct.length, new ByteArrayInputStream(ct), d)).isZero();
        assertThat(prefix(k, Arrays.copyOf(ct, 10), ct.length, d)).isZero();
        assertThat(prefix(k, Arrays.copyOf(ct, h + 100), ct.length, d)).isZero();
        assertThat(d.digest()).isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest());
        // A stored last segment is checked with the last-segment flag: a full-size final segment of a longer payload is not last.
        byte[] three = Arrays.copyOf(ct, h + 3 * SEALED);
        assertThat(prefix(k, three, h + 3 * SEALED, d)).isEqualTo(h + 2 * SEALED);
    }
}
