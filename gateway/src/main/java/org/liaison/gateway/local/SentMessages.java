package org.liaison.gateway.local;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.Receipts;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.model.Notice;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;

/** {@code GET MESSAGES[/ID]}: sent messages and each recipient's delivery state and stages. */
final class SentMessages {
    private static final Logger LOG = LogManager.getLogger(LocalApiHandler.class);
    private final LocalNode node;
    private final ReadAccess access;

    SentMessages(LocalNode node, ReadAccess access) {
        this.node = node;
        this.access = access;
    }

    /** A page of the messages sent from here, newest first, from the store's columns (see {@link ListingPages}). */
    Answer list(Request<LocalUser> request) throws ProtocolException {
        ListingQuery query = ListingQuery.sent(request.query());
        CaseAccess.View view = access.view(request.principal());
        return InboxListing.page(ListingPages.sent(node.store(), query, view.viewer(), node.clock().instant(), batch -> {
            List<UUID> ids = batch.stream().map(l -> l.row().messageId()).toList();
            Map<UUID, List<MessageStore.Stage>> stages = node.store().notices().stages(ids, false);
            Map<UUID, List<MessageStore.Delivery>> deliveries = node.store().deliveries().of(ids);
            return l -> sentRow(l, stages.getOrDefault(l.row().messageId(), List.of()),
                    deliveries.getOrDefault(l.row().messageId(), List.of()));
        }));
    }

    /** A listed sent message; one that cannot be read is listed with its problem (it does not break the listing). */
    private Map<String, Object> sentRow(MessageStore.Listed<MessageStore.Outgoing> l, List<MessageStore.Stage> stages,
            List<MessageStore.Delivery> deliveries) {
        MessageStore.Outgoing o = l.row();
        try {
            return status(o, l.answered(), stages, deliveries);
        } catch (ProtocolException | RuntimeException e) {
            if (node.metrics().storedDataFailure(o.messageId())) {
                LOG.error("STORED DATA: sent message {} cannot be read: {}", o.messageId(), e.getMessage());
            }
            Map<String, Object> x = new java.util.LinkedHashMap<>();
            x.put("messageId", o.messageId().toString());
            x.put("created", o.createdAt().toString());
            x.put("problem", e.getMessage() == null ? "unreadable" : e.getMessage());
            return x;
        }
    }

    Answer one(Request<LocalUser> request) throws ProtocolException {
        UUID id = ReadAccess.parseId(request.param("id"));
        CaseAccess.View view = access.view(request.principal());
        MessageStore.Outgoing o = node.store().sent().outgoing(id).filter(view::follows)
                .orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND, "no sent message " + id + " of yours"));
        return Answer.json(status(o, node.replyReceivedFor(id), node.store().notices().stages(id, false),
                node.store().deliveries().of(id)));
    }

    /**
     * A sent message's status, from the fields kept in the store at sealing: no envelope is read. A row
     * stored before they were kept has its envelope read once, here, and its fields filled. {@code answered}: a reply
     * was received; {@code stages} and {@code deliveries}: the message's, as the store holds them.
     */
    private Map<String, Object> status(MessageStore.Outgoing o, boolean answered, List<MessageStore.Stage> stages,
            List<MessageStore.Delivery> deliveries) throws ProtocolException {
        MessageStore.Sealed sealed = o.sealed();
        if (sealed == null && o.envelope() == null) { // a listed row (read without its envelope) stored before the fields were kept
            o = node.store().sent().outgoing(o.messageId()).orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND, "gone"));
        }
        if (sealed == null) {
            sealed = MessageStore.Sealed.of(Envelopes.readStored(o.envelope(), o.recordedEnvelopeSha256()).header());
            node.store().sent().recordSealed(o.messageId(), sealed);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("messageId", o.messageId().toString());
        m.put("conversationId", sealed.conversationId().toString());
        m.put("inReplyTo", sealed.inReplyTo() == null ? null : sealed.inReplyTo().toString());
        m.put("service", sealed.service());
        m.put("case", o.caseRef());
        m.put("to", sealed.to());
        m.put("created", o.createdAt().toString());
        m.put("expires", o.expiresAt().toString());
        if (o.respondBy() != null) {
            m.put("respondBy", o.respondBy().toString());
            m.put("answered", answered);
            m.put("overdue", !answered && o.respondBy().isBefore(node.clock().instant()));
        }
        List<Object> ds = new ArrayList<>();
        for (MessageStore.Delivery d : deliveries) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("recipient", d.recipient().value());
            x.put("state", d.state().id());
            x.put("attempts", d.attempts());
            x.put("nextAttempt", d.state() == MessageStore.State.RETRYING ? d.nextAttemptAt().toString() : null);
            x.put("deliveredAt", d.deliveredAt() == null ? null : d.deliveredAt().toString());
            x.put("receiptSha256", d.receipt() == null ? null : Envelopes.sha256(d.receipt()));
            x.put("lastError", d.lastError());
            List<Object> st = new ArrayList<>();
            for (MessageStore.Stage s : stages) {
                if (s.party().equals(d.recipient())) {
                    Map<String, Object> y = new LinkedHashMap<>();
                    y.put("stage", s.stage());
                    y.put("at", s.at().toString());
                    y.put("reason", s.reason());
                    y.put("note", noteOf(s));
                    st.add(y);
                }
            }
            x.put("stages", st);
            ds.add(x);
        }
        m.put("deliveries", ds);
        return m;
    }

    /** The note of a notice (verified when it arrived), or null: as kept beside it, else (recorded before) read from it. */
    private static String noteOf(MessageStore.Stage s) {
        if (s.note() != null) {
            return s.note().isEmpty() ? null : s.note();
        }
        if (s.xml() == null) {
            return null;
        }
        try {
            if (Receipts.isEvidence(s.xml())) { // a notice as evidence (schema 1.4): the reason's text
                var reasons = Evidences.claimed(s.xml()).reasons();
                return reasons.isEmpty() ? null : reasons.get(0).text();
            }
            return Formats.fromElement(SecureXml.parse(s.xml(), XmlLimits.DEFAULT).getDocumentElement(),
                    Notice.class).getNote();
        } catch (ProtocolException e) {
            return null;
        }
    }
}
