package org.liaison.protocol.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The payload stream cipher: chunked AES-256-GCM with the STREAM construction (Hoang, Reyhanitabar,
 * Rogaway, Vizár, "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015),
 * laid out like Tink's AES-GCM-HKDF streaming AEAD.
 *
 * <pre>
 *   ciphertext = header ‖ segment 0 ‖ segment 1 ‖ … ‖ segment n-1
 *   header     = version (1 byte, 0x01) ‖ segment size (4 bytes, big-endian) ‖ salt (32) ‖ nonce prefix (7)
 *   segment i  = AES-256-GCM(payload key, nonce_i, plaintext bytes [i·S, (i+1)·S)) — ciphertext ‖ 16-byte tag
 *   nonce_i    = nonce prefix (7) ‖ i (4 bytes, big-endian) ‖ last (1 byte: 0x01 for segment n-1, else 0x00)
 *   payload key = HKDF-SHA256(ikm = content key, salt = salt, info = "liaison payload v1" ‖ index (4) ‖ header)
 * </pre>
 *
 * <p><b>Security guarantees.</b> Each segment is authenticated before any of its bytes is
 * returned; a flipped bit, a segment moved, duplicated or dropped, a truncated stream (the
 * last-segment flag would not match) or a wrong key all fail with {@link PayloadCorruptException}.
 * Memory is one segment whatever the payload size. Every payload gets its own key (fresh salt),
 * so nonces never repeat under a key. Decryption can start at any segment boundary
 * ({@link #decryptFrom}).
 */
public final class PayloadCipher {
    public static final int MIN_SEGMENT_SIZE = 64 * 1024;
    public static final int MAX_SEGMENT_SIZE = 1024 * 1024;
    public static final int DEFAULT_SEGMENT_SIZE = 256 * 1024;
    public static final int HEADER_SIZE = 1 + 4 + 32 + 7;
    public static final int TAG_SIZE = 16;
    private static final byte VERSION = 1;
    private static final byte[] INFO = "liaison payload v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private PayloadCipher() {}

    /** Ciphertext size of a payload of {@code plaintextSize} bytes. */
    public static long ciphertextSize(long plaintextSize, int segmentSize) {
        long segments = Math.max(1, (plaintextSize + segmentSize - 1) / segmentSize);
        return HEADER_SIZE + plaintextSize + segments * TAG_SIZE;
    }

    /** Offset in the ciphertext at which segment {@code segment} starts. */
    public static long ciphertextOffset(long segment, int segmentSize) {
        return HEADER_SIZE + segment * (long) (segmentSize + TAG_SIZE);
    }

    /**
     * An output stream that encrypts what is written to it into {@code out}. {@link OutputStream#close()}
     * writes the last segment and closes {@code out}; a stream that is not closed is not a valid
     * ciphertext (its end cannot be authenticated).
     */
    public static OutputStream encrypt(SecretKey contentKey, int payloadIndex, int segmentSize, OutputStream out)
            throws IOException {
        checkSegmentSize(segmentSize);
        byte[] header = new byte[HEADER_SIZE];
        ByteBuffer h = ByteBuffer.wrap(header);
        h.put(VERSION).putInt(segmentSize);
        byte[] random = new byte[32 + 7];
        RANDOM.nextBytes(random);
        h.put(random);
        out.write(header);
        return new Encrypting(deriveKey(contentKey, payloadIndex, header), Arrays.copyOfRange(header, 37, 44), segmentSize, out);
    }

    /** An input stream of the plaintext of a whole ciphertext read from {@code in}. */
    public static InputStream decrypt(SecretKey contentKey, int payloadIndex, InputStream in) throws IOException {
        byte[] header = in.readNBytes(HEADER_SIZE);
        return decryptFrom(contentKey, payloadIndex, header, 0, in);
    }

    /**
     * Decrypts from segment {@code firstSegment} on: {@code in} is positioned at
     * {@link #ciphertextOffset(long, int)} of that segment, and {@code header} is the payload's header.
     */
    public static InputStream decryptFrom(SecretKey contentKey, int payloadIndex, byte[] header, long firstSegment, InputStream in)
            throws IOException {
        if (header.length != HEADER_SIZE || header[0] != VERSION) {
            throw new PayloadCorruptException("payload header is missing or of an unknown version");
        }
        int segmentSize = ByteBuffer.wrap(header, 1, 4).getInt();
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
            throw new PayloadCorruptException("payload segment size " + segmentSize + " is out of range");
        }
        if (firstSegment < 0 || firstSegment > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("firstSegment: " + firstSegment + " (expected: 0 to 2^32-1)");
        }
        return new Decrypting(deriveKey(contentKey, payloadIndex, header), Arrays.copyOfRange(header, 37, 44), segmentSize,
                firstSegment, in);
    }

    /**
     * A read-only channel over the plaintext of a whole ciphertext read from {@code ciphertext}, that can be
     * positioned anywhere (as Tink's {@code newSeekableDecryptingChannel}): a read decrypts and authenticates the
     * one segment that holds the position, from the ciphertext's offset of that segment, and returns none of its
     * bytes unless it authenticates. {@link SeekableByteChannel#size()} is the plaintext size (from the ciphertext's
     * size, which also tells which segment is the last: a ciphertext cut at a segment boundary does not
     * authenticate). A position at or past the end reads end of stream. Memory is one segment. Closing it closes
     * {@code ciphertext}.
     */
    public static java.nio.channels.SeekableByteChannel newSeekableDecryptingChannel(SecretKey contentKey, int payloadIndex,
            java.nio.channels.SeekableByteChannel ciphertext) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE);
        ciphertext.position(0);
        while (h.hasRemaining() && ciphertext.read(h) >= 0) {
            // the header: read whole
        }
        byte[] header = h.array();
        if (h.hasRemaining() || header[0] != VERSION) {
            throw new PayloadCorruptException("payload header is missing or of an unknown version");
        }
        int segmentSize = ByteBuffer.wrap(header, 1, 4).getInt();
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
            throw new PayloadCorruptException("payload segment size " + segmentSize + " is out of range");
        }
        return new Seekable(deriveKey(contentKey, payloadIndex, header), Arrays.copyOfRange(header, 37, 44), segmentSize, ciphertext);
    }

    /**
     * The length of the longest prefix of a partly received ciphertext that authenticates: the header
     * and every whole segment after it that decrypts under {@code contentKey}, up to the first one that
     * is incomplete or fails (0 when segment 0 does not authenticate: nor does the header then). A transfer that resumes trusts no stored byte beyond it. Each
     * authenticated byte (and no other) is passed to {@code digest}, so that the digest of the whole
     * ciphertext can be completed from where the prefix ends.
     *
     * @param ciphertextSize the size of the complete ciphertext (it tells which segment is the last)
     * @param in the stored bytes, from the start of the ciphertext
     */
    public static long authenticPrefix(SecretKey contentKey, int payloadIndex, long ciphertextSize, InputStream in,
            java.security.MessageDigest digest) throws IOException {
        byte[] header = in.readNBytes(HEADER_SIZE);
        if (header.length < HEADER_SIZE || header[0] != VERSION) {
            return 0;
        }
        int segmentSize = ByteBuffer.wrap(header, 1, 4).getInt();
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE || ciphertextSize < HEADER_SIZE + TAG_SIZE) {
            return 0;
        }
        SecretKeySpec key = deriveKey(contentKey, payloadIndex, header);
        byte[] prefix = Arrays.copyOfRange(header, 37, 44);
        Cipher cipher = gcm();
        byte[] sealed = new byte[segmentSize + TAG_SIZE];
        byte[] plain = new byte[segmentSize];
        try {
            long offset = HEADER_SIZE;
            for (long segment = 0; offset < ciphertextSize; segment++) {
                int n = (int) Math.min(sealed.length, ciphertextSize - offset);
                if (in.readNBytes(sealed, 0, n) < n || n < TAG_SIZE) {
                    return segment == 0 ? 0 : offset;
                }
                boolean last = offset + n == ciphertextSize;
                try {
                    cipher.init(Cipher.DECRYPT_MODE, key, new javax.crypto.spec.GCMParameterSpec(128, nonce(prefix, segment, last)));
                    cipher.doFinal(sealed, 0, n, plain, 0);
                } catch (GeneralSecurityException e) {
                    // Altered, torn by a crash, or not this payload's: resent from here. The header counts only with
                    // segment 0, which authenticates it (the header is part of the key derivation).
                    return segment == 0 ? 0 : offset;
                }
                if (segment == 0) {
                    digest.update(header);
                }
                digest.update(sealed, 0, n);
                offset += n;
            }
            return offset;
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** The segment size recorded in a payload header. */
    public static int segmentSize(byte[] header) throws PayloadCorruptException {
        if (header.length < HEADER_SIZE || header[0] != VERSION) {
            throw new PayloadCorruptException("payload header is missing or of an unknown version");
        }
        return ByteBuffer.wrap(header, 1, 4).getInt();
    }

    private static void checkSegmentSize(int segmentSize) {
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
            throw new IllegalArgumentException("segmentSize: " + segmentSize + " (expected: " + MIN_SEGMENT_SIZE + " to "
                    + MAX_SEGMENT_SIZE + ")");
        }
    }

    private static SecretKeySpec deriveKey(SecretKey contentKey, int payloadIndex, byte[] header) {
        byte[] ikm = contentKey.getEncoded();
        if (ikm == null || ikm.length != 32) {
            throw new IllegalArgumentException("content key: expected 32 bytes (AES-256)");
        }
        byte[] info = ByteBuffer.allocate(INFO.length + 4 + HEADER_SIZE).put(INFO).putInt(payloadIndex).put(header).array();
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(ikm, Arrays.copyOfRange(header, 5, 37), info));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        Arrays.fill(ikm, (byte) 0);
        SecretKeySpec spec = new SecretKeySpec(key, "AES");
        Arrays.fill(key, (byte) 0);
        return spec;
    }

    private static byte[] nonce(byte[] prefix, long segment, boolean last) {
        if (segment > 0xFFFF_FFFFL) {
            throw new IllegalStateException("payload exceeds 2^32 segments");
        }
        byte[] n = new byte[12];
        System.arraycopy(prefix, 0, n, 0, 7);
        n[7] = (byte) (segment >>> 24);
        n[8] = (byte) (segment >>> 16);
        n[9] = (byte) (segment >>> 8);
        n[10] = (byte) segment;
        n[11] = (byte) (last ? 1 : 0);
        return n;
    }

    private static Cipher gcm() throws IOException {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IOException("AES-GCM is not available in this JDK", e);
        }
    }

    private static final class Encrypting extends OutputStream {
        private final SecretKeySpec key;
        private final byte[] prefix;
        private final OutputStream out;
        private final Cipher cipher;
        private final int segmentSize;
        /**
         * The segment being filled. It starts small and grows (doubling) up to the segment size as bytes come, so that a
         * small file does not cost two segment-sized arrays (2 x 256 KiB, zeroed, per payload); the segments written are
         * the same.
         */
        private byte[] plain;
        private byte[] sealed;
        private int filled;
        private long segment;
        private boolean closed;

        /** The first buffer's size (a small message's file fits in it). */
        private static final int FIRST_BUFFER = 16 * 1024;

        Encrypting(SecretKeySpec key, byte[] prefix, int segmentSize, OutputStream out) throws IOException {
            this.key = key;
            this.prefix = prefix;
            this.out = out;
            this.cipher = gcm();
            this.segmentSize = segmentSize;
            this.plain = new byte[Math.min(segmentSize, FIRST_BUFFER)];
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("payload stream is closed");
            }
            while (len > 0) {
                // A full segment is sealed only once more data arrives: the last one must carry the flag.
                if (filled == segmentSize) {
                    seal(false);
                }
                if (filled == plain.length) {
                    byte[] grown = Arrays.copyOf(plain, (int) Math.min(segmentSize, 2L * plain.length));
                    Arrays.fill(plain, (byte) 0); // as close() does: no plaintext left behind in the old one
                    plain = grown;
                }
                int n = Math.min(len, plain.length - filled);
                System.arraycopy(b, off, plain, filled, n);
                filled += n;
                off += n;
                len -= n;
            }
        }

        private void seal(boolean last) throws IOException {
            try {
                cipher.init(Cipher.ENCRYPT_MODE, key, new javax.crypto.spec.GCMParameterSpec(128, nonce(prefix, segment, last)));
                if (sealed == null || sealed.length < filled + TAG_SIZE) {
                    sealed = new byte[plain.length + TAG_SIZE];
                }
                int n = cipher.doFinal(plain, 0, filled, sealed, 0);
                out.write(sealed, 0, n);
            } catch (GeneralSecurityException e) {
                throw new IOException("payload encryption failed", e);
            }
            segment++;
            filled = 0;
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            seal(true);
            Arrays.fill(plain, (byte) 0);
            out.close();
        }
    }

    private static final class Decrypting extends InputStream {
        private final SecretKeySpec key;
        private final byte[] prefix;
        private final InputStream in;
        private final Cipher cipher;
        private final byte[] sealed;
        private final byte[] plain;
        private int lookahead = -1;
        private int pos;
        private int len;
        private long segment;
        private boolean done;

        Decrypting(SecretKeySpec key, byte[] prefix, int segmentSize, long firstSegment, InputStream in) throws IOException {
            this.key = key;
            this.prefix = prefix;
            this.in = in;
            this.cipher = gcm();
            this.sealed = new byte[segmentSize + TAG_SIZE];
            this.plain = new byte[segmentSize];
            this.segment = firstSegment;
        }

        private boolean fill() throws IOException {
            if (done) {
                return false;
            }
            int n = 0;
            if (lookahead >= 0) {
                sealed[n++] = (byte) lookahead;
                lookahead = -1;
            }
            n += in.readNBytes(sealed, n, sealed.length - n);
            boolean last;
            if (n < sealed.length) {
                last = true;
            } else {
                lookahead = in.read();
                last = lookahead < 0;
            }
            if (n < TAG_SIZE) {
                throw new PayloadCorruptException("payload is truncated (segment " + segment + " is incomplete)");
            }
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, new javax.crypto.spec.GCMParameterSpec(128, nonce(prefix, segment, last)));
                len = cipher.doFinal(sealed, 0, n, plain, 0);
            } catch (javax.crypto.AEADBadTagException e) {
                throw new PayloadCorruptException("payload segment " + segment
                        + " failed authentication: it was altered, reordered or truncated, or the key is wrong");
            } catch (GeneralSecurityException e) {
                throw new PayloadCorruptException("payload segment " + segment + " cannot be decrypted");
            }
            pos = 0;
            segment++;
            done = last;
            return true;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int n) throws IOException {
            if (n == 0) {
                return 0;
            }
            while (pos == len) {
                if (!fill()) {
                    return -1;
                }
            }
            int k = Math.min(n, len - pos);
            System.arraycopy(plain, pos, b, off, k);
            pos += k;
            return k;
        }

        @Override
        public void close() throws IOException {
            Arrays.fill(plain, (byte) 0);
            in.close();
        }
    }

    /** See {@link #newSeekableDecryptingChannel}. */
    private static final class Seekable extends ReadOnlyChannel {
        private final SecretKeySpec key;
        private final byte[] prefix;
        private final int segmentSize;
        private final java.nio.channels.SeekableByteChannel in;
        private final Cipher cipher;
        private final ByteBuffer sealed;
        private final byte[] plain;
        private final long ciphertextSize;
        private final long segments;
        private final long size;
        /** The segment decrypted into {@code plain} (-1: none) and its plaintext length. */
        private long cached = -1;
        private int cachedLength;
        private long position;
        private boolean open = true;

        Seekable(SecretKeySpec key, byte[] prefix, int segmentSize, java.nio.channels.SeekableByteChannel in) throws IOException {
            this.key = key;
            this.prefix = prefix;
            this.segmentSize = segmentSize;
            this.in = in;
            this.cipher = gcm();
            this.sealed = ByteBuffer.allocate(segmentSize + TAG_SIZE);
            this.plain = new byte[segmentSize];
            this.ciphertextSize = in.size();
            long body = ciphertextSize - HEADER_SIZE;
            if (body < TAG_SIZE) {
                throw new PayloadCorruptException("payload is truncated (no segment after the header)");
            }
            this.segments = (body + segmentSize + TAG_SIZE - 1) / (segmentSize + TAG_SIZE);
            long lastSealed = body - (segments - 1) * (segmentSize + TAG_SIZE);
            if (lastSealed < TAG_SIZE || segments > 0x1_0000_0000L) {
                throw new PayloadCorruptException("payload is truncated (segment " + (segments - 1) + " is incomplete)");
            }
            this.size = body - segments * TAG_SIZE;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            check();
            if (position >= size) {
                return -1;
            }
            int total = 0;
            while (dst.hasRemaining() && position < size) {
                long segment = position / segmentSize;
                load(segment);
                int within = (int) (position - segment * segmentSize);
                int n = Math.min(dst.remaining(), cachedLength - within);
                dst.put(plain, within, n);
                position += n;
                total += n;
            }
            return total;
        }

        /** Decrypts and authenticates one segment into {@code plain}. */
        private void load(long segment) throws IOException {
            if (cached == segment) {
                return;
            }
            cached = -1;
            long offset = ciphertextOffset(segment, segmentSize);
            int n = (int) Math.min(segmentSize + TAG_SIZE, ciphertextSize - offset);
            sealed.clear().limit(n);
            in.position(offset);
            while (sealed.hasRemaining()) {
                if (in.read(sealed) < 0) {
                    throw new PayloadCorruptException("payload is truncated (segment " + segment + " is incomplete)");
                }
            }
            boolean last = segment == segments - 1;
            try {
                cipher.init(Cipher.DECRYPT_MODE, key, new javax.crypto.spec.GCMParameterSpec(128, nonce(prefix, segment, last)));
                cachedLength = cipher.doFinal(sealed.array(), 0, n, plain, 0);
            } catch (javax.crypto.AEADBadTagException e) {
                throw new PayloadCorruptException("payload segment " + segment
                        + " failed authentication: it was altered, reordered or truncated, or the key is wrong");
            } catch (GeneralSecurityException e) {
                throw new PayloadCorruptException("payload segment " + segment + " cannot be decrypted");
            }
            cached = segment;
        }

        @Override
        public long position() throws IOException {
            check();
            return position;
        }

        @Override
        public java.nio.channels.SeekableByteChannel position(long newPosition) throws IOException {
            check();
            if (newPosition < 0) {
                throw new IllegalArgumentException("position: " + newPosition + " (expected: 0 or more)");
            }
            position = newPosition;
            return this;
        }

        @Override
        public long size() throws IOException {
            check();
            return size;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        private void check() throws java.nio.channels.ClosedChannelException {
            if (!open) {
                throw new java.nio.channels.ClosedChannelException();
            }
        }

        @Override
        public void close() throws IOException {
            if (open) {
                open = false;
                cached = -1;
                Arrays.fill(plain, (byte) 0);
                in.close();
            }
        }
    }
}
