package org.liaison.gateway.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A download read on a worker, chunk by chunk, for Netty's chunked writer. */
class OffLoopChunksTest {
    /**
     * Taken as fast as the writer can ask (a flush, a writability change) while a worker reads: every
     * byte comes out once, in order. Regression: a read-ahead could start while the chunk just read was still
     * waiting, and its chunk replaced the waiting one — a download lost 128 KiB and then hung short of its
     * Content-Length ("fixed content-length: 209717489, bytes received: 209586417").
     */
    @Test
    void noChunkIsLostWhenTheWriterAsksWhileTheWorkerReads() throws Exception {
        byte[] data = new byte[4 << 20];
        new Random(7).nextBytes(data);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            OffLoopChunks input = new OffLoopChunks(new ByteArrayInputStream(data), data.length, pool, 64, () -> { });
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!input.isEndOfInput() && System.nanoTime() < deadline) {
                ByteBuf b = input.readChunk(ByteBufAllocator.DEFAULT);
                if (b != null) {
                    byte[] chunk = new byte[b.readableBytes()];
                    b.readBytes(chunk);
                    b.release();
                    out.write(chunk);
                } else {
                    Thread.onSpinWait();
                }
            }
            assertThat(input.isEndOfInput()).isTrue();
            assertThat(out.size()).isEqualTo(data.length);
            assertThat(out.toByteArray()).isEqualTo(data);
        } finally {
            pool.shutdownNow();
        }
    }
}
