package org.liaison.gateway.local;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.Request;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * {@code GET AUDIT}: an auditor's online copy of the log: 4-byte length, verifier key (UTF-8), 8-byte
 * length, checkpoints file, 8-byte length, entries file — as long as they were when asked — then (schema 1.4) 4-byte
 * length and the node's latest checkpoint with its witnesses' cosignatures (length 0: none yet). A client before 1.4
 * stops reading after the entries.
 */
final class AuditCopy {
    private final LocalNode node;

    AuditCopy(LocalNode node) {
        this.node = node;
    }

    Answer copy(Request<LocalUser> request) throws ProtocolException, IOException {
        AuditLog.Snapshot s = node.audit().tree()
                .orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND, "this node keeps no audit log files")).snapshot();
        byte[] key = s.verifierKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<InputStream> parts = new ArrayList<>();
        parts.add(new ByteArrayInputStream(ByteBuffer.allocate(4 + key.length + 8).putInt(key.length).put(key)
                .putLong(s.checkpointsLength()).array()));
        parts.add(prefix(s.checkpoints(), s.checkpointsLength()));
        parts.add(new ByteArrayInputStream(ByteBuffer.allocate(8).putLong(s.entriesLength()).array()));
        parts.add(prefix(s.entries(), s.entriesLength()));
        String cosigned = node.cosignedCheckpoint();
        byte[] note = cosigned == null ? new byte[0] : cosigned.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        parts.add(new ByteArrayInputStream(ByteBuffer.allocate(4 + note.length).putInt(note.length).put(note).array()));
        node.audit().record(AuditEvent.of(node.clock(), "audit-copy", request.principal().actor(), null, null, "ok", null)
                .with("entriesBytes", Long.toString(s.entriesLength())));
        long total = 4L + key.length + 8 + s.checkpointsLength() + 8 + s.entriesLength() + 4 + note.length;
        InputStream copy = new SequenceInputStream(Collections.enumeration(parts));
        return new Answer.Stream(LocalApi.AUDIT_LOG_TYPE, 0, total, copy,
                failure -> LogManager.getLogger(LocalApiHandler.class).error("a download stopped: {}", failure.getMessage()));
    }

    /**
     * {@code GET AUDIT_WITNESSES}: what each witness of this node's log holds — the latest checkpoint it cosigned,
     * asked by the node over the peer API (the cosignatures are the witnesses' own: the node can withhold one, not
     * forge it) — for an auditor to compare with a copy of the log ({@code liaison audit pull} keeps them).
     */
    Answer witnesses(Request<LocalUser> request) {
        List<Object> rows = new ArrayList<>();
        for (LocalNode.Witnessed w : node.askWitnesses()) {
            java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
            row.put("witness", w.witness().value());
            if (w.checkpoint() != null) {
                row.put("checkpoint", w.checkpoint());
            } else {
                row.put("error", w.error());
            }
            rows.add(row);
        }
        node.audit().record(AuditEvent.of(node.clock(), "audit-witnesses", request.principal().actor(), null, null, "ok", null)
                .with("witnesses", Integer.toString(rows.size())));
        return Answer.json(rows);
    }

    /** The first {@code length} bytes of a file that may still grow. */
    private static InputStream prefix(Path file, long length) throws IOException {
        return new java.io.FilterInputStream(Files.newInputStream(file)) {
            private long left = length;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = super.read();
                left -= b < 0 ? 0 : 1;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                left -= Math.max(n, 0);
                return n;
            }
        };
    }
}
