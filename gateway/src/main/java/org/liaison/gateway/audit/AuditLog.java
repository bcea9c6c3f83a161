package org.liaison.gateway.audit;

/**
 * Where the node records what it does. Contract: {@link #record} returns only once the event is
 * durable, so a caller may acknowledge the action it records afterwards. Implementations are
 * thread-safe and keep events in the order they were recorded.
 */
public interface AuditLog extends AutoCloseable {
    void record(AuditEvent event);

    /** The latest signed checkpoint of the log, to put into receipts; {@code null} when the log has none. */
    default String checkpoint() {
        return null;
    }

    @Override
    default void close() {
    }
}
