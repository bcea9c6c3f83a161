package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SequentialFileTest {
    @TempDir
    Path dir;

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data} in pieces of odd sizes (a TLS record's, a cipher segment's, one byte). */
    static void writeInPieces(SequentialFile f, byte[] data, int from) throws Exception {
        int[] sizes = {16_384 - 29, 1, 65_536 + 17, 4095, 3 * SequentialFile.BUFFER + 5};
        int off = from;
        for (int i = 0; off < data.length; i++) {
            int n = Math.min(sizes[i % sizes.length], data.length - off);
            if (i % 2 == 0) {
                f.write(ByteBuffer.wrap(data, off, n));
            } else {
                f.write(data, off, n);
            }
            off += n;
        }
    }

    /** Small files go through the page cache, large ones past it: the bytes on disk are the bytes written either way. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4095, 4096, 100_000, 5 << 20, (9 << 20) + 12_345})
    void theFileHoldsExactlyTheBytesWritten(int size) throws Exception {
        byte[] data = bytes(size, size);
        Path p = dir.resolve("payload-" + size);
        try (SequentialFile f = SequentialFile.create(p, size)) {
            writeInPieces(f, data, 0);
            assertThat(f.length()).isEqualTo(size);
            if (size >= DirectIo.FROM && "ext4".equals(Files.getFileStore(dir).type())) {
                assertThat(f.direct()).as("direct I/O on ext4").isTrue();
            }
        }
        assertThat(Files.size(p)).isEqualTo(size);
        assertThat(Arrays.equals(Files.readAllBytes(p), data)).isTrue();
    }

    @Test
    void aSyncInTheMiddleLeavesTheExactLengthOnDiskAndWritingGoesOn() throws Exception {
        byte[] data = bytes((6 << 20) + 777, 7);
        Path p = dir.resolve("synced");
        try (SequentialFile f = SequentialFile.create(p, data.length)) {
            f.write(data, 0, 3 * 1000 * 1000 + 3);
            f.sync();
            assertThat(Files.size(p)).isEqualTo(3 * 1000 * 1000 + 3); // the padded last block was cut off
            assertThat(Arrays.equals(Files.readAllBytes(p), Arrays.copyOf(data, 3 * 1000 * 1000 + 3))).isTrue();
            f.write(data, 3 * 1000 * 1000 + 3, data.length - (3 * 1000 * 1000 + 3));
        }
        assertThat(Arrays.equals(Files.readAllBytes(p), data)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 4096, 1_000_003, 5 << 20})
    void aFileContinuedAtAnOffsetKeepsItsFirstBytesAndDropsTheRest(long at) throws Exception {
        byte[] data = bytes(8 << 20, 11);
        Path p = dir.resolve("resumed");
        byte[] other = bytes(data.length, 12);
        try (SequentialFile f = SequentialFile.create(p, data.length)) {
            // What was written before the break: the right bytes up to the offset, then bytes to be discarded.
            f.write(data, 0, (int) at);
            f.write(other, (int) at, 1_234_567);
        }
        try (SequentialFile f = SequentialFile.continueAt(p, at, data.length)) {
            assertThat(f.length()).isEqualTo(at);
            writeInPieces(f, data, (int) at);
        }
        assertThat(Arrays.equals(Files.readAllBytes(p), data)).isTrue();
    }

    @Test
    void anAbortedFileKeepsOnlyWhatWasWrittenOutAndFurtherWritesAreRefused() throws Exception {
        byte[] data = bytes(6 << 20, 3);
        Path p = dir.resolve("aborted");
        SequentialFile f = SequentialFile.create(p, data.length);
        f.write(data, 0, (2 << 20) + 10);
        f.abort();
        assertThat(Files.size(p)).isEqualTo(2 << 20); // whole buffers only; the rest is dropped
        assertThat(Arrays.equals(Files.readAllBytes(p), Arrays.copyOf(data, 2 << 20))).isTrue();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> f.write(data, 0, 1))).hasMessageContaining("closed");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> SequentialFile.create(p, 1))).isInstanceOf(
                java.nio.file.FileAlreadyExistsException.class);
    }

    /**
     * A large direct file writes behind: the disk's failure on a buffer written in the background is not
     * lost. It fails the next call, and every call after it, so a broken payload is never synced as whole.
     */
    @Test
    void aWriteThatFailsBehindFailsTheNextCallAndEveryOneAfter() throws Exception {
        Path p = dir.resolve("failing");
        byte[] data = bytes(4 * SequentialFile.BUFFER, 9);
        SequentialFile f = SequentialFile.create(p, 64L << 20);
        org.junit.jupiter.api.Assumptions.assumeTrue(f.direct(), "direct I/O on this file system (writing behind needs it)");
        f.write(data, 0, SequentialFile.BUFFER); // the first buffer goes out in the writer's thread (a refusal falls back there)
        java.lang.reflect.Field channel = SequentialFile.class.getDeclaredField("channel");
        channel.setAccessible(true);
        ((java.nio.channels.FileChannel) channel.get(f)).close(); // the disk fails from here on
        f.write(data, SequentialFile.BUFFER, SequentialFile.BUFFER); // handed to the writer behind, which fails
        Throwable first = org.assertj.core.api.Assertions.catchThrowable(f::sync);
        assertThat(first).isInstanceOf(java.io.IOException.class);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> f.write(data, 0, 1))).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("failed");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(f::sync)).isInstanceOf(java.io.IOException.class);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(f::close)).isInstanceOf(java.io.IOException.class);
        f.abort();
        assertThat(Files.size(p)).isEqualTo(SequentialFile.BUFFER);
    }

    /** Read back in odd pieces with skips, small files through the page cache and large ones past it: the same bytes. */
    @ParameterizedTest
    @ValueSource(ints = {0, 10, 100_000, (5 << 20) + 3, 9 << 20})
    void theReaderReturnsTheFileBytesAcrossSkips(int size) throws Exception {
        byte[] data = bytes(size, size + 1);
        Path p = Files.write(dir.resolve("read-" + size), data);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        try (java.io.InputStream in = SequentialReader.open(p)) {
            if ("ext4".equals(Files.getFileStore(dir).type())) {
                assertThat(in instanceof SequentialReader).as("direct I/O for large files").isEqualTo(size >= DirectIo.FROM);
            }
            int at = 0;
            byte[] piece = new byte[70_001];
            for (int i = 0; at < size; i++) {
                if (i % 3 == 2) {
                    long skipped = in.skip(12_345 + i);
                    at += (int) skipped;
                    continue;
                }
                int n = in.read(piece, 0, i % 2 == 0 ? piece.length : 1);
                if (n < 0) {
                    break;
                }
                got.write(piece, 0, n);
                expected.write(data, at, n);
                at += n;
            }
            assertThat(in.read()).isEqualTo(-1);
        }
        assertThat(Arrays.equals(got.toByteArray(), expected.toByteArray())).isTrue();
        assertThat(got.size()).isGreaterThan(size / 2 - 1);
    }

    /** Many large files at once (a member opening many transfers) share a bounded number of 1 MiB buffers; the rest get small ones. */
    @Test
    void largeBuffersAreBoundedAndReturned() throws Exception {
        java.util.List<SequentialFile> open = new java.util.ArrayList<>();
        byte[] data = bytes(100_000, 5);
        try {
            for (int i = 0; i < DirectIo.MAX_LARGE + 5; i++) {
                open.add(SequentialFile.create(dir.resolve("many-" + i), 64L << 20));
            }
            assertThat(open.stream().filter(f -> f.bufferSize() == SequentialFile.BUFFER)).hasSize(DirectIo.MAX_LARGE);
            assertThat(open.stream().filter(f -> f.bufferSize() == SequentialFile.SMALL)).hasSize(5);
            for (SequentialFile f : open) {
                f.write(data, 0, data.length);
            }
        } finally {
            for (SequentialFile f : open) {
                f.close();
            }
        }
        for (int i = 0; i < open.size(); i++) {
            assertThat(Arrays.equals(Files.readAllBytes(dir.resolve("many-" + i)), data)).isTrue();
        }
        try (SequentialFile again = SequentialFile.create(dir.resolve("after"), 64L << 20)) {
            assertThat(again.bufferSize()).isEqualTo(SequentialFile.BUFFER); // every large buffer came back
        }
    }
}
