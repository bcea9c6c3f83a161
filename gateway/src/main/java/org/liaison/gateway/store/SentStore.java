package org.liaison.gateway.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.Cursor;
import org.liaison.gateway.store.MessageStore.Idempotent;
import org.liaison.gateway.store.MessageStore.Listed;
import org.liaison.gateway.store.MessageStore.ListingFilter;
import org.liaison.gateway.store.MessageStore.Outgoing;
import org.liaison.gateway.store.MessageStore.Sealed;

/**
 * The messages this node sends or sent: their envelopes, idempotency keys, listing columns, deadlines and
 * deletion, and the seals in progress (a payload folder in place before its message is stored). Every method
 * is a transaction that is durable when it returns. Deliveries are {@link DeliveryStore}'s.
 */
public interface SentStore {
    /**
     * Stores a message to send and a queued delivery per recipient, unless its idempotency key is
     * taken: then nothing is stored and the earlier submission is returned. The message's seal
     * ({@link #sealing}) ends in the same transaction.
     */
    Optional<Idempotent> storeOutgoing(Outgoing outgoing, List<AuthorityId> recipients, Instant now);

    /** The message sent (not deleted) with this id. */
    Optional<Outgoing> outgoing(UUID messageId);

    /** Fills the listing fields of a sent message stored without them; {@code false} if there is no such message. */
    boolean recordSealed(UUID messageId, Sealed sealed);

    /** Fills the listing fields of sent rows stored without them, in one transaction. */
    void recordSealed(Map<UUID, Sealed> rows);

    /** Up to {@code limit} messages sent (not deleted) after {@code after} in id order; from the first when it is null. */
    List<Outgoing> sentAfter(Outgoing after, int limit);

    /** Every message this node sends or sent (and did not delete), a page at a time (see {@link InboxStore#eachReceived}). */
    default Iterable<Outgoing> eachSent() {
        return () -> new Pages<>(this::sentAfter);
    }

    /**
     * Every message this node sends or sent (and did not delete) at once, newest first: for tests and tools
     * with a bounded store. The node itself goes through {@link #eachSent}.
     */
    default List<Outgoing> all() {
        return Pages.all(eachSent(), java.util.Comparator.comparing(Outgoing::createdAt).reversed());
    }

    Optional<Idempotent> messageForIdempotencyKey(String key);

    /**
     * Deletes a sent message: its envelope is destroyed, its digest kept, deliveries still waiting fail, and it
     * is no longer listed or served. The caller then removes its blobs. {@code false} when there is no such
     * message (or it was deleted before).
     */
    boolean delete(UUID messageId, Instant at);

    /** Up to {@code limit} sent messages after {@code after}, newest first, matching the filter; without envelopes. */
    List<Listed<Outgoing>> page(ListingFilter filter, Instant now, Cursor after, int limit);

    /** Whether a reply received here settled this sent message. */
    boolean answered(UUID messageId);

    /** How many sent requests are past their respond-by date without a reply. */
    long overdue(Instant now);

    /** Up to {@code limit} sent requests past their date without a reply whose passing was not recorded. */
    List<UUID> deadlinesPassed(Instant now, int limit);

    /** Records that these requests' passed deadlines were audited (idempotent). */
    void deadlinesAudited(java.util.Collection<UUID> ids, Instant at);

    /** As {@link InboxStore#upTo}, for sent messages (created at or before {@code cutoff}). */
    List<Listed<Outgoing>> upTo(String service, Instant cutoff, Cursor after, int limit);

    /** The oldest time held of a service's sent messages (null service: without a recorded one); null when there are none. */
    Instant oldest(String service);

    /** Up to {@code limit} sent messages (with envelopes) stored before their listing fields were kept, after {@code after} (id). */
    List<Outgoing> unsealed(Cursor after, int limit);

    /** Marks sent rows whose envelope could not be read to fill their listing ({@link MessageStore.Kept#UNREADABLE}). */
    void unreadable(List<Outgoing> rows);

    /** The blob folders of deleted sent messages not yet recorded as removed, as {@link InboxStore#deletedBlobs}. */
    List<Path> deletedBlobs();

    /** Records that these blob folders of deleted sent messages are gone: {@link #deletedBlobs} lists them no more. */
    void blobsRemoved(List<Path> folders, java.time.Instant at);

    /**
     * A seal starts: the message's payload folder is about to be moved into the outbox. Kept until the
     * message is stored ({@link #storeOutgoing}) or the seal ends without it ({@link #sealEnded}); one left
     * behind (a node stopped between the two) names an orphan folder.
     */
    void sealing(UUID messageId, Instant at);

    /** A seal ended without storing its message (its folder was discarded). */
    void sealEnded(UUID messageId);

    /**
     * Up to {@code limit} seals started before {@code before} that neither stored their message nor ended, oldest
     * first: read from an index of the seals left (a handful), never from the outbox's history.
     */
    List<UUID> unfinishedSeals(Instant before, int limit);

    /**
     * Whether the outbox folder still has to be looked through once for folders from before seals were kept
     * (a store made or migrated by this version: once; then never again).
     */
    boolean outboxScanDue();

    /** The one look through the outbox folder was made (see {@link #outboxScanDue}). */
    void outboxScanned();
}
