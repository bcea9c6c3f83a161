package org.liaison.gateway.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.liaison.gateway.store.MessageStore.Notice;
import org.liaison.gateway.store.MessageStore.Stage;
import org.liaison.gateway.store.MessageStore.State;
import org.liaison.gateway.store.MessageStore.Transition;

/**
 * Stages of messages: those recipients told this node of a message sent from here, and the signed notices
 * this node sends to the senders of messages received here. A notice to send has the same state machine and
 * leases as a delivery ({@link State}, {@link Transition}, kept in the store across restarts and nodes): it is
 * claimed (QUEUED or RETRYING to SENDING, leased), then delivered, retried after a backoff, or failed.
 */
public interface NoticeStore {
    /**
     * Records a stage: {@code outgoing} false, of a message sent from here as a recipient told it;
     * true, a notice to send to the sender of a message received here (QUEUED, due {@code now}). Each stage is
     * recorded once per message and party: {@code false} when it was before (nothing changed).
     */
    boolean recordStage(Stage stage, boolean outgoing, Instant now);

    /** The stages recorded for a message, oldest first ({@code outgoing}: the notices sent or to send about it). */
    List<Stage> stages(UUID messageId, boolean outgoing);

    /**
     * The stages of each of {@code messageIds} (a listing's page: one read, not one per row), oldest first; a message
     * without any is absent from the map.
     */
    java.util.Map<UUID, List<Stage>> stages(java.util.Collection<UUID> messageIds, boolean outgoing);

    /** Notices to send whose next attempt is due (queued or retrying, at or before {@code now}), the longest waiting first. */
    List<Notice> due(Instant now, int limit);

    /** A notice to send, with its state. */
    Optional<Notice> notice(Stage stage);

    /**
     * Moves a notice to send from {@code from} to the transition's state if it is still in {@code from}
     * (compare and set, as {@link DeliveryStore#transition}).
     *
     * @throws IllegalStateException when {@code from} may not go to that state
     */
    boolean transition(Stage notice, State from, Transition t);

    /** Notices left SENDING whose lease ended, except {@code inFlight} ones ("messageId/party/stage"), are due again now. */
    int recoverExpiredLeases(Instant now, Set<String> inFlight);

    /** Notices left SENDING by a crash of this process are due again now. Called at start. */
    int recoverInterrupted(Instant now);
}
