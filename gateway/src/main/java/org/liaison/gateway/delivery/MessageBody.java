package org.liaison.gateway.delivery;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.liaison.gateway.store.DirectIo;

/**
 * The body of a message on the peer API, {@code length ‖ envelope ‖ payload bytes [from, end)}, read
 * from the payload files in chunks of {@value #CHUNK} bytes straight into pooled buffers (no stream
 * copies). The files are read ahead on a reader pool, at most {@value #AHEAD} chunks, never on the
 * event loop: a read that waits for the disk (a large payload is read with direct I/O, which has no
 * kernel read-ahead) held the sending event loop a quarter of a bulk delivery's time. When no chunk
 * is ready {@link #readChunk} returns null and the writer is woken ({@link #onReady}) once one is.
 * Memory is a few chunks whatever the payload size. {@code from} &gt; 0 resumes a broken transfer
 * where the receiver's verified bytes end.
 */
final class MessageBody implements ChunkedInput<ByteBuf> {
    static final int CHUNK = 256 * 1024;
    /** Chunks read ahead of the writer at most. */
    static final int AHEAD = 4;
    private final byte[] head;
    private final List<Path> payloads;
    private final long[] sizes;
    private final long length;
    private final AtomicLong sent;
    private final java.util.concurrent.Executor readers;
    private volatile Runnable ready = () -> { };
    private boolean headSent;
    private long progress;

    /** Chunks read and not yet taken. */
    private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuf> ahead = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();
    /** Whether a read-ahead task runs; the reader's state below is touched by that task only. */
    private final java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile IOException failure;
    private volatile boolean exhausted;
    private boolean closed;
    private int file;
    private long position;
    private FileChannel in;
    /** The block size {@link #in} is read in when it was opened for direct I/O, else 0. */
    private int align;

    /**
     * @param sizes the payload files' sizes (taken once by the caller, off the event loop)
     * @param sent counts the payload bytes read for the wire
     * @param readers where the files are read
     */
    MessageBody(byte[] envelope, List<Path> payloads, long[] sizes, long from, AtomicLong sent, java.util.concurrent.Executor readers) {
        this.head = ByteBuffer.allocate(4 + envelope.length).putInt(envelope.length).put(envelope).array();
        this.payloads = payloads;
        this.sent = sent;
        this.sizes = sizes;
        this.readers = readers;
        long total = 0;
        for (long size : sizes) {
            total += size;
        }
        if (from < 0 || from > total) {
            throw new IllegalArgumentException("from: " + from + " (expected: 0 to " + total + ")");
        }
        long skip = from;
        while (file < sizes.length && skip >= sizes[file]) {
            skip -= sizes[file++];
        }
        this.position = skip;
        this.length = head.length + total - from;
    }

    /** {@code ready} is called (from a reader) whenever a chunk became ready or reading failed. */
    void onReady(Runnable ready) {
        this.ready = ready;
    }

    /** The body's length in bytes (the request's Content-Length). */
    @Override
    public long length() {
        return length;
    }

