package org.liaison.gateway.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;

/** Reads the length-prefixed records of an audit log file. */
public final class AuditLogReader {
    private AuditLogReader() {}

    /**
     * The complete records from the start of {@code ch}. An incomplete final record is skipped when
     * {@code tolerateTail} (crash recovery), reported otherwise.
     */
    public static List<byte[]> records(FileChannel ch, boolean tolerateTail) throws IOException {
        List<byte[]> out = new ArrayList<>();
        long size = ch.size();
        long pos = 0;
        // Buffered, from the start, without moving the channel's own position (the log appends there).
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
                java.nio.channels.Channels.newInputStream(new PositionalReader(ch)), 1 << 16));
        while (pos < size) {
            if (size - pos < 4) {
                return tail(out, tolerateTail, pos);
            }
            int n = in.readInt();
            if (n <= 0 || pos + 4 + n > size) {
                return tail(out, tolerateTail, pos);
            }
            byte[] b = new byte[n];
            in.readFully(b);
            out.add(b);
            pos += 4 + n;
        }
        return out;
    }

    /** Receives each complete record and the file offset it starts at; returns false to stop. */
    @FunctionalInterface
    public interface RecordHandler {
        boolean handle(long offset, byte[] record) throws IOException;
    }

    /**
     * Streams the complete records from byte {@code from} of {@code ch} (a record's start) without
     * holding them; returns the offset after the last record handled. What follows it (an incomplete
     * final record) is left for the caller to judge by comparing with {@code ch.size()}.
     */
    public static long forEach(FileChannel ch, long from, RecordHandler handler) throws IOException {
        long size = ch.size();
        long pos = from;
        PositionalReader reader = new PositionalReader(ch);
        reader.at = from;
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
                java.nio.channels.Channels.newInputStream(reader), 1 << 16));
        while (size - pos >= 4) {
            int n = in.readInt();
            if (n <= 0 || pos + 4 + n > size) {
                break;
            }
            byte[] b = new byte[n];
            in.readFully(b);
            long at = pos;
            pos += 4 + n;
            if (!handler.handle(at, b)) {
                break;
            }
        }
        return pos;
    }

    /** Reads a channel from byte 0 with positional reads, leaving its position alone. */
    private static final class PositionalReader implements java.nio.channels.ReadableByteChannel {
        private final FileChannel ch;
        private long at;

        PositionalReader(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int n = ch.read(dst, at);
            if (n > 0) {
                at += n;
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        public void close() {
            // the caller owns the channel
        }
    }

    private static List<byte[]> tail(List<byte[]> out, boolean tolerate, long pos) throws IOException {
        if (tolerate) {
            return out;
        }
        throw new IOException("incomplete record at byte " + pos + " (after entry " + (out.size() - 1) + ")");
    }
}
