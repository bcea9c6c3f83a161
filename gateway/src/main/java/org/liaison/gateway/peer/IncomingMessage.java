package org.liaison.gateway.peer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.envelope.ReceivedPackage;
import org.liaison.protocol.envelope.Receipts;
import org.liaison.gateway.audit.PostgresAuditLog;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.gateway.net.PayloadSink;
import org.liaison.gateway.net.Workers;
import org.liaison.gateway.store.PostgresMessageStore;
import org.liaison.gateway.store.SequentialFile;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.xml.Formats;

/**
 * One message arriving on the peer API, fed as the bytes arrive. The body is
 *
 * <pre>
 *   +----------------+------------------+---------------------+---------------------+---
 *   | envelope length| envelope XML     | payload 0           | payload 1           | …
 *   | 4 bytes, BE    | (signed)         | ciphertext, as many bytes as the envelope says
 *   +----------------+------------------+---------------------+---------------------+---
 * </pre>
 *
 * The envelope is verified as soon as it is complete (sender = TLS peer, this node a recipient,
 * signature, expiry); payloads then stream to the message's staging folder (see
 * {@link StagedTransfers}), each checked against the size and SHA-256 the signed envelope gives.
 * Only when everything is on disk (fsynced) is the message stored and a receipt made. A message
 * already received gets the stored receipt, byte for byte, and is not stored twice. Memory is
 * bounded by the envelope limit, whatever the payload sizes.
 *
 * <p>A transfer that breaks stays staged ({@link #suspend}). The sender asks where to resume
 * ({@link #resumeOffset}: a {@code GET} of {@link ReceiveHandler#transferPath}) and sends the same
 * envelope again followed by the payload bytes from that offset on, with the offset in the
 * {@value org.liaison.gateway.net.ResumeFrom#HEADER} header; the body is then
 * {@code length ‖ envelope ‖ payload bytes [offset, end)}.
 */
public final class IncomingMessage {
    private final PeerContext node;
    private final AuthorityId tlsPeer;
    private final LengthPrefixed head;
    private byte[] envelope;
    private Envelopes.Verified verified;
    /** The package's protection marks ("minor-involved,victim-data"), for the audit entry (content-free); null: none. */
    private String handling;
    /** The checked package's manifest (for what the node keeps about received packages). */
    private Manifest receivedManifest;
    private byte[] storedReceipt;
    private Path staging;
    private int payload;
    private long payloadFilled;
    private SequentialFile out;
    private MessageDigest digest;
    private boolean failed;
    private final long resumeFrom;
    /** When the envelope was checked, the body ended, and the payloads were synced (nanoTime), for the log. */
    private long checkedAt;
    private long bodyEndedAt;
    private long syncedAt;
    /** Whether the sender announced schema 1.4 or later: the answer is then a signed delivered evidence, not a receipt. */
    private boolean evidenceReceipt;
    /** Whether this request holds the message's staging folder (see {@link StagedTransfers#claim}). */
    private boolean claimed;
    /** A refusal that leaves the staged bytes for the next attempt. */
    private boolean keepStaged;

    private final BufferBudget.Lease lease;
    /** Where payload bytes are hashed and written, and a refused transfer's files removed, off the event loop. */
    private PayloadSink sink;
    /** The first failure of a queued write; the message is refused with it. */
    private volatile ProtocolException sinkFailure;
    private java.util.function.Consumer<ProtocolException> onSinkFailure = e -> { };

    /**
     * @param lease what the envelope's bytes are reserved from as they arrive; released when the message is done
     * @param resumeFrom where in the payload bytes this body starts (0: a whole message)
     */
    public IncomingMessage(PeerContext node, AuthorityId tlsPeer, BufferBudget.Lease lease, long resumeFrom) {
        this.node = node;
        this.tlsPeer = tlsPeer;
        this.lease = lease;
        this.resumeFrom = resumeFrom;
        this.head = new LengthPrefixed(node.maxEnvelopeBytes(), "envelope", lease);
    }

