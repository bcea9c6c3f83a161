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
            in = FileChannel.open(payloads.get(file), StandardOpenOption.READ);
        }
        int n = (int) Math.min(CHUNK, sizes[file] - position);
        ByteBuf buf = alloc.directBuffer(n);
        boolean ok = false;
        try {
            while (buf.writerIndex() < n) {
                int r = buf.writeBytes(in, position + buf.writerIndex(), n - buf.writerIndex());
                if (r < 0) {
                    throw new IOException("payload file " + payloads.get(file).getFileName() + " is shorter than it was");
                }
            }
            ok = true;
        } finally {
            if (!ok) {
                buf.release();
            }
        }
        position += n;
        progress += n;
        sent.addAndGet(n);
        return buf;
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
