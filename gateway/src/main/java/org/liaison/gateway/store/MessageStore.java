package org.liaison.gateway.store;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.File;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.xml.Formats;

/**
 * The node's message state, one store per aggregate: what it received ({@link #inbox}), what it sends
 * ({@link #sent}), each recipient's delivery ({@link #deliveries}), the stages of messages and the notices to
 * send ({@link #notices}), and cases ({@link #cases}). Every method of each is a transaction that is durable
 * when it returns. An embedded SQLite database is the default ({@link SqliteMessageStore}); a clustered
 * deployment runs on PostgreSQL ({@link PostgresMessageStore}): the same SQL for both, over a {@link SqlDialect}.
 * This holder opens the database, hands out the five, and closes it. The records below are the rows.
 */
public interface MessageStore extends AutoCloseable {

    /** The messages received, with their receipts and listings. */
    InboxStore inbox();

    /** The messages sent or to send. */
    SentStore sent();

    /** Each recipient's delivery of each message sent. */
    DeliveryStore deliveries();

    /** Stages of messages, and the notices to send about them. */
    NoticeStore notices();

    /** Cases: assignments and the messages of each. */
    CaseStore cases();

    /** Rows per page when the node goes through every stored message (retention, deadlines, listings). */
    int PAGE = 256;

    @Override
    void close();

    /**
     * Whether a row's listing columns are kept. {@code LISTED}: stored with them (or filled since);
     * {@code LEGACY}: stored before they were kept (or stored without them), to be filled once from its
     * envelope; {@code UNREADABLE}: its envelope could not be read to fill them (not tried again; listed with
     * its problem). Kept in a column of its own, not told by the listing columns being null.
     */
    enum Kept {
        LISTED, LEGACY, UNREADABLE
    }

    /**
     * A message this node received and acknowledged. {@code quarantine} is null, or the reason an
     * operator (or a migration) set it aside: a quarantined message is listed as such and never served.
     * {@code caseRef}: the case of its signed manifest (stored with it, so that a case can be deleted;
     * null for messages stored before it was recorded). {@code listing}: what a listing shows of it (null:
     * a row stored before listings were kept; see {@link InboxStore#recordListing}).
     */
    record Received(AuthorityId sender, UUID messageId, Instant receivedAt, byte[] envelope, String envelopeSha256,
            byte[] receipt, Path blobs, String quarantine, String caseRef, Listing listing, Kept kept) {
        public Received {
            java.util.Objects.requireNonNull(kept, "kept");
            if ((listing != null) != (kept == Kept.LISTED)) {
                throw new IllegalArgumentException("a row has its listing if and only if it is kept LISTED (" + kept + ")");
            }
        }

        /** A message with its listing (LISTED), or without one (null: LEGACY, to be filled from its envelope). */
        public Received(AuthorityId sender, UUID messageId, Instant receivedAt, byte[] envelope, String envelopeSha256,
                byte[] receipt, Path blobs, String quarantine, String caseRef, Listing listing) {
            this(sender, messageId, receivedAt, envelope, envelopeSha256, receipt, blobs, quarantine, caseRef, listing,
                    listing == null ? Kept.LEGACY : Kept.LISTED);
        }

        /** Whether the row was read with its envelope (a listing reads rows without theirs). */
        public boolean hasEnvelope() {
            return envelope != null;
        }

        /** A message without its listing fields (a row from before they were kept: see {@link InboxStore#recordListing}). */
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
        public static Listing of(Manifest m, EnvelopeHeader header)
                throws ProtocolException {
            return new Listing(m.getService().value(), m.getHandling().getClassification().value(),
                    m.getHandling().getFlag().stream().map(HandlingFlag::value).toList(), m.getFile().size(),
                    m.getFile().stream().mapToLong(File::getSize).sum(),
                    m.getRespondBy() == null ? null : Formats.instant(m.getRespondBy()),
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

        public static Sealed of(EnvelopeHeader h) {
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
            String packageSha256, String envelopeSha256, String submitter, Instant respondBy, String caseRef, Sealed sealed, Kept kept) {
        public Outgoing {
            java.util.Objects.requireNonNull(kept, "kept");
            if ((sealed != null) != (kept == Kept.LISTED)) {
                throw new IllegalArgumentException("a row has its listing if and only if it is kept LISTED (" + kept + ")");
            }
        }

        /** A message with its listing fields (LISTED), or without them (null: LEGACY, to be filled from its envelope). */
        public Outgoing(UUID messageId, Instant createdAt, Instant expiresAt, byte[] envelope, String idempotencyKey, Path blobs,
                String packageSha256, String envelopeSha256, String submitter, Instant respondBy, String caseRef, Sealed sealed) {
            this(messageId, createdAt, expiresAt, envelope, idempotencyKey, blobs, packageSha256, envelopeSha256, submitter, respondBy,
                    caseRef, sealed, sealed == null ? Kept.LEGACY : Kept.LISTED);
        }

        /** Whether the row was read with its envelope (a listing reads rows without theirs). */
        public boolean hasEnvelope() {
            return envelope != null;
        }

        /** A message without its listing fields (a row from before they were kept: see {@link SentStore#recordSealed}). */
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
            return envelopeSha256 != null ? envelopeSha256 : Envelopes.sha256(envelope);
        }
    }

    /** What an earlier submission with an idempotency key made. */
    record Idempotent(UUID messageId, String packageSha256) {}

    /** The outcome of {@link InboxStore#storeReceived}. */
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
    record Stage(UUID messageId, AuthorityId party, String stage, Instant at, String reason, byte[] xml, Instant delivered,
            String note) {
        /** {@code note}: the notice's free text as it was verified or made ("": none); null: not kept (recorded before store migration 14/10, a notice this node sends, or none). */
        public Stage(UUID messageId, AuthorityId party, String stage, Instant at, String reason, byte[] xml, String note) {
            this(messageId, party, stage, at, reason, xml, null, note);
        }

        public Stage(UUID messageId, AuthorityId party, String stage, Instant at, String reason, byte[] xml) {
            this(messageId, party, stage, at, reason, xml, null, null);
        }
    }

    /**
     * A notice to send, as its delivery stands: the same states as a delivery's ({@link State}); {@code nextAttemptAt}
     * when it is due (queued or retrying), its attempts so far, and the last attempt's error.
     */
    record Notice(Stage stage, State state, int attempts, Instant nextAttemptAt, String lastError) {
        /** The key the lease machinery knows it by ("messageId/party/stage"). */
        public String key() {
            return stage.messageId() + "/" + stage.party().value() + "/" + stage.stage();
        }
    }

    /** A person assigned to a case by an operator ({@code person}: "SHA256:" and a certificate fingerprint, or a subject DN). */
    record Assignment(String caseRef, String person, String assignedBy, Instant assignedAt) {}

    /** A file received under no-onward-transfer, kept by its digest after its message was deleted. */
    record ProtectedFile(String sha256, UUID messageId, AuthorityId sender) {}

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

    /** A received row's listing, read from its envelope. */
    record Filled(AuthorityId sender, UUID messageId, String caseRef, Listing listing) {}
}
