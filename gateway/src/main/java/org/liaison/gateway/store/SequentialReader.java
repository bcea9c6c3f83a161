package org.liaison.gateway.store;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A payload file read front to back (an upload, a fetch decrypting it, a verification): a large one
 * in aligned blocks of {@link SequentialFile#BUFFER} bytes with direct I/O, past the page cache (see
 * {@link DirectIo}), the next block read ahead on {@link DirectIo#io} while this one is consumed
 * (direct I/O has no kernel read-ahead: without it each block waited for the disk); a small one, or
 * one on a file system that refuses direct I/O, through the page cache as usual. Skipping forward
 * costs no reads.
 */
public final class SequentialReader extends InputStream {
    private final Path file;
    private final long size;
    private FileChannel channel;
    private int align;
    private final ByteBuf pooled;
    /** The block being consumed and the one read ahead. */
    private ByteBuffer buf;
    private ByteBuffer spare;
    /** The file offset of {@code buf}'s first byte. */
    private long bufStart;
    /** The read of {@code spare} under way (the block after {@code buf}), or null. */
    private CompletableFuture<Void> ahead;
    private long aheadStart = -1;
    /** The next byte to return. */
    private long pos;
    private boolean closed;

    private SequentialReader(Path file, long size, FileChannel channel, int align) {
        this.file = file;
        this.size = size;
        this.channel = channel;
        this.align = align;
        ByteBuffer[] two = new ByteBuffer[2];
        this.pooled = DirectIo.buffers(2, SequentialFile.BUFFER, align, two);
        this.buf = two[0].limit(0);
        this.spare = two[1];
    }

    /** An input stream over {@code file}: direct I/O when it is large and its file system allows, else a plain one. */
    public static InputStream open(Path file) throws IOException {
        long size = Files.size(file);
        int align = DirectIo.alignment(file, size);
        if (align == 0 || !DirectIo.reserveLarge()) {
            return Files.newInputStream(file);
        }
        FileChannel ch = DirectIo.open(file, StandardOpenOption.READ);
        if (ch == null) {
            DirectIo.releaseLarge();
            return Files.newInputStream(file);
        }
        try {
            return new SequentialReader(file, size, ch, align);
        } catch (RuntimeException | Error e) {
            ch.close();
            DirectIo.releaseLarge();
            throw e;
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException(file + " is closed");
        }
        if (len == 0) {
            return 0;
        }
        if (pos >= size) {
            return -1;
        }
        if (pos < bufStart || pos >= bufStart + buf.limit()) {
            next();
        }
        int at = (int) (pos - bufStart);
        int n = Math.min(len, buf.limit() - at);
        if (n <= 0) {
            throw new java.io.EOFException(file + " is shorter than it was (" + size + " bytes)");
        }
        buf.get(at, b, off, n);
        pos += n;
        return n;
    }

    /** Makes {@code buf} the block that holds {@link #pos}: the one read ahead when it is that one, else read now. */
    private void next() throws IOException {
        long start = align > 1 ? pos - pos % align : pos;
        if (ahead != null) {
            awaitAhead();
            if (aheadStart == start) {
                ByteBuffer t = buf;
                buf = spare;
                spare = t;
                bufStart = start;
                readAhead();
                return;
            }
        }
        bufStart = start;
        fill(buf, start);
        readAhead();
    }

    /** Starts reading the block after {@code buf} into {@code spare}, unless the file ends first. */
    private void readAhead() {
        long start = bufStart + buf.limit();
        if (buf.limit() < buf.capacity() || start >= size) {
            return;
        }
        aheadStart = start;
        ByteBuffer target = spare;
        ahead = DirectIo.inBackground(() -> fill(target, start));
    }

    private void awaitAhead() throws IOException {
        CompletableFuture<Void> f = ahead;
        ahead = null;
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            aheadStart = -1;
            throw new java.io.InterruptedIOException("interrupted while reading " + file);
        } catch (ExecutionException e) {
            aheadStart = -1;
            throw DirectIo.failure(e, "reading " + file);
        }
    }

    /** Reads the aligned block run at {@code start} into {@code into} (flipped for reading). */
    private void fill(ByteBuffer into, long start) throws IOException {
        into.clear();
        try {
            while (into.hasRemaining()) {
                if (channel.read(into, start + into.position()) <= 0) {
                    break; // the end of the file (a direct read ends with the partial last block)
                }
                if (align > 1 && into.position() % align != 0) {
                    break;
                }
            }
        } catch (IOException e) {
            if (align == 1 || into.position() > 0) {
                throw e;
            }
            // Direct I/O refused at the first read: read through the page cache.
            synchronized (this) {
                channel = DirectIo.reopenBuffered(file, channel, e, StandardOpenOption.READ);
                align = 1;
            }
            fill(into, start);
            return;
        }
        into.flip();
    }

    @Override
    public long skip(long n) {
        long k = Math.max(0, Math.min(n, size - pos));
        pos += k;
        return k;
    }

    @Override
    public int available() {
        long inBuffer = bufStart + buf.limit() - pos;
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, inBuffer));
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (ahead != null) {
                ahead.handle((v, e) -> null).join(); // its buffer is released below: wait for the read
            }
            channel.close();
        } finally {
            pooled.release();
            DirectIo.releaseLarge();
        }
    }
}
