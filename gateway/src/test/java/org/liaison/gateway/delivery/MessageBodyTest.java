package org.liaison.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class MessageBodyTest {
    @TempDir
    Path dir;

    /**
     * The body is the length, the envelope and the payload bytes from the resume offset on — whether the
     * payloads are read through the page cache (small) or past it in aligned blocks (large), from any offset.
     */
    @ParameterizedTest
    @ValueSource(longs = {0, 1, 4095, 4096, 262_145, 5_000_001, (6 << 20) + 100, (6 << 20) + 5000})
    void theBodyIsTheEnvelopeAndThePayloadBytesFromTheOffset(long from) throws Exception {
        Random r = new Random(from);
        byte[] big = new byte[(6 << 20) + 99];
        byte[] small = new byte[5001];
        r.nextBytes(big);
        r.nextBytes(small);
        Path a = Files.write(dir.resolve("payload-0"), big);
        Path b = Files.write(dir.resolve("payload-1"), small);
        byte[] envelope = "<Envelope/>".getBytes();
        AtomicLong sent = new AtomicLong();
        java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(2);
        MessageBody body = new MessageBody(envelope, List.of(a, b), new long[] {big.length, small.length}, from, sent, readers);
        java.util.concurrent.Semaphore woken = new java.util.concurrent.Semaphore(0);
        body.onReady(woken::release);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            while (!body.isEndOfInput()) {
                ByteBuf chunk = body.readChunk(PooledByteBufAllocator.DEFAULT);
                if (chunk == null) { // none read ahead yet: wait to be woken, as the channel's writer does
                    assertThat(woken.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS)).as("woken when a chunk is ready").isTrue();
                    continue;
                }
                byte[] bytes = new byte[chunk.readableBytes()];
                chunk.readBytes(bytes);
                chunk.release();
                out.write(bytes);
            }
        } finally {
            body.close();
            readers.shutdown();
        }
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(ByteBuffer.allocate(4).putInt(envelope.length).array());
        expected.write(envelope);
        byte[] payloads = new byte[big.length + small.length];
        System.arraycopy(big, 0, payloads, 0, big.length);
        System.arraycopy(small, 0, payloads, big.length, small.length);
        expected.write(payloads, (int) from, (int) (payloads.length - from));
        assertThat(body.isEndOfInput()).isTrue();
        assertThat(out.size()).isEqualTo(expected.size());
        assertThat(Arrays.equals(out.toByteArray(), expected.toByteArray())).isTrue();
        assertThat(sent.get()).isEqualTo(payloads.length - from);
    }

    /** A payload file shorter than its recorded size fails the body (after the bytes that were there), and nothing leaks. */
    @org.junit.jupiter.api.Test
    void aPayloadCutShortFailsTheBody() throws Exception {
        Path a = Files.write(dir.resolve("payload-0"), new byte[5 << 20]);
        java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newSingleThreadExecutor();
        MessageBody body = new MessageBody(new byte[] {1}, List.of(a), new long[] {6 << 20}, 0, new AtomicLong(), readers);
        java.util.concurrent.Semaphore woken = new java.util.concurrent.Semaphore(0);
        body.onReady(woken::release);
        long got = 0;
        Throwable failed = null;
        try {
            while (!body.isEndOfInput() && failed == null) {
                try {
                    ByteBuf chunk = body.readChunk(PooledByteBufAllocator.DEFAULT);
                    if (chunk == null) {
                        assertThat(woken.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                        continue;
                    }
                    got += chunk.readableBytes();
                    chunk.release();
                } catch (java.io.IOException e) {
                    failed = e;
                }
            }
        } finally {
            body.close();
            readers.shutdown();
        }
        assertThat(failed).hasMessageContaining("shorter than it was");
        assertThat(got).isEqualTo(5 + (5 << 20)); // the head and every byte the file had
    }
}