    /**
     * Where payload bytes are hashed and written (call it before the body): on {@code writers}, in order;
     * {@code flow} pauses and resumes reading, {@code failed} hears of a failed write (the message is then
     * refused).
     */
    public void writeOn(java.util.concurrent.Executor writers, PayloadSink.Flow flow, java.util.function.Consumer<ProtocolException> failed) {
        this.sink = new PayloadSink(writers, flow);
        this.onSinkFailure = failed;
    }

    /**
     * Answers with a signed {@code delivered} evidence (schema 1.4; it carries what a receipt did and this node's latest
     * cosigned checkpoint) when {@code evidence}, else with a receipt, for a sender before 1.4. A message received before
     * gets what was stored then, byte for byte, whichever it is.
     */
    public IncomingMessage answerWithEvidence(boolean evidence) {
        this.evidenceReceipt = evidence;
        return this;
    }

    /** The signed answer to the stored message: a delivered evidence or a receipt (see {@link #answerWithEvidence}). */
    private byte[] receipt(Instant now, String checkpoint) throws ProtocolException {
        if (!evidenceReceipt) {
            return Receipts.create(verified, node.me(), now, checkpoint, node.signing());
        }
        Evidences.Content c = Receipts.deliveredEvidence(verified, node.me(), now, checkpoint, node.cosignedCheckpoint());
        byte[] xml = Evidences.create(c, node.signing());
        made = new Made(c, xml);
        return xml;
    }

    /** The delivered evidence last made here, with the content it was made from (kept without reading it again). */
    private record Made(Evidences.Content content, byte[] xml) {}

    private Made made;

    /** Consumes the next bytes of the body. */
    public void accept(ByteBuffer data) throws ProtocolException {
        try {
            while (data.hasRemaining()) {
                if (!head.complete()) {
                    envelope = head.accept(data);
                    if (envelope != null) {
                        return; // the envelope is checked (checkEnvelope, off the event loop) before any payload byte
                    }
                } else if (verified == null) {
                    throw new IllegalStateException("payload bytes before the envelope was checked");
                } else if (storedReceipt != null) {
                    data.position(data.limit()); // a duplicate: the rest is read and dropped
                } else if (sinkFailure != null) {
                    throw sinkFailure;
                } else {
                    sink.write(data, this::writeQueued); // hashed and written on the writers
                }
            }
        } catch (ProtocolException e) {
            fail();
            throw e;
        } catch (RuntimeException e) {
            fail();
            throw Workers.refusal("store the message", e); // no path or detail goes to the peer
        }
    }

    /** Whether the envelope is complete and waits for {@link #checkEnvelope}: feed nothing more until it ran. */
    public boolean awaitingCheck() {
        return head.complete() && verified == null && !failed;
    }

    /**
     * Checks the complete envelope: signature, sender, recipients, the package inside, a duplicate
     * or an id held from another sender. Blocking work (a signature, the store, CRLs): call it off
     * the event loop.
     */
    public void checkEnvelope() throws ProtocolException {
        try {
            onEnvelope();
            checkedAt = System.nanoTime();
        } catch (ProtocolException e) {
            fail();
            throw e;
        } catch (IOException | RuntimeException e) {
            fail();
            throw Workers.refusal("check the message", e);
        }
    }

