package org.liaison.protocol.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link PayloadCipher#newSeekableDecryptingChannel}: the plaintext of a stored payload read from any offset. */
class SeekableDecryptingChannelTest {
    private static final int S = PayloadCipher.MIN_SEGMENT_SIZE;
    private static final int SEALED = S + PayloadCipher.TAG_SIZE;

    @TempDir
    Path dir;

    private SeekableByteChannel open(SecretKey k, int index, byte[] ciphertext) throws IOException {
        Path f = Files.write(dir.resolve("payload-" + System.nanoTime()), ciphertext);
        return PayloadCipher.newSeekableDecryptingChannel(k, index, FileChannel.open(f, StandardOpenOption.READ));
    }

    /** Everything from the channel's position to its end. */
    private static byte[] rest(SeekableByteChannel c) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(10_007); // reads that straddle segment boundaries
        while (c.read(b.clear()) >= 0) {
            out.write(b.array(), 0, b.position());
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, S - 1, S, S + 1, 2 * S, 2 * S + 7, 3 * S + 4, 3 * S + 5})
    void readsFromAnyOffsetAtAndBetweenSegmentBoundaries(long from) throws Exception {
        SecretKey k = PayloadCipherTest.key();
        byte[] plain = PayloadCipherTest.data(3 * S + 5);
        try (SeekableByteChannel c = open(k, 2, PayloadCipherTest.encrypt(k, 2, plain))) {
            assertThat(c.size()).isEqualTo(plain.length);
            assertThat(rest(c.position(from))).isEqualTo(Arrays.copyOfRange(plain, (int) from, plain.length));
            assertThat(c.position()).isEqualTo(plain.length);
        }
    }

    @Test
    void seeksBackwardAndForwardInOneChannel() throws Exception {
        SecretKey k = PayloadCipherTest.key();
        byte[] plain = PayloadCipherTest.data(2 * S + 100);
        try (SeekableByteChannel c = open(k, 0, PayloadCipherTest.encrypt(k, 0, plain))) {
            ByteBuffer b = ByteBuffer.allocate(200);
            c.position(S + 50).read(b);
            assertThat(b.array()).isEqualTo(Arrays.copyOfRange(plain, S + 50, S + 250));
            c.position(10).read(b.clear());
            assertThat(b.array()).isEqualTo(Arrays.copyOfRange(plain, 10, 210));
        }
    }

    @Test
    void atOrPastTheEndReadsEndOfStream() throws Exception {
        SecretKey k = PayloadCipherTest.key();
        byte[] plain = PayloadCipherTest.data(S + 3);
        try (SeekableByteChannel c = open(k, 0, PayloadCipherTest.encrypt(k, 0, plain))) {
            assertThat(c.position(plain.length).read(ByteBuffer.allocate(10))).isEqualTo(-1);
            assertThat(c.position(10L * S).read(ByteBuffer.allocate(10))).isEqualTo(-1);
            assertThatThrownBy(() -> c.position(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> c.write(ByteBuffer.allocate(1))).isInstanceOf(NonWritableChannelException.class);
        }
        try (SeekableByteChannel empty = open(k, 0, PayloadCipherTest.encrypt(k, 0, new byte[0]))) {
            assertThat(empty.size()).isZero();
            assertThat(empty.read(ByteBuffer.allocate(1))).isEqualTo(-1);
        }
    }

    @Test
    void aTamperedSegmentIsRefusedWhereverTheReadStarts() throws Exception {
        SecretKey k = PayloadCipherTest.key();
        byte[] plain = PayloadCipherTest.data(3 * S);
        byte[] ct = PayloadCipherTest.encrypt(k, 0, plain);
        ct[PayloadCipher.HEADER_SIZE + SEALED + 100] ^= 0x01; // segment 1
        try (SeekableByteChannel c = open(k, 0, ct)) {
            ByteBuffer b = ByteBuffer.allocate(100);
            assertThat(c.position(5).read(b)).isEqualTo(100); // segment 0 is intact
            assertThat(b.array()).isEqualTo(Arrays.copyOfRange(plain, 5, 105));
            assertThatThrownBy(() -> c.position(S + 10).read(ByteBuffer.allocate(10))).isInstanceOf(PayloadCorruptException.class);
            // A read that runs into it from segment 0 returns nothing of segment 1.
            assertThatThrownBy(() -> rest(c.position(S - 5))).isInstanceOf(PayloadCorruptException.class);
            assertThat(rest(c.position(2 * S))).isEqualTo(Arrays.copyOfRange(plain, 2 * S, 3 * S));
        }
    }

    @Test
    void aCiphertextCutAtASegmentBoundaryOrAWrongKeyOrIndexIsRefused() throws Exception {
        SecretKey k = PayloadCipherTest.key();
        byte[] ct = PayloadCipherTest.encrypt(k, 0, PayloadCipherTest.data(3 * S));
        try (SeekableByteChannel cut = open(k, 0, Arrays.copyOf(ct, PayloadCipher.HEADER_SIZE + 2 * SEALED))) {
            // Segment 1 is now the last: its flag does not match, so the end of the payload does not authenticate.
            assertThatThrownBy(() -> cut.position(S).read(ByteBuffer.allocate(10))).isInstanceOf(PayloadCorruptException.class);
        }
        try (SeekableByteChannel wrong = open(PayloadCipherTest.key(), 0, ct)) {
            assertThatThrownBy(() -> wrong.read(ByteBuffer.allocate(10))).isInstanceOf(PayloadCorruptException.class);
        }
        try (SeekableByteChannel other = open(k, 1, ct)) {
            assertThatThrownBy(() -> other.read(ByteBuffer.allocate(10))).isInstanceOf(PayloadCorruptException.class);
        }
        assertThatThrownBy(() -> open(k, 0, Arrays.copyOf(ct, PayloadCipher.HEADER_SIZE + 3)))
                .isInstanceOf(PayloadCorruptException.class);
        assertThatThrownBy(() -> open(k, 0, Arrays.copyOf(ct, 10))).isInstanceOf(PayloadCorruptException.class);
    }
}
