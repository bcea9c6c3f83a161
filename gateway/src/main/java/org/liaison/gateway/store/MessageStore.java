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

    /**
     * A message this node received and acknowledged. {@code quarantine} is null, or the reason an
     * operator (or a migration) set it aside: a quarantined message is listed as such and never served.
     * {@code caseRef}: the case of its signed manifest (stored with it, so that a case can be deleted;
     * null for messages stored before it was recorded). {@code listing}: what a listing shows of it (null:
     * a row stored before listings were kept; see {@link MessageStore#recordListing}).
     */
    record Received(AuthorityId sender, UUID messageId, Instant receivedAt, byte[] envelope, String envelopeSha256,
            byte[] receipt, Path blobs, String quarantine, String caseRef, Listing listing) {
        /** A message without its listing fields (a row from before they were kept: see {@link #recordListing}). */
        public Received(AuthorityId sender, UUID messageId, Instant receivedAt, byte[] envelope, String envelopeSha256,
                byte[] receipt, Path blobs, String quarantine, String caseRef) {
            this(sender, messageId, receivedAt, envelope, envelopeSha256, receipt, blobs, quarantine, caseRef, null);
        }

        public Received(AuthorityId sender, UUID messageId, Instant receivedAt, byte[] envelope, String envelopeSha256,
                byte[] receipt, Path blobs, String quarantine) {
            this(sender, messageId, receivedAt, envelope, envelopeSha256, receipt, blobs, quarantine, null, null);
        }

        public Received(AuthorityId sender, UUID messageId, Instant receivedAt, byte[] envelope, String envelopeSha256,
                byte[] receipt, Path blobs) {
            this(sender, messageId, receivedAt, envelope, envelopeSha256, receipt, blobs, null, null, null);
        }
    }

    /**
     * What a listing shows of a received message besides its sender, time and case, taken from its signed
     * manifest and envelope header at reception and kept in columns (the fields the audit log holds in the
     * clear), so that listings read rows, not envelopes. {@code handling}: the protection marks.
     */
    record Listing(String service, String classification, List<String> handling, int files, long bytes, Instant respondBy,
            String urgency, UUID conversationId, UUID inReplyTo) {
        public Listing {
            handling = List.copyOf(handling);
            java.util.Objects.requireNonNull(service, "service");
            java.util.Objects.requireNonNull(conversationId, "conversationId");
        }

        /** The listing of a package with this manifest and header. */
        public static Listing of(org.liaison.protocol.model.Manifest m, org.liaison.protocol.envelope.EnvelopeHeader header)
                throws org.liaison.protocol.ProtocolException {
            return new Listing(m.getService().value(), m.getHandling().getClassification().value(),
                    m.getHandling().getFlag().stream().map(org.liaison.protocol.model.HandlingFlag::value).toList(), m.getFile().size(),
                    m.getFile().stream().mapToLong(org.liaison.protocol.model.File::getSize).sum(),
                    m.getRespondBy() == null ? null : org.liaison.protocol.xml.Formats.instant(m.getRespondBy()),
                    m.getUrgency() == null ? null : m.getUrgency().value(), header.conversationId(), header.inReplyTo());
        }
    }

    /**
     * What a listing of sent messages shows besides their times and case, from the envelope header at
     * sealing, kept in columns: the service, the addressees as shown ({@code to}: the JIT, or the list of
     * authorities), the conversation and the message answered.
     */
    record Sealed(String service, String to, UUID conversationId, UUID inReplyTo) {
        public Sealed {
            java.util.Objects.requireNonNull(service, "service");
            java.util.Objects.requireNonNull(to, "to");
            java.util.Objects.requireNonNull(conversationId, "conversationId");
        }

        public static Sealed of(org.liaison.protocol.envelope.EnvelopeHeader h) {
            return new Sealed(h.service().value(), h.jit() != null ? h.jit() : h.to().toString(), h.conversationId(), h.inReplyTo());
        }
    }

    /**
     * A message this node sends; {@code submitter} is the investigator who submitted it ("SHA256:" and
     * their certificate's fingerprint; null for messages stored before it was recorded — shown to
     * operators only). {@code idempotencyKey} is already scoped to the submitting user
     * (see {@code Outbox}); {@code packageSha256} is the digest of the package it was made from (Outbox.packageDigest), so
     * that a key reused for another package can be told apart.
     */
    record Outgoing(UUID messageId, Instant createdAt, Instant expiresAt, byte[] envelope, String idempotencyKey, Path blobs,
            String packageSha256, String envelopeSha256, String submitter, Instant respondBy, String caseRef, Sealed sealed) {
        /** A message without its listing fields (a row from before they were kept: see {@link #recordSealed}). */
        public Outgoing(UUID messageId, Instant createdAt, Instant expiresAt, byte[] envelope, String idempotencyKey, Path blobs,
                String packageSha256, String envelopeSha256, String submitter, Instant respondBy, String caseRef) {
            this(messageId, createdAt, expiresAt, envelope, idempotencyKey, blobs, packageSha256, envelopeSha256, submitter, respondBy,
                    caseRef, null);
        }

        /** A message with a deadline, without its case or listing fields. */
        public Outgoing(UUID messageId, Instant createdAt, Instant expiresAt, byte[] envelope, String idempotencyKey, Path blobs,
                String packageSha256, String envelopeSha256, String submitter, Instant respondBy) {
            this(messageId, createdAt, expiresAt, envelope, idempotencyKey, blobs, packageSha256, envelopeSha256, submitter, respondBy, null,
                    null);
        }

        /** A message that asks for no answer by a date. */
        public Outgoing(UUID messageId, Instant createdAt, Instant expiresAt, byte[] envelope, String idempotencyKey, Path blobs,
                String packageSha256, String envelopeSha256, String submitter) {
            this(messageId, createdAt, expiresAt, envelope, idempotencyKey, blobs, packageSha256, envelopeSha256, submitter, null, null,
                    null);
        }

        /** The envelope's recorded SHA-256 (rows stored before it was recorded: the envelope's own, so unchecked). */
        public String recordedEnvelopeSha256() {
            return envelopeSha256 != null ? envelopeSha256 : org.liaison.protocol.envelope.Envelopes.sha256(envelope);
        }
    }

    /** What an earlier submission with an idempotency key made. */
    record Idempotent(UUID messageId, String packageSha256) {}

    /** The outcome of {@link #storeReceived}. */
    enum Stored {
        /** Stored now. */
        STORED,
        /** This sender's message was stored before; nothing changed. */
        DUPLICATE,
        /** Another sender's message with this id is held; nothing changed. */
        ID_CONFLICT
    }

    /**
     * The state of one recipient's delivery. The one place that says what may follow what:
     *
     * <pre>
     *   QUEUED ──► SENDING ──► DELIVERED
     *     │          │ ▲
     *     │          ▼ │
     *     │       RETRYING
     *     └──────────┴──────► FAILED | EXPIRED        (DELIVERED, FAILED, EXPIRED are final)
     * </pre>
     */
    enum State {
        QUEUED, SENDING, RETRYING, DELIVERED, FAILED, EXPIRED;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The states this one may go to. */
        public java.util.Set<State> next() {
            switch (this) {
                case QUEUED:
                    return java.util.EnumSet.of(SENDING, FAILED, EXPIRED);
                case SENDING:
                    return java.util.EnumSet.of(DELIVERED, RETRYING, FAILED, EXPIRED);
                case RETRYING:
                    return java.util.EnumSet.of(SENDING, FAILED, EXPIRED);
                default:
                    return java.util.EnumSet.noneOf(State.class);
            }
        }

        public boolean isFinal() {
            return next().isEmpty();
        }
    }

    /** A change of a delivery's state, with what that state records. */
    sealed interface Transition permits Send, Deliver, Retry, Fail, Expire {
        State to();
    }

    /** An attempt starts; the delivery is leased to this process until {@code leaseUntil}. */
    record Send(Instant leaseUntil) implements Transition {
        public State to() {
            return State.SENDING;
        }
    }

    /** The receipt was verified. */
    record Deliver(int attempts, byte[] receipt, Instant deliveredAt) implements Transition {
        public Deliver {
            java.util.Objects.requireNonNull(receipt, "receipt");
            java.util.Objects.requireNonNull(deliveredAt, "deliveredAt");
        }

        public State to() {
            return State.DELIVERED;
        }
    }

    /** The attempt failed in a way a later one may not; the next is due at {@code next}. */
    record Retry(int attempts, Instant next, String error) implements Transition {
        public State to() {
            return State.RETRYING;
        }
    }

    /** Final: no attempt can succeed (the error says why). */
    record Fail(int attempts, String error) implements Transition {
        public State to() {
            return State.FAILED;
        }
    }

    /** Final: the message expired before it was delivered. */
    record Expire(int attempts, String error) implements Transition {
        public State to() {
            return State.EXPIRED;
        }
    }

    /** One recipient's delivery of one message. */
    record Delivery(UUID messageId, AuthorityId recipient, State state, int attempts, Instant nextAttemptAt, String lastError,
            byte[] receipt, Instant deliveredAt) {}

    /**
     * A stage of a message (opened, acknowledged, declined, answered). Kept for a message sent from
     * here, as told by {@code party} (a recipient; {@code xml} its signed notice, null for answered: the
     * reply itself is the evidence); or queued here to tell {@code party} (the sender of a message
     * received here), {@code delivered} once it took it.
     */
    record Stage(UUID messageId, AuthorityId party, String stage, Instant at, String reason, byte[] xml, Instant delivered) {
        public Stage(UUID messageId, AuthorityId party, String stage, Instant at, String reason, byte[] xml) {
            this(messageId, party, stage, at, reason, xml, null);
        }
    }

    /**
     * Records a stage: {@code outgoing} false, of a message sent from here as a recipient told it;
     * true, a notice to send to the sender of a message received here (due now). Each stage is recorded
     * once per message and party: {@code false} when it was before (nothing changed).
     */
    boolean recordStage(Stage stage, boolean outgoing);

    /** The stages recorded for a message, oldest first ({@code outgoing}: the notices sent or to send about it). */
    List<Stage> stages(UUID messageId, boolean outgoing);

    /** Notices to send whose next attempt is due. */
    List<Stage> noticesDue(Instant now, int limit);

    /** An attempt to send a notice: it was taken at {@code deliveredAt}, or (null) the next attempt is at {@code next}. */
    void noticeAttempted(Stage notice, Instant deliveredAt, Instant next);

    /**
     * Deletes a message (received, or sent from here): its envelope — the only copy of its wrapped content
     * keys — is destroyed, its digests (the envelope's, a received one's receipt) are kept, deliveries still
     * waiting fail, and it is no longer listed or served. The caller then removes its blobs. {@code false}
     * when there is no such message (or it was deleted before).
     */
    boolean delete(UUID messageId, boolean received, Instant at);

    /**
     * Deletes the received message {@code sender} sent with this id, as {@link #delete} does, whether or not
     * it is quarantined: setting a message aside keeps it for an incident, not past its retention or its
     * case's deletion (its envelope would keep its content keys). {@code false} when there is no such
     * message (or it was deleted before).
     */
    boolean deleteReceived(AuthorityId sender, UUID messageId, Instant at);

    /** A person assigned to a case by an operator ({@code person}: "SHA256:" and a certificate fingerprint, or a subject DN). */
    record Assignment(String caseRef, String person, String assignedBy, Instant assignedAt) {}

    /** The case a message was recorded with, if any. */
    Optional<String> caseOf(UUID messageId, boolean received);

    /** Assigns a person to a case; {@code false} if they were already. */
    boolean assign(Assignment assignment);

    /** Takes a person off a case; {@code false} if they were not on it. */
    boolean unassign(String caseRef, String person);

    /** Every assignment, by case. */
    List<Assignment> assignments();

    /**
     * The messages of a case (not deleted); with {@code untagged}, also those stored before cases were
     * recorded (the caller checks those itself).
     */
    List<UUID> messagesOfCase(String caseRef, boolean received, boolean untagged);

    /** A file received under no-onward-transfer, kept by its digest after its message was deleted. */
    record ProtectedFile(String sha256, UUID messageId, AuthorityId sender) {}

    /**
     * Keeps the digests of the files of a received message marked no-onward-transfer, before the message is
     * deleted: the restriction outlives the copy held here (the investigators' copies may remain).
     */
    void keepProtected(UUID messageId, AuthorityId sender, List<String> sha256);

    /** The files kept by {@link #keepProtected}. */
    List<ProtectedFile> protectedFiles();

    /** The blob folders of deleted messages, for a sweep that makes sure they are gone. */
    List<Path> deletedBlobs();

    /** The receipt already given for this sender's message, if it was received before. */
    Optional<byte[]> receiptFor(AuthorityId sender, UUID messageId);

    /**
     * Stores a received message. Message ids are unique among the messages this node holds (not
     * quarantined), whoever sent them, so that every lookup by id is unambiguous.
     */
    Stored storeReceived(Received received);

    /** Rows per page when the node goes through every stored message (retention, deadlines, listings). */
    int PAGE = 256;

    /**
     * Up to {@code limit} received messages (quarantined ones included, deleted ones not) that come after
     * {@code after} in the store's key order (sender, then id); from the first when {@code after} is null.
     */
    List<Received> receivedAfter(Received after, int limit);

    /**
     * Every received message, quarantined ones included, deleted ones not, read a page ({@value #PAGE}) at a
     * time as the loop goes: memory for one page whatever the inbox holds, and the store free for others
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
    default List<Received> inbox() {
        return Pages.all(eachReceived(), java.util.Comparator.comparing(Received::receivedAt));
    }

    /**
     * Up to {@code limit} received messages as {@link #receivedAfter} pages them, without their envelopes
     * (null in the rows): what a listing reads.
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

    /** The received message with this id: the one not quarantined if there is one, else a quarantined one. */
    Optional<Received> received(UUID messageId);

    /** Sets a received message aside with a reason; {@code false} if there is no such message. */
    boolean quarantine(UUID messageId, String reason);

    /**
     * Stores a message to send and a queued delivery per recipient, unless its idempotency key is
     * taken: then nothing is stored and the earlier submission is returned.
     */
    Optional<Idempotent> storeOutgoing(Outgoing outgoing, List<AuthorityId> recipients, Instant now);

    Optional<Outgoing> outgoing(UUID messageId);

    /** Fills the listing fields of a sent message stored without them; {@code false} if there is no such message. */
    boolean recordSealed(UUID messageId, Sealed sealed);

    /** Up to {@code limit} messages sent (not deleted) after {@code after} in id order; from the first when it is null. */
    List<Outgoing> sentAfter(Outgoing after, int limit);

    /** Every message this node sends or sent (and did not delete), a page at a time (see {@link #eachReceived}). */
    default Iterable<Outgoing> eachSent() {
        return () -> new Pages<>(this::sentAfter);
    }

    /**
     * Every message this node sends or sent (and did not delete) at once, newest first: for tests and tools
     * with a bounded store. The node itself goes through {@link #eachSent}.
     */
    default List<Outgoing> sent() {
        return Pages.all(eachSent(), java.util.Comparator.comparing(Outgoing::createdAt).reversed());
    }

    Optional<Idempotent> messageForIdempotencyKey(String key);

    /** Deliveries whose next attempt is due: queued or retrying, next attempt at or before {@code now}. */
    List<Delivery> dueDeliveries(Instant now, int limit);

    /** The recipients with deliveries due at {@code now}. */
    List<AuthorityId> recipientsDue(Instant now);

    /** The deliveries to one recipient that are due at {@code now}, the longest waiting first, at most {@code limit}. */
    List<Delivery> dueDeliveries(Instant now, AuthorityId recipient, int limit);

    List<Delivery> deliveries(UUID messageId);

    /**
     * Moves a delivery from {@code from} to the transition's state, if it is still in {@code from}
     * (compare and set: {@code false} and nothing changed if it moved meanwhile).
     *
     * @throws IllegalStateException when {@code from} may not go to that state (see {@link State#next})
     */
    boolean transition(UUID messageId, AuthorityId recipient, State from, Transition t);

    /** Deliveries left SENDING whose lease ended, except {@code inFlight} ones, go back to RETRYING, due now. */
    int recoverExpiredLeases(Instant now, java.util.Set<String> inFlight);

    /** Extends the leases of deliveries this process is sending ("messageId/recipient"). */
    void renewLeases(java.util.Set<String> inFlight, Instant until);

    /** Deliveries to {@code recipient} waiting in backoff become due now; returns how many. */
    int retryNow(AuthorityId recipient, Instant now);

    /** Recipients with deliveries waiting in backoff whose next attempt is after {@code after}. */
    List<AuthorityId> recipientsWaiting(Instant after);

    /** How many deliveries are in each state (for metrics). */
    java.util.Map<State, Long> countDeliveriesByState();

    /** Deliveries left SENDING by a crash go back to RETRYING, due now. Called at start. */
    int recoverInterrupted(Instant now);

    // ----- listings as pages, deadlines and retention from columns (issue 26; SQL in Listings) -----

    /** Who lists: an operator sees every row ({@code all}); an investigator, as {@code local.CaseAccess} says. */
    record Viewer(boolean all, String actor, java.util.Set<String> cases, boolean openIntake) {
        public Viewer {
            cases = java.util.Set.copyOf(cases);
        }
    }

    /**
     * What a listing asks: {@code party} is the sender (received) or a recipient (sent); {@code since} inclusive,
     * {@code until} exclusive; {@code overdue}: past its respond-by date without a reply; {@code unanswered}: a
     * request (not itself a reply) without a reply yet.
     */
    record ListingFilter(String caseRef, String party, String service, Instant since, Instant until, boolean overdue,
            boolean unanswered, Viewer viewer) {}

    /** Where a row stands in a listing's order (see Listings): its segment, date, time, id and sender. */
    record Cursor(int segment, long owed, long at, String messageId, String sender) {}

    /** A listed row, its place in the order, and whether a reply settled it. */
    record Listed<T>(T row, Cursor key, boolean answered) {}

    /**
     * Up to {@code limit} received messages after {@code after} (null: from the first) in the inbox's order (what is
     * owed first; see Listings), matching the filter and visible to its viewer; without their envelopes.
     */
    List<Listed<Received>> inboxPage(ListingFilter filter, Instant now, Cursor after, int limit);

    /** Up to {@code limit} sent messages after {@code after}, newest first, matching the filter; without envelopes. */
    List<Listed<Outgoing>> sentPage(ListingFilter filter, Instant now, Cursor after, int limit);

    /** Whether a reply settled the message (received: a reply sealed here; sent: a reply received here). */
    boolean answered(UUID messageId, boolean received);

    /** How many requests are past their respond-by date without a reply (received: owed by this authority). */
    long overdue(Instant now, boolean received);

    /** Up to {@code limit} sent requests past their date without a reply whose passing was not recorded. */
    List<UUID> deadlinesPassed(Instant now, int limit);

    /** Records that these requests' passed deadlines were audited (idempotent). */
    void deadlinesAudited(java.util.Collection<UUID> ids, Instant at);

    /**
     * Up to {@code limit} received messages (with their envelopes) of a service (null: without a recorded one)
     * received at or before {@code cutoff}, oldest first, after {@code after}.
     */
    List<Listed<Received>> receivedUpTo(String service, Instant cutoff, Cursor after, int limit);

    /** As {@link #receivedUpTo}, for sent messages (created at or before {@code cutoff}). */
    List<Listed<Outgoing>> sentUpTo(String service, Instant cutoff, Cursor after, int limit);

    /** The oldest time held of a service's messages (null service: without a recorded one); null when there are none. */
    Instant oldest(boolean received, String service);

    /** Up to {@code limit} received messages (with envelopes) stored without their listing, after {@code after} (sender, id). */
    List<Received> unlisted(Cursor after, int limit);

    /** Up to {@code limit} sent messages (with envelopes) stored without their listing fields, after {@code after} (id). */
    List<Outgoing> unsealed(Cursor after, int limit);

    /** A received row's listing, read from its envelope. */
    record Filled(AuthorityId sender, UUID messageId, String caseRef, Listing listing) {}

    /** Fills the listings of rows stored without one, in one transaction. */
    void recordListings(List<Filled> rows);

    /** Fills the listing fields of sent rows stored without them, in one transaction. */
    void recordSealed(java.util.Map<UUID, Sealed> rows);

    /** How many attempts to send this notice were made (kept with the notice, across restarts). */
    int noticeAttempts(Stage notice);

    @Override
    void close();

    /**
     * The column updates of a transition, for the stores' {@code UPDATE deliveries SET …}: one place
     * says what each transition writes. {@code time} renders an instant for the store's time columns;
     * {@code nodeId} (null: the store keeps no lease holder) is written as the holder of a Send's lease.
     */
    record Update(String set, java.util.List<Object> values) {
        public static Update of(UUID messageId, AuthorityId recipient, State from, Transition t,
                java.util.function.Function<Instant, Object> time, String nodeId) {
            if (!from.next().contains(t.to())) {
                throw new IllegalStateException("delivery of " + messageId + " to " + recipient + ": " + from + " may not go to " + t.to()
                        + " (expected one of " + from.next() + ")");
            }
            String holder = nodeId == null ? "" : ", leased_by = ?";
            String release = nodeId == null ? ", lease_until = NULL" : ", lease_until = NULL, leased_by = NULL";
            java.util.List<Object> v = new java.util.ArrayList<>();
            v.add(t.to().name());
            String set;
            if (t instanceof Send s) {
                set = "state = ?, lease_until = ?" + holder;
                v.add(time.apply(s.leaseUntil()));
                if (nodeId != null) {
                    v.add(nodeId);
                }
            } else if (t instanceof Deliver d) {
                set = "state = ?, attempts = ?, receipt = ?, delivered_at = ?, last_error = NULL" + release;
                v.addAll(java.util.Arrays.asList(d.attempts(), d.receipt(), time.apply(d.deliveredAt())));
            } else if (t instanceof Retry r) {
                set = "state = ?, attempts = ?, next_attempt_at = ?, last_error = ?" + release;
                v.addAll(java.util.Arrays.asList(r.attempts(), time.apply(r.next()), r.error()));
            } else if (t instanceof Fail f) {
                set = "state = ?, attempts = ?, last_error = ?" + release;
                v.addAll(java.util.Arrays.asList(f.attempts(), f.error()));
            } else {
                Expire e = (Expire) t;
                set = "state = ?, attempts = ?, last_error = ?" + release;
                v.addAll(java.util.Arrays.asList(e.attempts(), e.error()));
            }
            return new Update(set, java.util.Collections.unmodifiableList(v));
        }

        /** Applies this update to the delivery if it is still in {@code from} (compare and set); whether it was. */
        public boolean apply(java.sql.Connection c, UUID messageId, AuthorityId recipient, State from) throws java.sql.SQLException {
            try (java.sql.PreparedStatement p = c.prepareStatement("UPDATE deliveries SET " + set
                    + " WHERE message_id = ? AND recipient = ? AND state = ?")) {
                int i = 1;
                for (Object v : values) {
                    p.setObject(i++, v);
                }
                p.setString(i++, messageId.toString());
                p.setString(i++, recipient.value());
                p.setString(i, from.name());
                return p.executeUpdate() == 1;
            }
        }
    }
}
