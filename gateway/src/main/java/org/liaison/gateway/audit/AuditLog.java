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
     * A log that writes nothing durably may simply {@link #record} it.
     */
    long append(AuditEvent event);

    /** Whether the log can write durably right now (false while its disk is full or failing): the node is not ready meanwhile. */
    boolean healthy();

    /** The last entries the log held when it was opened (up to a few thousand, oldest first): what a crash may have left half-done. */
    java.util.List<byte[]> recentAtOpen();

    /** The latest signed checkpoint of the log; {@code null} when the log signs none. */
    String checkpoint();

    /** A signed checkpoint covering entry {@code index} (for receipts: made after the reception was logged); {@code null} when the log signs none. */
    String checkpointCovering(long index);

    /** The key that verifies this log's checkpoints ({@code NAME+hash+key}); {@code null} when it signs none. */
    String verifierKey();

    /** The log's Merkle tree and files, when it keeps them (a log held in memory keeps none). */
    java.util.Optional<Tree> tree();

    /** What a log that keeps a Merkle tree over files offers peers and auditors (see {@link #tree()}). */
    interface Tree {
        /** The RFC 9162 consistency proof between two sizes of this log, for peers that hold its checkpoints. */
        java.util.List<byte[]> consistencyProof(long first, long second);

        /** The RFC 9162 inclusion proof of entry {@code index} in the tree of the first {@code size} entries, read from tiles. */
        java.util.List<byte[]> inclusionProof(long index, long size);

        /** The C2SP hash tile {@code level}/{@code index}, its first {@code width} hashes (for peers and witnesses). */
        byte[] tile(int level, long index, int width);

        /**
         * The bytes of entry {@code index} as the log hashed them (its RFC 9162 leaf), read by itself: for an
         * evidence container, which proves one entry without reading the log's history.
         *
         * @throws IllegalArgumentException when the log has no entry {@code index}
         */
        byte[] entry(long index);

        /**
         * A consistent copy of the log for an auditor: every checkpoint written so far and the entries
         * they cover (and any later ones already on disk), as the first bytes of the two files.
         */
        Snapshot snapshot();
    }

    /** See {@link Tree#snapshot()}. */
    record Snapshot(String verifierKey, java.nio.file.Path checkpoints, long checkpointsLength, java.nio.file.Path entries,
            long entriesLength) {}

    @Override
    void close();
}
