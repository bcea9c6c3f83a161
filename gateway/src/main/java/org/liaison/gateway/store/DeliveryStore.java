package org.liaison.gateway.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.Delivery;
import org.liaison.gateway.store.MessageStore.State;
import org.liaison.gateway.store.MessageStore.Transition;

/**
 * Each recipient's delivery of each message sent: its state machine ({@link State}) and the leases of
 * deliveries being sent. Deliveries are made by {@link SentStore#storeOutgoing}.
 */
public interface DeliveryStore {
    /** Deliveries whose next attempt is due: queued or retrying, next attempt at or before {@code now}. */
    List<Delivery> dueDeliveries(Instant now, int limit);

    /** The recipients with deliveries due at {@code now}. */
    List<AuthorityId> recipientsDue(Instant now);

    /** The deliveries to one recipient that are due at {@code now}, the longest waiting first, at most {@code limit}. */
    List<Delivery> dueDeliveries(Instant now, AuthorityId recipient, int limit);

    /** The deliveries of one message, by recipient. */
    List<Delivery> of(UUID messageId);

    /** The deliveries of each of {@code messageIds} (a listing's page: one read), by recipient; a message without any is absent. */
    java.util.Map<UUID, List<Delivery>> of(java.util.Collection<UUID> messageIds);

    /**
     * Moves a delivery from {@code from} to the transition's state, if it is still in {@code from}
     * (compare and set: {@code false} and nothing changed if it moved meanwhile).
     *
     * @throws IllegalStateException when {@code from} may not go to that state (see {@link State#next})
     */
    boolean transition(UUID messageId, AuthorityId recipient, State from, Transition t);

    /** Deliveries left SENDING whose lease ended, except {@code inFlight} ones, go back to RETRYING, due now. */
    int recoverExpiredLeases(Instant now, Set<String> inFlight);

    /** Extends the leases of deliveries this process is sending ("messageId/recipient"). */
    void renewLeases(Set<String> inFlight, Instant until);

    /** Deliveries to {@code recipient} waiting in backoff become due now; returns how many. */
    int retryNow(AuthorityId recipient, Instant now);

    /** Recipients with deliveries waiting in backoff whose next attempt is after {@code after}. */
    List<AuthorityId> recipientsWaiting(Instant after);

    /**
     * How many deliveries are in each state (for metrics; states with none left out): counts the store keeps as it writes
     * the deliveries ({@code DeliveryCounts}), not a count of the deliveries.
     */
    Map<State, Long> countByState();

    /** Deliveries left SENDING by a crash go back to RETRYING, due now. Called at start. */
    int recoverInterrupted(Instant now);
}
