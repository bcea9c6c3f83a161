package org.liaison.gateway.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.Cursor;
import org.liaison.gateway.store.MessageStore.Filled;
import org.liaison.gateway.store.MessageStore.Listed;
import org.liaison.gateway.store.MessageStore.Listing;
import org.liaison.gateway.store.MessageStore.ListingFilter;
import org.liaison.gateway.store.MessageStore.ProtectedFile;
import org.liaison.gateway.store.MessageStore.Received;
import org.liaison.gateway.store.MessageStore.Stored;

/**
 * The messages this node received (with the receipt it gave for each), their listing columns, their
 * quarantine and deletion, and the digests of no-onward-transfer files kept past a deletion. Every method is
 * a transaction that is durable when it returns.
 */
public interface InboxStore {
    /** The receipt already given for this sender's message, if it was received before. */
    Optional<byte[]> receiptFor(AuthorityId sender, UUID messageId);

    /**
     * Whether this sender's message was received (held, quarantined or deleted): as {@code receiptFor(...).isPresent()},
     * from the key's index alone, without reading the row (crash recovery asks it for each reception in the audit
     * log's tail, at start: thousands, each of whose receipts would be read past its envelope).
     */
    boolean holds(AuthorityId sender, UUID messageId);

    /**
     * Stores a received message. Message ids are unique among the messages this node holds (not
     * quarantined), whoever sent them, so that every lookup by id is unambiguous. A reply settles the
     * request it answers in the same transaction.
     */
    Stored storeReceived(Received received);

    /**
     * Up to {@code limit} received messages (quarantined ones included, deleted ones not) that come after
     * {@code after} in the store's key order (sender, then id); from the first when {@code after} is null.
     */
    List<Received> receivedAfter(Received after, int limit);

    /**
     * Every received message, quarantined ones included, deleted ones not, read a page ({@value MessageStore#PAGE}) at
     * a time as the loop goes: memory for one page whatever the inbox holds, and the store free for others
     * between pages. Not a snapshot (a message stored or deleted meanwhile may or may not be seen; none is
     * seen twice) and in no useful order. Loading the whole inbox at once cost 83 MiB of heap for 9,000
     * small messages: a node with a few tens of thousands would run out of memory at its hourly retention
     * sweep, and again at every start.
     */
    default Iterable<Received> eachReceived() {
        return () -> new Pages<>(this::receivedAfter);
    }

    /**
     * Every received message at once, quarantined ones included (marked), deleted ones not, oldest first:
     * for tests and tools with a bounded store. The node itself goes through {@link #eachReceived}.
     */
    default List<Received> all() {
        return Pages.all(eachReceived(), java.util.Comparator.comparing(Received::receivedAt));
    }

    /**
     * Up to {@code limit} received messages as {@link #receivedAfter} pages them, without their envelopes
     * ({@link Received#hasEnvelope} false): what a listing reads.
     */
    List<Received> listedAfter(Received after, int limit);

    /** Every received message without its envelope, a page at a time (see {@link #eachReceived}). */
    default Iterable<Received> eachListed() {
        return () -> new Pages<>(this::listedAfter);
    }

    /**
     * Fills the listing of a row stored without one (and its case, if it has none), once its envelope has
     * been read; {@code false} if there is no such row.
     */
    boolean recordListing(AuthorityId sender, UUID messageId, String caseRef, Listing listing);

    /** Fills the listings of rows stored without one, in one transaction. */
    void recordListings(List<Filled> rows);

    /** The received message with this id: the one not quarantined if there is one, else a quarantined one. */
    Optional<Received> received(UUID messageId);

    /** Sets a received message aside with a reason; {@code false} if there is no such message. */
    boolean quarantine(UUID messageId, String reason);

    /**
     * Deletes a received message (not quarantined): its envelope — the only copy of its wrapped content
     * keys — is destroyed, its digests (the envelope's, its receipt) are kept, and it is no longer listed
     * or served. The caller then removes its blobs. {@code false} when there is no such message (or it was
     * deleted before).
     */
    boolean delete(UUID messageId, Instant at);

    /**
     * Deletes the received message {@code sender} sent with this id, as {@link #delete(UUID, Instant)} does,
     * whether or not it is quarantined: setting a message aside keeps it for an incident, not past its
     * retention or its case's deletion (its envelope would keep its content keys).
     */
    boolean delete(AuthorityId sender, UUID messageId, Instant at);

    /**
     * Up to {@code limit} received messages after {@code after} (null: from the first) in the inbox's order (what is
     * owed first; see Listings), matching the filter and visible to its viewer; without their envelopes.
     */
    List<Listed<Received>> page(ListingFilter filter, Instant now, Cursor after, int limit);

    /** Whether a reply sealed here settled this received message. */
    boolean answered(UUID messageId);

    /** How many received requests are past their respond-by date without a reply (owed by this authority). */
    long overdue(Instant now);

    /**
     * Up to {@code limit} received messages (with their envelopes) of a service (null: without a recorded one)
     * received at or before {@code cutoff}, oldest first, after {@code after}.
     */
    List<Listed<Received>> upTo(String service, Instant cutoff, Cursor after, int limit);

    /** The oldest time held of a service's messages (null service: without a recorded one); null when there are none. */
    Instant oldest(String service);

    /**
     * Up to {@code limit} received messages (with envelopes) stored before listings were kept and not filled
     * since ({@link MessageStore.Kept#LEGACY}), after {@code after} (sender, id).
     */
    List<Received> unlisted(Cursor after, int limit);

    /** Marks rows whose envelope could not be read to fill their listing ({@link MessageStore.Kept#UNREADABLE}): not tried again. */
    void unreadable(List<Received> rows);

    /**
     * Keeps the digests of the files of a received message marked no-onward-transfer, before the message is
     * deleted: the restriction outlives the copy held here (the investigators' copies may remain).
     */
    void keepProtected(UUID messageId, AuthorityId sender, List<String> sha256);

    /** The files kept by {@link #keepProtected}. */
    List<ProtectedFile> protectedFiles();

    /**
     * The blob folders of deleted received messages not yet recorded as removed ({@link #blobsRemoved}), for a sweep
     * that makes sure they are gone: a deletion's row is changed before its folder is removed, so that a crash
     * between the two leaves the folder listed here.
     */
    List<Path> deletedBlobs();

    /** Records that these blob folders of deleted received messages are gone: {@link #deletedBlobs} lists them no more. */
    void blobsRemoved(List<Path> folders, java.time.Instant at);
}