    private void onEnvelope() throws ProtocolException, IOException {
        Instant now = node.clock().instant();
        verified = Envelopes.verify(envelope, node.trust(), now, tlsPeer, node.me());
        Optional<byte[]> stored = node.store().inbox().receiptFor(verified.header().from(), verified.header().messageId());
        if (stored.isPresent()) {
            storedReceipt = stored.get();
            node.audit().record(AuditEvent.of(node.clock(), "receive-duplicate", tlsPeer.value(), verified.header().messageId().toString(),
                    tlsPeer.value(), "ok", "already received: stored receipt returned"));
            return;
        }
        refuseIdConflict();
        // Open and check the package before a byte of payload is accepted: a message whose manifest is
        // not a valid, signed package of the sender's own authority for these addressees is refused.
        ReceivedPackage.Checked checked = ReceivedPackage.open(verified, node.me(), node.decryptionKeys(), node.trust(), now);
        handling = handlingOf(checked);
        receivedManifest = checked.manifest().manifest();
        AuthorityId sender = verified.header().from();
        java.util.UUID id = verified.header().messageId();
        StagedTransfers transfers = node.transfers();
        if (!transfers.claim(sender, id)) {
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "message " + id + " is being received on another connection; try again later");
        }
        claimed = true;
        if (resumeFrom == 0) {
            staging = transfers.start(sender, id, envelope);
            nextPayload();
            return;
        }
        byte[] staged = transfers.stagedEnvelope(sender, id);
        if (staged == null || !java.util.Arrays.equals(staged, envelope)) {
            throw new ProtocolException(ErrorCode.RESUME_MISMATCH, "nothing is staged for message " + id
                    + " with this envelope: send it from the start");
        }
        StagedTransfers.Point p = transfers.resumePoint(sender, id, verified.payloads(), checked.opened().payloads());
        if (p.offset() != resumeFrom) {
            keepStaged = true;
            throw new ProtocolException(ErrorCode.RESUME_MISMATCH, "message " + id + " resumes at payload byte " + p.offset()
                    + ", not " + resumeFrom + "; ask " + ReceiveHandler.transferPath(id));
        }
        staging = transfers.dir(sender, id);
        payload = p.payload();
        payloadFilled = p.within();
        digest = p.digest();
        out = transfers.cutBackTo(sender, id, p, verified.payloads().size(),
                p.payload() < verified.payloads().size() ? verified.payloads().get(p.payload()).ciphertextSize() : 0);
        node.metrics().transferResumed();
        node.audit().record(AuditEvent.of(node.clock(), "receive-resume", tlsPeer.value(), id.toString(), tlsPeer.value(), "ok",
                "resumed at payload byte " + p.offset()));
        if (payload >= verified.payloads().size()) {
            out = null;
        }
    }

    /**
     * Where the staged transfer of {@code messageId} from {@code peer} resumes, in payload bytes: 0 when
     * nothing usable is staged, -1 when the message was already received (send the envelope alone:
     * the answer is the stored receipt). Reads and authenticates the staged bytes: call it off the event loop.
     */
    public static long resumeOffset(PeerContext node, AuthorityId peer, java.util.UUID messageId) throws ProtocolException {
        try {
            if (node.store().inbox().receiptFor(peer, messageId).isPresent()) {
                return -1;
            }
            StagedTransfers transfers = node.transfers();
            if (!transfers.claim(peer, messageId)) {
                throw new ProtocolException(ErrorCode.UNAVAILABLE, "message " + messageId
                        + " is being received on another connection; try again later");
            }
            try {
                byte[] staged = transfers.stagedEnvelope(peer, messageId);
                if (staged == null) {
                    return 0;
                }
                ReceivedPackage.Checked checked;
                try {
                    Envelopes.Verified v = Envelopes.verify(staged, node.trust(), node.clock().instant(), peer, node.me());
                    if (!v.header().messageId().equals(messageId)) {
                        throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "staged under another id");
                    }
                    checked = ReceivedPackage.open(v, node.me(), node.decryptionKeys(), node.trust(), node.clock().instant());
                } catch (ProtocolException | RuntimeException noLonger) {
                    // Expired, revoked, or damaged on disk: nothing staged is kept; a new transfer meets the checks again.
                    transfers.discard(peer, messageId);
                    return 0;
                }
                StagedTransfers.Point p = transfers.resumePoint(peer, messageId, checked.envelope().payloads(),
                        checked.opened().payloads());
                transfers.remember(peer, messageId, p);
                return p.offset();
            } finally {
                transfers.release(peer, messageId);
            }
        } catch (IOException | RuntimeException e) {
            throw Workers.refusal("read the state of a transfer", e);
        }
    }

    private void nextPayload() throws IOException, ProtocolException {
        while (payload < verified.payloads().size()) {
            PayloadInfo p = verified.payloads().get(payload);
            out = SequentialFile.create(BlobStore.payload(staging, payload), p.ciphertextSize());
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            payloadFilled = 0;
            if (p.ciphertextSize() > 0) {
                return;
            }
            closePayload();
        }
    }

    /** On the sink's worker: the bytes queued by {@link #accept}, in order. */
    private synchronized void writeQueued(ByteBuffer data) {
        if (failed || sinkFailure != null) {
            return; // refused or broken meanwhile: the rest is dropped
        }
        try {
            while (data.hasRemaining()) {
                writePayload(data);
            }
            return;
        } catch (ProtocolException e) {
            sinkFailure = e;
        } catch (IOException | RuntimeException e) {
            sinkFailure = Workers.refusal("store the message", e); // no path or detail goes to the peer
        }
        onSinkFailure.accept(sinkFailure);
    }

    private void writePayload(ByteBuffer data) throws IOException, ProtocolException {
        if (payload >= verified.payloads().size()) {
            throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "more bytes than the envelope's payloads hold");
        }
        PayloadInfo p = verified.payloads().get(payload);
        int k = (int) Math.min(data.remaining(), p.ciphertextSize() - payloadFilled);
        ByteBuffer slice = data.slice();
        slice.limit(k);
        digest.update(slice.duplicate());
        out.write(slice);
        node.metrics().payloadBytesReceived(k);
        data.position(data.position() + k);
        payloadFilled += k;
        if (payloadFilled == p.ciphertextSize()) {
            closePayload();
            nextPayload();
        }
    }

    private void closePayload() throws IOException, ProtocolException {
        out.close(); // synced in finish(), off the event loop
        out = null;
        String actual = HexFormat.of().formatHex(digest.digest());
        PayloadInfo p = verified.payloads().get(payload);
        if (!actual.equals(p.ciphertextSha256())) {
            throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "payload " + payload + " does not match the SHA-256 in the envelope");
        }
        payload++;
    }

    /** Message ids are scoped to their sender: an id this node holds from another sender is refused. */
    private void refuseIdConflict() throws ProtocolException {
        Optional<MessageStore.Received> held = node.store().inbox().received(verified.header().messageId());
        if (held.isPresent() && !held.get().sender().equals(verified.header().from())) {
            throw new ProtocolException(ErrorCode.MESSAGE_ID_CONFLICT, "message id " + verified.header().messageId()
                    + " is already held from another authority; a sender must use fresh ids");
        }
    }

    /**
     * The body is complete: store the message and return the receipt (or the stored one).
     *
     * @throws ProtocolException when the body ended before the envelope's payloads were complete
     */
    /** The date the package asks an answer by (ISO-8601), or null. */
    /** What a listing shows of the package, kept with it; null if the manifest cannot say (the listing then reads it). */
    private static MessageStore.Listing listing(Manifest m, EnvelopeHeader h) {
        try {
            return m == null ? null : MessageStore.Listing.of(m, h);
        } catch (ProtocolException | RuntimeException unreadable) {
            return null;
        }
    }

    static String respondBy(Manifest m) {
        try {
            return m == null || m.getRespondBy() == null ? null : Formats.instant(m.getRespondBy()).toString();
        } catch (ProtocolException unreadable) {
            return null;
        }
    }

    /** The package's handling marks, comma-separated, or null when it carries none. */
    static String handlingOf(ReceivedPackage.Checked checked) {
        var flags = checked.manifest().manifest().getHandling().getFlag();
        return flags.isEmpty() ? null : String.join(",", flags.stream().map(HandlingFlag::value).toList());
    }

    public byte[] finish() throws ProtocolException {
        bodyEndedAt = System.nanoTime();
        try {
            try {
                sink.drain(); // every queued payload byte written
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail();
                throw new ProtocolException(ErrorCode.UNAVAILABLE, "the node is stopping");
            }
            if (sinkFailure != null) {
                fail();
                throw sinkFailure;
            }
            return store();
        } finally {
            lease.release();
            if (claimed && !failed) {
                claimed = false;
                node.transfers().release(verified.header().from(), verified.header().messageId());
            }
        }
    }

    private byte[] store() throws ProtocolException {
        try {
            if (verified == null) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the body ended before the envelope was complete");
            }
            if (storedReceipt != null) {
                return storedReceipt;
            }
            if (payload < verified.payloads().size()) {
                throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "the body ended inside payload " + payload);
            }
            AuthorityId sender = verified.header().from();
            for (int i = 0; i < verified.payloads().size(); i++) {
                try (FileChannel f = FileChannel.open(BlobStore.payload(staging, i), StandardOpenOption.WRITE)) {
                    f.force(true);
                }
            }
            syncedAt = System.nanoTime();
            java.nio.file.Files.deleteIfExists(staging.resolve(StagedTransfers.ENVELOPE)); // the store keeps the envelope
            Path blobs = node.blobs().commit(staging, node.blobs().inbox(sender, verified.header().messageId()));
            staging = null;
            Instant now = node.clock().instant();
            MessageStore.Listing listing = listing(receivedManifest, verified.header());
            // A crash between this entry and the store's commit, then the sender's retry, would log the reception
            // twice: the second one is then a receive-duplicate, so that each reception counts once.
            boolean again = node.receiveLoggedBeforeACrash(sender, verified.header().messageId());
            AuditEvent received = AuditEvent.of(node.clock(), again ? "receive-duplicate" : "receive", sender.value(),
                    verified.header().messageId().toString(), sender.value(), "ok",
                    again ? "logged before a crash or a failed store; stored now" : null).about(verified.header())
                    .with("envelopeSha256", verified.sha256()).with("handling", handling).with("respondBy", respondBy(receivedManifest));
            byte[] receipt;
            MessageStore.Stored outcome;
            if (node.audit() instanceof PostgresAuditLog shared
                    && node.store() instanceof PostgresMessageStore pg) {
                // A cluster: the log and the store are in the authority's one database. The entry, a checkpoint
                // covering it, and the message with its receipt (carrying that checkpoint) commit in one
                // transaction, or none does: the log never shows a reception the store does not hold.
                Stored both = shared.recordWith(received, (c, index, checkpoint) -> {
                    byte[] r = receipt(now, checkpoint);
                    return new Stored(pg.storeReceived(c, new MessageStore.Received(sender, verified.header().messageId(), now,
                            envelope, verified.sha256(), r, blobs, null, receivedManifest.getCase(), listing)), r);
                }, st -> st.outcome() == MessageStore.Stored.STORED);
                receipt = both.receipt();
                outcome = both.outcome();
                if (outcome == MessageStore.Stored.DUPLICATE) { // another node stored it meanwhile: its entry is the reception
                    node.audit().record(AuditEvent.of(node.clock(), "receive-duplicate", sender.value(), verified.header().messageId().toString(),
                            sender.value(), "ok", "stored by another node meanwhile; its receipt sent again"));
                }
            } else {
                // One node: the entry is durable before the message is stored (a crash between the two is found at the
                // next start, and the sender's retry is then logged as a receive-duplicate).
                long logged = node.audit().record(received);
                // The receipt carries a checkpoint that already covers this reception.
                receipt = receipt(now, node.audit().checkpointCovering(logged));
                try {
                    outcome = node.store().inbox().storeReceived(new MessageStore.Received(sender, verified.header().messageId(),
                            now, envelope, verified.sha256(), receipt, blobs, null, receivedManifest.getCase(), listing));
                } catch (RuntimeException notStored) {
                    // Logged, not stored (the refusal follows in the log): the sender's retry is the same reception.
                    node.receiveLoggedNotStored(sender, verified.header().messageId());
                    throw notStored;
                }
            }
            switch (outcome) {
                case STORED:
                    if (evidenceReceipt) { // the answer is the delivered evidence itself: kept and logged as issued
                        Made m = made;
                        node.evidence().keepSigned(m != null && m.xml() == receipt ? m.content() : null, receipt);
                    } else {
                        node.evidence().delivered(verified.header(), verified.sha256(), verified.payloads(), receipt, now);
                    }
                    node.receivedPackage(sender, verified.header().messageId(), verified.header().inReplyTo(), receivedManifest);
                    return receipt;
                case DUPLICATE:
                    return node.store().inbox().receiptFor(sender, verified.header().messageId()).orElseThrow();
                default: // another sender's message with this id was stored meanwhile
                    node.blobs().discard(blobs);
                    throw new ProtocolException(ErrorCode.MESSAGE_ID_CONFLICT, "message id " + verified.header().messageId()
                            + " is already held from another authority; a sender must use fresh ids");
            }
        } catch (ProtocolException e) {
            fail();
            throw e;
        } catch (IOException | RuntimeException e) {
            fail();
            throw Workers.refusal("store the message", e); // no path or detail goes to the peer
        }
    }

    /** What a reception's store came to, and the receipt it was stored with. */
    private record Stored(MessageStore.Stored outcome, byte[] receipt) {}

    /** How the reception went, for the log: payload bytes, then the seconds of the body, the sync and the rest. */
    public String timing() {
        if (verified == null || checkedAt == 0 || syncedAt == 0) {
            return "";
        }
        long bytes = verified.payloads().stream().mapToLong(PayloadInfo::ciphertextSize).sum();
        return String.format(java.util.Locale.ROOT, "%d payload bytes%s; body %.2f s, sync %.2f s, store and receipt %.2f s", bytes,
                resumeFrom > 0 ? " (resumed at " + resumeFrom + ")" : "", (bodyEndedAt - checkedAt) / 1e9, (syncedAt - bodyEndedAt) / 1e9,
                (System.nanoTime() - syncedAt) / 1e9);
    }

    /** The message id, once the envelope verified. */
    public String messageId() {
        return verified == null ? null : verified.header().messageId().toString();
    }

    /** The message was refused: drops everything staged for it (unless the refusal keeps it for a resume). Idempotent. */
    public void fail() {
        end(keepStaged);
    }

    /** The connection broke: what arrived stays staged, so that the sender's next attempt resumes after it. Idempotent. */
    public void suspend() {
        end(true);
    }

    /**
     * Ends the transfer: no queued write runs after this (the flag is set under the writers' lock), and the
     * file is closed and, unless kept, the staging removed on the writers, after any write in progress —
     * deleting gigabytes is not for an event loop. The claim goes last, so that a new attempt never meets a
     * folder still being removed.
     */
    private void end(boolean keep) {
        lease.release();
        SequentialFile open;
        boolean held;
        synchronized (this) {
            if (failed) {
                return;
            }
            failed = true;
            open = out;
            out = null;
            held = claimed;
            claimed = false;
        }
        Runnable cleanup = () -> {
            try {
                if (open != null && keep) {
                    open.close(); // what arrived is written, not synced: a resumed transfer authenticates what it finds
                } else if (open != null) {
                    open.abort();
                }
            } catch (IOException e) {
                // what was written is checked before it is used
            }
            if (held) {
                AuthorityId sender = verified.header().from();
                java.util.UUID id = verified.header().messageId();
                if (!keep) {
                    node.transfers().discard(sender, id);
                }
                node.transfers().release(sender, id);
            }
        };
        if (sink != null) {
            sink.execute(cleanup);
        } else {
            cleanup.run(); // ended before the body began (no writers yet)
        }
    }
}
