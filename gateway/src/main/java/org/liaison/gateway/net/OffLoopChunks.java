package org.liaison.gateway.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A download's body for Netty's {@link io.netty.handler.stream.ChunkedWriteHandler}, read on a worker:
 * a stored payload is read from disk and decrypted, never on the event loop. The handler pulls a chunk
 * only while the channel is writable (backpressure: a slow reader holds at most one chunk here plus what
 * the channel holds); a chunk not read yet answers {@code null}, and {@code ready} is called when it is,
 * so that the handler resumes the transfer. One chunk is read ahead while the one before is written.
 * While the transfer runs, a watchdog on the channel's event loop calls {@code ready} again every
 * {@link #WATCH_MILLIS} ms when a chunk (or the end) waits to be taken: a wake-up lost between the worker
 * and the handler then costs a pause, not the download (a download stalled two chunks before its end
 * until the idle timeout closed it). It cannot hide a client that stops reading: the handler takes
 * nothing while the channel is not writable, and the idle timeout closes such a client as before.
 */
public final class OffLoopChunks implements ChunkedInput<ByteBuf> {
    public static final int CHUNK = 128 * 1024;
    /** How often the watchdog looks for a chunk that waits to be taken. */
    public static final long WATCH_MILLIS = 1000;

    private final InputStream in;
    private final long length;
    private final Executor pool;
    private final Runnable ready;
    private final int chunkSize;
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile byte[] next;
    private volatile boolean end;
    private volatile boolean closed;
    private volatile IOException failure;
    private long progress;
    private volatile ScheduledFuture<?> watchdog;

    /**
     * @param length the bytes {@code in} holds (for {@link #length()})
     * @param ready called, from the worker, once a chunk (or the end, or a failure) is there
     */
    public OffLoopChunks(InputStream in, long length, Executor pool, int chunkSize, Runnable ready) {
        this.in = in;
        this.length = length;
        this.pool = pool;
        this.chunkSize = chunkSize;
        this.ready = ready;
    }

    /**
     * Starts the watchdog on {@code loop} (the channel's event loop); it stops when the input is closed
     * (at its end, or when the transfer is discarded).
     */
    public OffLoopChunks watchedOn(ScheduledExecutorService loop) {
        watchdog = loop.scheduleWithFixedDelay(() -> {
            if (closed) {
                stopWatching();
            } else if (next != null || end || failure != null) {
                ready.run(); // a chunk waits: the handler takes it if the channel is writable, else nothing happens
            }
        }, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
        return this;
    }

    private void stopWatching() {
        ScheduledFuture<?> w = watchdog;
        if (w != null) {
            w.cancel(false);
        }
    }

    /** What the transfer waits for, in words (for the log when a download is cut off). */
    public String state() {
        return "at byte " + progress + " of " + length + (next != null ? ", a chunk ready" : "") + (reading.get() ? ", a chunk being read" : "")
                + (end ? ", the end read" : "") + (failure != null ? ", failed: " + failure.getMessage() : "");
    }

    /** Why reading failed, or null. */
    public IOException failure() {
        return failure;
    }

    @Override
    public boolean isEndOfInput() {
        return end && next == null;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        stopWatching();
        in.close();
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
        if (failure != null) {
            throw failure;
        }
        byte[] chunk = next;
        if (chunk == null) {
            readAhead();
            return null; // the handler waits for ready
        }
        next = null;
        progress += chunk.length;
        readAhead(); // the next chunk is read while this one is written
        return Unpooled.wrappedBuffer(chunk);
    }

    private void readAhead() {
        if (end || closed || failure != null || next != null || !reading.compareAndSet(false, true)) {
            return;
        }
        try {
            pool.execute(() -> {
                try {
                    byte[] b = in.readNBytes(chunkSize);
                    if (b.length == 0) {
                        end = true;
                    } else {
                        next = b;
                    }
                } catch (IOException e) {
                    failure = e;
                } catch (RuntimeException e) {
                    failure = new IOException(e.toString(), e);
                }
                reading.set(false);
                ready.run();
            });
        } catch (RejectedExecutionException stopping) {
            failure = new IOException("the node is stopping");
            reading.set(false);
            ready.run();
        }
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long progress() {
        return progress;
    }
}
