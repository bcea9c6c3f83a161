package org.liaison.gateway.local;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Notices;

/** What people do with a received message besides reading it: acknowledge or decline it (investigator), set it aside (operator). */
final class ReceivedActions {
    private static final Logger LOG = LogManager.getLogger(LocalApiHandler.class);
    private final LocalNode node;
    private final ReadAccess access;

    ReceivedActions(LocalNode node, ReadAccess access) {
        this.node = node;
        this.access = access;
    }

    Answer acknowledge(Request<LocalUser> request) throws ProtocolException {
        return decide(request, false);
    }

    Answer decline(Request<LocalUser> request) throws ProtocolException {
        return decide(request, true);
    }

    /**
     * An investigator acknowledges or declines a received request: a person who may read it (its
     * protection marks' clearances), a reason code for a decline, an optional note. Idempotent: the same
     * stage again answers {@code "new": false}. The envelope is opened once.
     */
    private Answer decide(Request<LocalUser> request, boolean decline) throws ProtocolException {
        LocalUser user = request.principal();
        UUID id = ReadAccess.parseId(request.param("id"));
        String reasonCode = request.header(LocalApi.REASON_CODE);
        MessageStore.Received r = node.store().inbox().received(id).orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND,
                "no received message " + id));
        ReadAccess.Readable read = access.readable(user, r, decline ? ReadAccess.Use.DECLINE : ReadAccess.Use.ACKNOWLEDGE);
        String reason = null;
        if (decline) {
            if (reasonCode == null) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a decline needs a reason code: one of "
                        + String.join(", ", Notices.reasons()));
            }
            reason = Notices.reason(reasonCode);
        } else if (reasonCode != null) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "an acknowledgement has no reason code");
        }
        String text = ReadAccess.decoded(request.header(LocalApi.NOTE), LocalApi.NOTE);
        if (text != null) {
            if (text.length() > 4096 || text.chars().anyMatch(c -> c < 0x20 && c != '\n')) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a note has at most 4096 characters and no control characters");
            }
        }
        String stage = decline ? ReceivedStages.DECLINED : ReceivedStages.ACKNOWLEDGED;
        boolean fresh = node.stages().decide(r, read.envelope().header(), stage, reason, text, user.actor());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("messageId", id.toString());
        out.put("to", r.sender().value());
        out.put("stage", stage);
        out.put("reason", reason);
        out.put("new", fresh);
        return Answer.json(out);
    }

    /** An operator sets a received message aside: it stays stored (and audited) but is no longer listed or served. */
    Answer quarantine(Request<LocalUser> request) throws ProtocolException {
        UUID id = ReadAccess.parseId(request.param("id"));
        String reason = ReadAccess.decoded(request.header(LocalApi.REASON), LocalApi.REASON);
        if (reason == null || reason.isBlank() || reason.length() > 500 || reason.chars().anyMatch(c -> c < 0x20)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "give a reason (header " + LocalApi.REASON + ", 1 to 500 characters)");
        }
        if (!node.store().inbox().quarantine(id, reason)) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, "no received message " + id + " that is not already quarantined");
        }
        node.audit().record(AuditEvent.of(node.clock(), "quarantine", request.principal().actor(), id.toString(), null, "ok", reason));
        LOG.warn("message {} quarantined by {}", id, request.principal().actor());
        return Answer.json(Map.of("messageId", id.toString(), "quarantined", reason));
    }
}
