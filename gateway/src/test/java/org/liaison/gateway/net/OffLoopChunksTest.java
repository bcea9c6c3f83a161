package org.liaison.gateway.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.io.ByteArrayInputStream;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A download read on a worker reaches its end even when a wake-up from the worker to the chunk writer is lost:
 * the watchdog hands over the chunk that waits. Regression: downloads through the local API stalled two chunks
 * (256 KiB) before their end until the idle timeout closed them ("fixed content-length: 209717489, bytes
 * received: 209455345"); the wake-up that went missing is simulated here by dropping one.
 */
class OffLoopChunksTest {
    private static final int CHUNK = 1000;

    @Test
    void aLostWakeUpCostsAPauseNotTheDownload() {
        byte[] data = new byte[5 * CHUNK + 17];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        Queue<Runnable> worker = new ArrayDeque<>();
        ChunkedWriteHandler writer = new ChunkedWriteHandler();
        EmbeddedChannel ch = new EmbeddedChannel(writer);
        ch.freezeTime();
        AtomicInteger wakeUps = new AtomicInteger();
        OffLoopChunks input = new OffLoopChunks(new ByteArrayInputStream(data), data.length, worker::add, CHUNK, () -> {
            if (wakeUps.incrementAndGet() != 4) { // the fourth wake-up is lost
                writer.resumeTransfer();
            }
        }).watchedOn(ch.eventLoop());
        ch.writeAndFlush(input);
        drain(ch, worker);
        assertThat(wakeUps.get()).isGreaterThanOrEqualTo(4);
        assertThat(written(ch)).as("stalled where the wake-up was lost").isLessThan(data.length);

        ch.advanceTimeBy(OffLoopChunks.WATCH_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        drain(ch, worker);

        assertThat(written(ch)).isEqualTo(data.length);
        assertThat(input.isEndOfInput()).isTrue();
        ch.finishAndReleaseAll();
    }

    private long written;

    private static void drain(EmbeddedChannel ch, Queue<Runnable> worker) {
        for (Runnable r; (r = worker.poll()) != null; ) {
            r.run();
            ch.runPendingTasks();
        }
    }

    /** The bytes the channel wrote so far (read off its outbound queue). */
    private long written(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            written += b.readableBytes();
            b.release();
        }
        return written;
    }
}
