package org.liaison.gateway.audit;

/**
 * Where the node records what it does. Contract: {@link #record} returns only once the event is
 * durable, so a caller may acknowledge the action it records afterwards. Implementations are
 * thread-safe and keep events in the order they were recorded.
 */
public interface AuditLog extends AutoCloseable {
    /** Appends the event and returns its index once it is durable. */
    long record(AuditEvent event);

    /**
     * Appends the event without waiting for it to be durable: for an event that acknowledges
     * nothing by itself and is followed at once by a {@link #record} (whose fsync covers both).
     */
    default long append(AuditEvent event) {
        return record(event);
    }

    /** The latest signed checkpoint of the log; {@code null} when the log has none. */
    /** Whether the log can write durably right now (false while its disk is full or failing): the node is not ready meanwhile. */
    default boolean healthy() {
        return true;
    }

    /** The last entries the log held when it was opened (up to a few thousand, oldest first): what a crash may have left half-done. */
    default java.util.List<byte[]> recentAtOpen() {
        return java.util.List.of();
    }

    default String checkpoint() {
        return null;
    }

    /** A signed checkpoint covering entry {@code index} (for receipts: made after the reception was logged); {@code null} when the log signs none. */
    default String checkpointCovering(long index) {
        return checkpoint();
    }

    /** The RFC 9162 consistency proof between two sizes of this log, for peers that hold its checkpoints. */
    default java.util.List<byte[]> consistencyProof(long first, long second) {
        throw new UnsupportedOperationException("this audit log keeps no Merkle tree");
    }

    /** The RFC 9162 inclusion proof of entry {@code index} in the tree of the first {@code size} entries. */
    default java.util.List<byte[]> inclusionProof(long index, long size) {
        throw new UnsupportedOperationException("this audit log keeps no Merkle tree");
    }

    /**
     * The bytes of entry {@code index} as the log hashed them (its RFC 9162 leaf), read by itself: for an
     * evidence container, which proves one entry without reading the log's history.
     *
     * @throws UnsupportedOperationException when this log keeps no entries it can read back
     * @throws IllegalArgumentException when the log has no entry {@code index}
     */
    byte[] entry(long index);

    /** The C2SP tlog-tiles hash tile {@code level}/{@code index}, its first {@code width} hashes (256: a full tile). */
    default byte[] tile(int level, long index, int width) {
        throw new UnsupportedOperationException("this audit log keeps no hash tiles");
    }

    /** The key that verifies this log's checkpoints ({@code NAME+hash+key}); {@code null} when it signs none. */
    default String verifierKey() {
        return null;
    }

    /**
     * A consistent copy of the log for an auditor: every checkpoint written so far and the entries
     * they cover (and any later ones already on disk), as the first bytes of the two files.
     */
    record Snapshot(String verifierKey, java.nio.file.Path checkpoints, long checkpointsLength, java.nio.file.Path entries,
            long entriesLength) {}

    default Snapshot snapshot() {
        throw new UnsupportedOperationException("this audit log keeps no files");
    }

    @Override
    default void close() {
    }
}
