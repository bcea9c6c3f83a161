package org.liaison.gateway.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.AuthorityId;

/**
 * The node's message state: what it received (with the receipt it gave), what it sends, and each
 * recipient's delivery. Every method is a transaction that is durable when it returns. An
 * embedded SQLite database is the default ({@link SqliteMessageStore}); a clustered deployment
 * can implement this interface on PostgreSQL.
 */
public interface MessageStore extends AutoCloseable {

    /** A message this node received and acknowledged. */
    record Received(AuthorityId sender, UUID messageId, Instant receivedAt, byte[] envelope, String envelopeSha256,
            byte[] receipt, Path blobs) {}

    /** A message this node sends. */
    record Outgoing(UUID messageId, Instant createdAt, Instant expiresAt, byte[] envelope, String idempotencyKey, Path blobs) {}

    enum State {
        QUEUED, SENDING, RETRYING, DELIVERED, FAILED, EXPIRED;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One recipient's delivery of one message. */
    record Delivery(UUID messageId, AuthorityId recipient, State state, int attempts, Instant nextAttemptAt, String lastError,
            byte[] receipt, Instant deliveredAt) {}

    /** The receipt already given for this sender's message, if it was received before. */
    Optional<byte[]> receiptFor(AuthorityId sender, UUID messageId);

    /** Stores a received message; {@code false} (and nothing changed) if it was stored before. */
    boolean storeReceived(Received received);

    List<Received> inbox();

    /** One received message by id (whatever its sender), if this node has it. */
    Optional<Received> received(UUID messageId);

    /** Stores a message to send and a queued delivery per recipient. */
    void storeOutgoing(Outgoing outgoing, List<AuthorityId> recipients, Instant now);

    Optional<Outgoing> outgoing(UUID messageId);

    /** Every message this node sends or sent, newest first. */
    List<Outgoing> sent();

    Optional<UUID> messageForIdempotencyKey(String key);

    /** Deliveries whose next attempt is due: queued or retrying, next attempt at or before {@code now}. */
    List<Delivery> dueDeliveries(Instant now, int limit);

    List<Delivery> deliveries(UUID messageId);

    /** Records a delivery's new state; {@code receipt} and {@code deliveredAt} only for DELIVERED. */
    void updateDelivery(UUID messageId, AuthorityId recipient, State state, int attempts, Instant nextAttemptAt, String lastError,
            byte[] receipt, Instant deliveredAt);

    /** How many deliveries are in each state (for metrics). */
    java.util.Map<State, Long> countDeliveriesByState();

    /** Deliveries left SENDING by a crash go back to RETRYING, due now. Called at start. */
    int recoverInterrupted(Instant now);

    @Override
    void close();
}
