package org.liaison.gateway.store;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A payload file read front to back (a fetch decrypting it, say): a large one in aligned blocks of
 * {@link SequentialFile#BUFFER} bytes with direct I/O, past the page cache (see {@link DirectIo});
 * a small one, or one on a file system that refuses direct I/O, through the page cache as usual.
 * Skipping forward costs no reads.
 */
public final class SequentialReader extends InputStream {
    private final Path file;
    private final long size;
    private FileChannel channel;
    private int align;
    private final ByteBuf pooled;
    private final ByteBuffer buf;
    /** The file offset of {@code buf}'s first byte. */
    private long bufStart;
    /** The next byte to return. */
    private long pos;
    private boolean closed;

    private SequentialReader(Path file, long size, FileChannel channel, int align) {
        this.file = file;
        this.size = size;
        this.channel = channel;
        this.align = align;
        int capacity = SequentialFile.BUFFER;
        this.pooled = PooledByteBufAllocator.DEFAULT.directBuffer(capacity + DirectIo.MAX_ALIGNMENT, capacity + DirectIo.MAX_ALIGNMENT);
        this.buf = pooled.nioBuffer(0, capacity + DirectIo.MAX_ALIGNMENT).alignedSlice(align).limit(capacity).slice().limit(0);
    }

    /** An input stream over {@code file}: direct I/O when it is large and its file system allows, else a plain one. */
    public static InputStream open(Path file) throws IOException {
        long size = Files.size(file);
        int align = DirectIo.alignment(file, size);
        FileChannel ch = align > 0 ? DirectIo.open(file, StandardOpenOption.READ) : null;
        if (ch == null) {
            return Files.newInputStream(file);
        }
        try {
            return new SequentialReader(file, size, ch, align);
        } catch (RuntimeException | Error e) {
            ch.close();
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
            fill();
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

    /** Reads the aligned block run that holds {@link #pos}. */
    private void fill() throws IOException {
        bufStart = align > 1 ? pos - pos % align : pos;
        buf.clear();
        try {
            while (buf.hasRemaining()) {
                if (channel.read(buf, bufStart + buf.position()) <= 0) {
                    break; // the end of the file (a direct read ends with the partial last block)
                }
                if (align > 1 && buf.position() % align != 0) {
                    break;
                }
            }
        } catch (IOException e) {
            if (align == 1 || buf.position() > 0) {
                throw e;
            }
            // Direct I/O refused at the first read: read through the page cache.
            DirectIo.refused(file, e);
            channel.close();
            channel = FileChannel.open(file, StandardOpenOption.READ);
            align = 1;
            fill();
            return;
        }
        buf.flip();
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
            channel.close();
        } finally {
            pooled.release();
        }
    }
}
