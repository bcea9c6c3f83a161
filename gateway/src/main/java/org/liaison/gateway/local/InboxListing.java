package org.liaison.gateway.local;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/** {@code GET INBOX}: the received messages a person may see, from the store's listing columns (see {@link ListingPages}). */
final class InboxListing {
    private final LocalNode node;
    private final ReadAccess access;

    InboxListing(LocalNode node, ReadAccess access) {
        this.node = node;
        this.access = access;
    }

    /** A page of the inbox, read from the store's columns and indexes (see {@link ListingPages}); the next page's cursor in {@link LocalApi#NEXT_PAGE}. */
    Answer list(Request<LocalUser> request) throws ProtocolException {
        LocalUser user = request.principal();
        ListingQuery query = ListingQuery.inbox(request.query());
        CaseAccess.View view = access.view(user);
        ListingPages.Page page = ListingPages.inbox(node.store(), query, view.viewer(), node.clock().instant(), batch -> {
            Map<UUID, List<MessageStore.Stage>> stages = node.store().notices().stages(batch.stream().map(l -> l.row().messageId())
                    .toList(), true);
            return l -> listed(l, stages.getOrDefault(l.row().messageId(), List.of()), user, view);
        });
        return page(page);
    }

    /** A page of a listing as the answer: its rows, and the cursor of the next page in {@link LocalApi#NEXT_PAGE} when more follow. */
    static Answer page(ListingPages.Page page) {
        return Answer.json(page.rows(), page.next() == null ? Map.of() : Map.of(LocalApi.NEXT_PAGE, page.next()));
    }

    private static UUID inReplyTo(Map<String, Object> row) {
        Object v = row.get("inReplyTo");
        return v == null ? null : UUID.fromString((String) v);
    }

    /**
     * One inbox row as listed. A row that cannot be read (changed at rest, or stored before the
     * node checked packages at reception) is listed with its problem instead of failing the
     * whole listing; a quarantined row is listed as such. Null: a message of a case this person is not on.
     */
    private Map<String, Object> listed(MessageStore.Listed<MessageStore.Received> l, List<MessageStore.Stage> stages, LocalUser user,
            CaseAccess.View view) {
        MessageStore.Received r = l.row();
        try {
            if (r.quarantine() != null) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("messageId", r.messageId().toString());
                x.put("from", r.sender().value());
                x.put("received", r.receivedAt().toString());
                x.put("quarantined", r.quarantine());
                return x;
            }
            Map<String, Object> summary = summary(r, l.answered(), stages);
            if (!view.sees((String) summary.get("case"), inReplyTo(summary))) {
                return null; // need to know: not listed at all
            }
            return redacted(summary, user);
        } catch (ProtocolException | RuntimeException e) {
            String problem = e instanceof ProtocolException ? ((ProtocolException) e).code().code() + " " + e.getMessage()
                    : "unreadable: " + e.getClass().getSimpleName();
            access.storedDataIncident(r, problem);
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("messageId", r.messageId().toString());
            x.put("from", r.sender().value());
            x.put("received", r.receivedAt().toString());
            x.put("problem", problem);
            return x;
        }
    }

    /**
     * A person without the clearance a package's protection marks need sees that it exists — who sent it,
     * when, which service, its marks — but not its case, its files or its conversation.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> redacted(Map<String, Object> summary, LocalUser user) {
        List<String> missing = user.missingClearances((List<String>) summary.get("handling"));
        if (missing.isEmpty()) {
            return summary;
        }
        Map<String, Object> x = new LinkedHashMap<>();
        for (String k : List.of("messageId", "from", "service", "classification", "handling", "received", "respondBy", "answered",
                "overdue", "urgency")) {
            if (summary.containsKey(k)) {
                x.put(k, summary.get(k));
            }
        }
        x.put("clearanceRequired", missing);
        return x;
    }

    /**
     * A row as listed, from the listing fields kept in the store's columns: no envelope is read. A row stored
     * before they were kept has its envelope read once, here, and its listing filled for every later listing.
     */
    private Map<String, Object> summary(MessageStore.Received r, boolean answered, List<MessageStore.Stage> stages)
            throws ProtocolException {
        MessageStore.Listing l = r.listing();
        String caseRef = r.caseRef();
        if (l == null) {
            MessageStore.Received whole = node.store().inbox().received(r.messageId()).filter(w -> w.sender().equals(r.sender()))
                    .orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND, "message " + r.messageId() + " is gone"));
            ReadAccess.Readable read = access.open(whole);
            l = MessageStore.Listing.of(read.manifest(), read.envelope().header());
            caseRef = read.manifest().getCase();
            node.store().inbox().recordListing(r.sender(), r.messageId(), caseRef, l);
        }
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("messageId", r.messageId().toString());
        x.put("from", r.sender().value());
        x.put("service", l.service());
        x.put("case", caseRef);
        x.put("classification", l.classification());
        x.put("handling", l.handling());
        x.put("files", l.files());
        x.put("bytes", l.bytes());
        x.put("received", r.receivedAt().toString());
        if (l.respondBy() != null) {
            java.time.Instant by = l.respondBy();
            x.put("respondBy", by.toString());
            x.put("answered", answered);
            x.put("overdue", !answered && by.isBefore(node.clock().instant()));
        }
        if (l.urgency() != null) {
            x.put("urgency", l.urgency());
        }
        x.put("conversationId", l.conversationId().toString());
        x.put("inReplyTo", l.inReplyTo() == null ? null : l.inReplyTo().toString());
        x.put("stages", stages.stream().map(MessageStore.Stage::stage).toList());
        return x;
    }
}
