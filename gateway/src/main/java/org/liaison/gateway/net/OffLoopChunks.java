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
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A download's body for Netty's {@link io.netty.handler.stream.ChunkedWriteHandler}, read on a worker:
 * a stored payload is read from disk and decrypted, never on the event loop. The handler pulls a chunk
 * only while the channel is writable (backpressure: a slow reader holds at most one chunk here plus what
 * the channel holds); a chunk not read yet answers {@code null}, and {@code ready} is called when it is,
 * so that the handler resumes the transfer. One chunk is read ahead while the one before is written.
 * One read at a time, and only while no chunk waits: a read that started while one waited would replace it.
 */
public final class OffLoopChunks implements ChunkedInput<ByteBuf> {
    public static final int CHUNK = 128 * 1024;

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
        if (next != null || end) { // a read finished between the look above and taking the turn: its chunk waits
            reading.set(false);
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
