package org.liaison.gateway.store;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A payload file written front to back — a received payload, an encrypted upload — in large
 * writes from a pooled buffer, and for a large file with direct I/O ({@code O_DIRECT}), past the
 * page cache.
 *
 * <p>Why: writing a large file through the page cache cost the receiving node about 2 ns of kernel
 * CPU per byte on these machines (the payload writer thread at 70–80 % system time, the bottleneck
 * of a bulk delivery), while direct writes of 1 MiB blocks cost a twentieth of that ({@code dd
 * oflag=direct}: 0.10 s of system time per GiB against 2.5 s buffered). A payload is read once,
 * when it is delivered or fetched, so caching it while writing buys little.
 *
 * <p>Direct I/O needs block-aligned buffers, positions and lengths: whole blocks go out as the
 * buffer fills; the last, partial block is written padded and the file then truncated to its true
 * length, and kept in the buffer in case more bytes follow. A file system that refuses direct I/O
 * (at open or at the first write) gets buffered writes instead, logged once. Not thread-safe: one
 * writer at a time.
 *
 * <p>A large direct file writes behind: a full buffer goes to disk on {@link DirectIo#io} while the
 * writer fills a second one, so hashing and encrypting the next megabyte overlap the disk's write
 * of this one (a synchronous 1 MiB direct write took the upload worker about 1.5 ms per MiB, a
 * quarter of its time). At most one write is in flight per file; {@link #sync}, {@link #close} and
 * {@link #abort} wait for it, and a write that failed in the background fails the next call.
 */
public final class SequentialFile implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(SequentialFile.class);
    /** The write size: whole blocks of this many bytes go to disk at once. */
    public static final int BUFFER = 1 << 20;
    /** The buffer of a small file, or of a large one when {@link DirectIo#MAX_LARGE} are taken. */
    static final int SMALL = 64 << 10;
    /** Whether this file holds one of the large buffers. */
    private final boolean large;

    private final Path file;
    private FileChannel channel;
    private final ByteBuf pooled;
    /** The buffer being filled. */
    private ByteBuffer buf;
    /** The buffer written behind while {@code buf} fills (large direct files), or null. */
    private ByteBuffer spare;
    /** The write of {@code spare} under way, or null. */
    private java.util.concurrent.CompletableFuture<Void> writing;
    /** Whether a direct write went through here (a refusal is handled at the first write, never written behind). */
    private boolean proven;
    /** A write behind that failed: every later call fails with it. */
    private IOException failed;
    /** 1 for buffered writes; the block size for direct ones. */
    private int align;
    /** Where {@code buf}'s first byte goes in the file (a multiple of {@link #align}). */
    private long blockStart;
    private boolean closed;

    private SequentialFile(Path file, FileChannel channel, int align, int capacity, boolean large) {
        this.large = large;
        this.file = file;
        this.channel = channel;
        this.align = align;
        boolean behind = large && align > 1 && capacity % align == 0;
        ByteBuffer[] two = new ByteBuffer[2];
        this.pooled = DirectIo.buffers(behind ? 2 : 1, capacity, align, two);
        this.buf = two[0];
        this.spare = two[1];
    }

    /** A new file (it must not exist) of about {@code expectedSize} bytes. */
    public static SequentialFile create(Path file, long expectedSize) throws IOException {
        return open(file, expectedSize, 0, StandardOpenOption.CREATE_NEW);
    }

    /**
     * An existing file, cut to {@code position} bytes, to be continued from there (a resumed
     * transfer); {@code expectedSize} is the size it will have.
     */
    public static SequentialFile continueAt(Path file, long position, long expectedSize) throws IOException {
        SequentialFile f = open(file, expectedSize, position, StandardOpenOption.CREATE);
        try {
            f.channel.truncate(position);
            // The block the file ends in is read back into the buffer, which is rewritten whole.
            f.blockStart = position - position % f.align;
            int partial = (int) (position - f.blockStart);
            if (partial > 0) {
                f.buf.clear().limit(f.align);
                while (f.buf.position() < partial) {
                    if (f.channel.read(f.buf, f.blockStart + f.buf.position()) < 0) {
                        throw new IOException(file + " ended before byte " + position);
                    }
                }
                f.buf.limit(f.buf.capacity()).position(partial);
            }
            return f;
        } catch (IOException | RuntimeException e) {
            f.abort();
            throw e;
        }
    }

    private static SequentialFile open(Path file, long expectedSize, long position, OpenOption create) throws IOException {
        long capacity = Math.min(BUFFER, Math.max(64 << 10, expectedSize - position));
        capacity = (capacity + 4095) & ~4095L;
        boolean large = capacity > SMALL && DirectIo.reserveLarge();
        if (!large) {
            capacity = Math.min(capacity, SMALL);
        }
        int align = DirectIo.alignment(file, expectedSize);
        FileChannel ch = align > 0 ? DirectIo.open(file, create, StandardOpenOption.READ, StandardOpenOption.WRITE) : null;
        if (ch == null) {
            // A refused direct open may have created the file already (Linux checks O_DIRECT after O_CREAT).
            boolean tried = align > 0 && create == StandardOpenOption.CREATE_NEW;
            align = 1;
            ch = FileChannel.open(file, tried ? StandardOpenOption.CREATE : create, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (tried && ch.size() > 0) {
                ch.close();
                throw new java.nio.file.FileAlreadyExistsException(file.toString());
            }
        }
        try {
            return new SequentialFile(file, ch, align, (int) capacity, large);
        } catch (RuntimeException | Error e) {
            ch.close();
            if (large) {
                DirectIo.releaseLarge();
            }
            throw e;
        }
    }

    /** The buffer's size: whole blocks of it go to disk at once. */
    int bufferSize() {
        return buf.capacity();
    }

    /** Whether this file bypasses the page cache. */
    public boolean direct() {
        return align > 1;
    }

    /** The file's length once everything written so far is flushed. */
    public long length() {
        return blockStart + buf.position();
    }

    /** Appends the bytes left in {@code src} (consumed). */
    public void write(ByteBuffer src) throws IOException {
        check();
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), buf.remaining());
            ByteBuffer part = src.slice().limit(n);
            buf.put(part);
            src.position(src.position() + n);
            if (!buf.hasRemaining()) {
                flush(false);
            }
        }
    }

    /** Appends {@code len} bytes of {@code b} from {@code off}. */
    public void write(byte[] b, int off, int len) throws IOException {
        write(ByteBuffer.wrap(b, off, len));
    }

    /**
     * Writes what waits in the buffer: whole blocks, and with {@code tail} the partial last block
     * too (padded, then cut off by a truncation); the partial block stays in the buffer.
     */
    private void flush(boolean tail) throws IOException {
        failIfFailed();
        int filled = buf.position();
        if (!tail && spare != null && proven && filled == buf.capacity()) {
            awaitWriting();
            ByteBuffer full = buf.flip();
            long at = blockStart;
            writing = DirectIo.inBackground(() -> writeOut(full, at));
            buf = spare;
            spare = full;
            buf.clear();
            blockStart += filled;
            return;
        }
        awaitWriting();
        int whole = filled - filled % align;
        int out = tail ? (filled + align - 1) / align * align : whole;
        if (out > 0) {
            for (int i = filled; i < out; i++) {
                buf.put(i, (byte) 0);
            }
            writeFully(buf.duplicate().position(0).limit(out), blockStart);
            if (out > filled) {
                channel.truncate(blockStart + filled);
            }
        }
        // What is left of a partial block moves to the buffer's front, to be written again whole.
        ByteBuffer rest = buf.duplicate().position(whole).limit(filled);
        buf.clear();
        buf.put(rest);
        blockStart += whole;
    }

    private void writeFully(ByteBuffer b, long at) throws IOException {
        int start = b.position();
        try {
            writeOut(b, at);
            proven = align > 1;
        } catch (IOException e) {
            if (align == 1) {
                throw e;
            }
            // Direct I/O refused at the first write (an unexpected alignment, a file system that fails it): write buffered.
            channel = DirectIo.reopenBuffered(file, channel, e, StandardOpenOption.READ, StandardOpenOption.WRITE);
            align = 1;
            proven = false;
            b.position(start);
            writeOut(b, at);
        }
    }

    /** Writes {@code b} (from its position) at {@code at}; no fallback: this may run behind, off the writer's thread. */
    private void writeOut(ByteBuffer b, long at) throws IOException {
        int start = b.position();
        while (b.hasRemaining()) {
            channel.write(b, at + b.position() - start);
        }
    }

    /** Waits for the write behind, if any; its failure becomes this file's. */
    private void awaitWriting() throws IOException {
        java.util.concurrent.CompletableFuture<Void> w = writing;
        if (w == null) {
            return;
        }
        try {
            w.join(); // at most one buffer's write: not worth an interruptible wait that would leave it running
        } catch (java.util.concurrent.CompletionException e) {
            failed = DirectIo.failure(e, "writing " + file);
            throw failed;
        } finally {
            writing = null;
        }
    }

    /** Writes everything and forces it to the disk (data and length). */
    public void sync() throws IOException {
        check();
        flush(true);
        channel.force(true);
    }

    /**
     * An {@link OutputStream} over this file; closing it closes the file (see {@link #close}), after
     * forcing it to disk ({@link #sync}) when {@code syncOnClose}.
     */
    public OutputStream stream(boolean syncOnClose) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                SequentialFile.this.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                SequentialFile.this.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                try {
                    if (syncOnClose && !closed) {
                        sync();
                    }
                } finally {
                    SequentialFile.this.close();
                }
            }
        };
    }

    private void check() throws IOException {
        if (closed) {
            throw new IOException(file + " is closed");
        }
        failIfFailed();
    }

    private void failIfFailed() throws IOException {
        if (failed != null) {
            throw new IOException("writing " + file + " failed: " + failed.getMessage(), failed);
        }
    }

    /** Writes everything (not forced to disk: see {@link #sync}) and closes the file. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            flush(true);
        } finally {
            abort();
        }
    }

    /** Closes the file without writing what waits in the buffer (the file is being thrown away). */
    public void abort() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (writing != null) {
                writing.handle((v, e) -> null).join(); // its buffer is released below
                writing = null;
            }
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing {}: {}", file, e.toString());
        } finally {
            pooled.release();
            if (large) {
                DirectIo.releaseLarge();
            }
        }
    }
}
