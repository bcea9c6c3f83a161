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

/**
 * The body of a message on the peer API, {@code length ‖ envelope ‖ payload bytes [from, end)}, read
 * from the payload files in chunks of {@value #CHUNK} bytes straight into pooled buffers (no stream
 * copies): memory is a few chunks whatever the payload size. {@code from} &gt; 0 resumes a broken
 * transfer where the receiver's verified bytes end.
 */
final class MessageBody implements ChunkedInput<ByteBuf> {
    static final int CHUNK = 256 * 1024;
    private final byte[] head;
    private final List<Path> payloads;
    private final long[] sizes;
    private final long length;
    private final AtomicLong sent;
    private boolean headSent;
    private int file;
    private long position;
    private FileChannel in;
    /** The block size {@link #in} is read in when it was opened for direct I/O, else 0. */
    private int align;
    private long progress;

    /**
     * @param sizes the payload files' sizes (taken once by the caller, off the event loop)
     * @param sent counts the payload bytes read for the wire
     */
    MessageBody(byte[] envelope, List<Path> payloads, long[] sizes, long from, AtomicLong sent) {
        this.head = ByteBuffer.allocate(4 + envelope.length).putInt(envelope.length).put(envelope).array();
        this.payloads = payloads;
        this.sent = sent;
        this.sizes = sizes;
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

    @Override
    public ByteBuf readChunk(ByteBufAllocator alloc) throws IOException {
        if (!headSent) {
            headSent = true;
            progress += head.length;
            return Unpooled.wrappedBuffer(head);
        }
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
            align = org.liaison.gateway.store.DirectIo.alignment(payloads.get(file), sizes[file]);
            in = align > 0 ? org.liaison.gateway.store.DirectIo.open(payloads.get(file), StandardOpenOption.READ) : null;
            if (in == null) {
                align = 0;
                in = FileChannel.open(payloads.get(file), StandardOpenOption.READ);
            }
        }
        int n = (int) Math.min(CHUNK, sizes[file] - position);
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
        progress += n;
        sent.addAndGet(n);
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
            try {
                while (target.position() < lead + n) {
                    if (in.read(target, from + target.position()) < 0) {
                        throw shorter();
                    }
                }
            } catch (IOException e) {
                if (target.position() > 0 || e.getMessage() != null && e.getMessage().contains("shorter")) {
                    throw e;
                }
                org.liaison.gateway.store.DirectIo.refused(payloads.get(file), e);
                in.close();
                in = FileChannel.open(payloads.get(file), StandardOpenOption.READ);
                align = 0;
                return null;
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

    @Override
    public void close() throws IOException {
        closeFile();
    }
}
