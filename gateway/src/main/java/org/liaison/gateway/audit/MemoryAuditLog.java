package org.liaison.gateway.audit;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.gateway.net.EventLoops;

/**
 * The interim audit log: events kept in memory in order, and mirrored to the {@code liaison.audit}
 * Log4j logger. It is not durable and has no checkpoints; the Merkle transparency log replaces it.
 */
public class MemoryAuditLog implements AuditLog {
    private static final Logger AUDIT = LogManager.getLogger("liaison.audit");
    private final List<AuditEvent> events = new ArrayList<>();

    @Override
    public synchronized long record(AuditEvent e) {
        EventLoops.assertOffLoop("an audit append");
        events.add(e);
        AUDIT.info("{} actor={} message={} counterpart={} outcome={} reason={}", e.type(), e.actor(), e.messageId(),
                e.counterpart(), e.outcome(), e.reason());
        return events.size() - 1;
    }

    public synchronized List<AuditEvent> events() {
        return List.copyOf(events);
    }

    @Override
    public long append(AuditEvent e) {
        return record(e); // nothing is durable here: appending is recording
    }

    /** Always: memory does not fill as a disk does. */
    @Override
    public boolean healthy() {
        return true;
    }

    /** Nothing: a log in memory starts empty. */
    @Override
    public List<byte[]> recentAtOpen() {
        return List.of();
    }

    /** None: this log signs no checkpoints. */
    @Override
    public String checkpoint() {
        return null;
    }

    /** None: this log signs no checkpoints. */
    @Override
    public String checkpointCovering(long index) {
        return null;
    }

    /** None: this log signs no checkpoints. */
    @Override
    public String verifierKey() {
        return null;
    }

    /** None: this log keeps no Merkle tree and no files. */
    @Override
    public java.util.Optional<AuditLog.Tree> tree() {
        return java.util.Optional.empty();
    }

    @Override
    public void close() {
    }
}
