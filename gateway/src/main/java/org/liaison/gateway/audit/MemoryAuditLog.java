package org.liaison.gateway.audit;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The interim audit log: events kept in memory in order, and mirrored to the {@code liaison.audit}
 * Log4j logger. It is not durable and has no checkpoints; the Merkle transparency log replaces it.
 */
public final class MemoryAuditLog implements AuditLog {
    private static final Logger AUDIT = LogManager.getLogger("liaison.audit");
    private final List<AuditEvent> events = new ArrayList<>();

    @Override
    public synchronized long record(AuditEvent e) {
        org.liaison.gateway.net.EventLoops.assertOffLoop("an audit append");
        events.add(e);
        AUDIT.info("{} actor={} message={} counterpart={} outcome={} reason={}", e.type(), e.actor(), e.messageId(),
                e.counterpart(), e.outcome(), e.reason());
        return events.size() - 1;
    }

    @Override
    public byte[] entry(long index) {
        throw new UnsupportedOperationException("the in-memory audit log keeps no entry bytes");
    }

    public synchronized List<AuditEvent> events() {
        return List.copyOf(events);
    }
}
