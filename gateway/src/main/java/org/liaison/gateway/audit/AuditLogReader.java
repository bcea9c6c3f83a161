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
        long pos = 0;
        long size = ch.size();
        ByteBuffer len = ByteBuffer.allocate(4);
        while (pos < size) {
            len.clear();
            if (ch.read(len, pos) < 4 || len.position() < 4) {
                return tail(out, tolerateTail, pos);
            }
            int n = len.getInt(0);
            if (n <= 0 || pos + 4 + n > size) {
                return tail(out, tolerateTail, pos);
            }
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining()) {
                if (ch.read(b, pos + 4 + b.position()) < 0) {
                    return tail(out, tolerateTail, pos);
                }
            }
            out.add(b.array());
            pos += 4 + n;
        }
        return out;
    }

    private static List<byte[]> tail(List<byte[]> out, boolean tolerate, long pos) throws IOException {
        if (tolerate) {
            return out;
        }
        throw new IOException("incomplete record at byte " + pos + " (after entry " + (out.size() - 1) + ")");
    }
}