    @Override
    public boolean isEndOfInput() {
        return progress == length;
    }

    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) throws IOException {
        return readChunk(ctx.alloc());
    }

    /** The next chunk, or null when none is read yet (the writer is woken through {@link #onReady}). */
    @Override
    public ByteBuf readChunk(ByteBufAllocator alloc) throws IOException {
        if (!headSent) {
            headSent = true;
            progress += head.length;
            readAhead();
            return Unpooled.wrappedBuffer(head);
        }
        ByteBuf b = ahead.poll();
        if (b != null) {
            queued.decrementAndGet();
            progress += b.readableBytes();
            sent.addAndGet(b.readableBytes());
        } else if (failure != null) {
            throw failure;
        }
        readAhead();
        return b;
    }

    /** Starts a read-ahead task unless one runs, the reads are done, or enough chunks wait. */
    private void readAhead() {
        if (exhausted || failure != null || queued.get() >= AHEAD || !reading.compareAndSet(false, true)) {
            return;
        }
        try {
            readers.execute(this::readSome);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            reading.set(false);
            failure = new IOException("the node is stopping");
            ready.run();
        }
    }

    private void readSome() {
        try {
            while (!exhausted && queued.get() < AHEAD) {
                ByteBuf b = readNext();
                if (b == null) {
                    exhausted = true;
                    closeFile();
                    break;
                }
                synchronized (this) {
                    if (closed) {
                        b.release();
                        break;
                    }
                    ahead.add(b);
                    queued.incrementAndGet();
                }
                ready.run();
            }
        } catch (IOException | RuntimeException e) {
            failure = e instanceof IOException io ? io : new IOException(e);
            ready.run();
        } finally {
            synchronized (this) {
                reading.set(false);
                if (closed) {
                    quietlyCloseFile();
                }
            }
        }
        // The writer may have taken chunks after the loop looked: read on if so.
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        readAhead();
    }

    /** The next chunk of the payload files, or null after the last. On a reader. */
    private ByteBuf readNext() throws IOException {
        while (file < sizes.length && position == sizes[file]) {
            closeFile();
            file++;
            position = 0;
        }
        if (file >= sizes.length) {
            return null;
        }
        if (in == null) {
            // A large payload is read past the page cache (written there once, read once: see DirectIo).
            DirectIo.Reading r = DirectIo.openForReading(payloads.get(file), sizes[file]);
            in = r.channel();
            align = r.align();
        }
        int n = (int) Math.min(CHUNK, sizes[file] - position);
        ByteBufAllocator alloc = io.netty.buffer.PooledByteBufAllocator.DEFAULT;
        ByteBuf buf = align > 0 ? readDirect(alloc, n) : null;
        if (buf == null) {
            buf = alloc.directBuffer(n);
            boolean ok = false;
            try {
                while (buf.writerIndex() < n) {
                    int r = buf.writeBytes(in, position + buf.writerIndex(), n - buf.writerIndex());
                    if (r < 0) {
                        throw shorter();
                    }
                }
                ok = true;
            } finally {
                if (!ok) {
                    buf.release();
                }
            }
        }
        position += n;
        return buf;
    }

    private IOException shorter() {
        return new IOException("payload file " + payloads.get(file).getFileName() + " is shorter than it was");
    }

    /**
     * Reads {@code n} bytes at {@link #position} with direct I/O: whole aligned blocks into an aligned
     * region of the buffer, whose readable part is then the bytes asked for. Returns null, having
     * reopened the file for buffered reads, when the file system refuses.
     */
    private ByteBuf readDirect(ByteBufAllocator alloc, int n) throws IOException {
        long from = position - position % align;
        int lead = (int) (position - from);
        int len = (lead + n + align - 1) / align * align;
        ByteBuf buf = alloc.directBuffer(len + align, len + align);
        boolean ok = false;
        try {
            ByteBuffer whole = buf.nioBuffer(0, len + align);
            int skew = whole.alignmentOffset(0, align);
            int start = skew == 0 ? 0 : align - skew;
            ByteBuffer target = whole.position(start).limit(start + len).slice();
            while (target.position() < lead + n) {
                int r;
                try {
                    r = in.read(target, from + target.position());
                } catch (IOException e) {
                    if (target.position() > 0) {
                        throw e;
                    }
                    in = DirectIo.reopenBuffered(payloads.get(file), in, e, StandardOpenOption.READ);
                    align = 0;
                    return null; // read buffered from here on
                }
                if (r < 0) {
                    throw shorter();
                }
            }
            buf.setIndex(start + lead, start + lead + n);
            ok = true;
            return buf;
        } finally {
            if (!ok) {
                buf.release();
            }
        }
    }

    @Override
    public long progress() {
        return progress;
    }

    private void closeFile() throws IOException {
        if (in != null) {
            in.close();
            in = null;
        }
    }

    private void quietlyCloseFile() {
        try {
            closeFile();
        } catch (IOException e) {
            // read-only: nothing is lost
        }
    }

    /** The writer is done (sent, or failed): chunks not taken are released, the file is closed once no read runs. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            ByteBuf b;
            while ((b = ahead.poll()) != null) {
                b.release();
            }
            if (!reading.get()) {
                quietlyCloseFile();
            }
        }
    }
}
