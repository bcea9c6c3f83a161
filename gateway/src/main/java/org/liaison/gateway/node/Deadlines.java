package org.liaison.gateway.node;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.peer.PeerContext;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.Manifest;

/**
 * Deadlines on both sides, read from the store's columns and indexes (issue 26): never an envelope, never
 * the whole history, nothing held in memory. The answers this authority owes: each received request's
 * {@code RespondBy} (kept at reception) not settled by a reply sealed here ({@code owed_ms}). The answers
 * owed to it: each request sent with a {@code RespondBy} not settled by a reply received here. The store
 * settles a request when its reply is stored (see store/Listings); each passed deadline of a sent request
 * is audited once ({@code deadline-passed}) and marked so in the store.
 *
 * <p>Rows stored before the listing columns were kept are filled at start from their envelopes
 * ({@link #fillListings}), a page at a time, one transaction per page.
 */
final class Deadlines {
    private static final Logger LOG = LogManager.getLogger(Deadlines.class);
    /** Rows per transaction when filling the listings of older rows. */
    static final int FILL_BATCH = 256;

    private final PeerContext node;

    Deadlines(PeerContext node) {
        this.node = node;
    }

    /** Whether a reply to the request {@code messageId} sent from here was received. */
    boolean replyReceivedFor(UUID messageId) {
        return node.store().sent().answered(messageId);
    }

    /** How many requests sent from here are past their RespondBy with no reply received. */
    long overdueSent(Instant now) {
        return node.store().sent().overdue(now);
    }

    /** Audits, once, each request sent from here whose deadline passed without a reply; marks it in the store. */
    void auditPassed(Instant now, java.util.function.Consumer<UUID> evidence) {
        while (true) {
            List<UUID> passed = node.store().sent().deadlinesPassed(now, 256);
            for (UUID id : passed) {
                node.audit().record(AuditEvent.of(node.clock(), "deadline-passed", node.me().value(), id.toString(), null, "overdue",
                        "no reply received by the requested date"));
                LOG.warn("message {}: the requested answer is overdue", id);
                evidence.accept(id);
            }
            if (passed.isEmpty()) {
                return;
            }
            node.store().sent().deadlinesAudited(passed, now);
            if (passed.size() < 256) {
                return;
            }
        }
    }

    /** Sent requests whose passed deadline the audit log already records (what a restart finds). */
    void alreadyReported(java.util.Collection<UUID> ids) {
        if (!ids.isEmpty()) {
            node.store().sent().deadlinesAudited(ids, node.clock().instant());
        }
    }

    /** Whether a reply to {@code messageId} was sealed here. */
    boolean isAnswered(UUID messageId) {
        return node.store().inbox().answered(messageId);
    }

    /** How many received requests are past their RespondBy without a reply sealed here. */
    long overdue(Instant now) {
        return node.store().inbox().overdue(now);
    }

    /**
     * Fills the listing columns of rows stored before they were kept, from their envelopes (received: the
     * manifest too): {@value #FILL_BATCH} rows per transaction. A row that does not read is left as it is
     * (listed with its problem, reported where it is listed or fetched). Returns how many rows were filled.
     */
    int fillListings() {
        int filled = 0;
        MessageStore.Cursor after = null;
        while (true) {
            List<MessageStore.Received> page = node.store().inbox().unlisted(after, FILL_BATCH);
            List<MessageStore.Filled> rows = new ArrayList<>();
            List<MessageStore.Received> unreadable = new ArrayList<>();
            for (MessageStore.Received r : page) {
                after = new MessageStore.Cursor(0, 0, 0, r.messageId().toString(), r.sender().value());
                try {
                    Manifest m = OnwardTransfers.manifestOf(node, r);
                    rows.add(new MessageStore.Filled(r.sender(), r.messageId(), m.getCase(),
                            MessageStore.Listing.of(m, Envelopes.readStored(r.envelope(), r.envelopeSha256()).header())));
                } catch (ProtocolException | RuntimeException e) {
                    unreadable.add(r); // marked so, not read again at every start; reported where it is listed or fetched
                }
            }
            if (!rows.isEmpty()) {
                node.store().inbox().recordListings(rows);
                filled += rows.size();
            }
            if (!unreadable.isEmpty()) {
                node.store().inbox().unreadable(unreadable);
            }
            if (page.size() < FILL_BATCH) {
                break;
            }
        }
        after = null;
        while (true) {
            List<MessageStore.Outgoing> page = node.store().sent().unsealed(after, FILL_BATCH);
            Map<UUID, MessageStore.Sealed> rows = new HashMap<>();
            List<MessageStore.Outgoing> unreadable = new ArrayList<>();
            for (MessageStore.Outgoing o : page) {
                after = new MessageStore.Cursor(0, 0, 0, o.messageId().toString(), "");
                try {
                    rows.put(o.messageId(), MessageStore.Sealed.of(Envelopes.readStored(o.envelope(), o.recordedEnvelopeSha256()).header()));
                } catch (ProtocolException | RuntimeException e) {
                    unreadable.add(o); // as above
                }
            }
            if (!rows.isEmpty()) {
                node.store().sent().recordSealed(rows);
                filled += rows.size();
            }
            if (!unreadable.isEmpty()) {
                node.store().sent().unreadable(unreadable);
            }
            if (page.size() < FILL_BATCH) {
                break;
            }
        }
        if (filled > 0) {
            LOG.info("filled the listing columns of {} message(s) stored before they were kept", filled);
        }
        return filled;
    }
}
