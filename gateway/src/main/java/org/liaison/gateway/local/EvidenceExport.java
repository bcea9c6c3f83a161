package org.liaison.gateway.local;

import java.util.Optional;
import java.util.UUID;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.evidence.AsicE;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;

/**
 * {@code GET EVIDENCE/ID}: the message's evidence container (ASiC-E) for a court. Auditors get any of their
 * authority's; investigators a message they sent or follow, or a received one they may open. Audited.
 */
final class EvidenceExport {
    private final LocalNode node;
    private final ReadAccess access;

    EvidenceExport(LocalNode node, ReadAccess access) {
        this.node = node;
        this.access = access;
    }

    Answer export(Request<LocalUser> request) throws ProtocolException, java.io.IOException {
        LocalUser user = request.principal();
        UUID id = ReadAccess.parseId(request.param("id"));
        if (!user.roles().contains(Role.AUDITOR)) {
            Optional<MessageStore.Outgoing> o = node.store().sent().outgoing(id);
            if (o.isPresent() ? !access.view(user).follows(o.get()) : node.store().inbox().received(id).isEmpty()) {
                throw new ProtocolException(ErrorCode.NOT_FOUND, "no message " + id + " of yours");
            }
            if (o.isEmpty()) {
                access.readable(user, node.store().inbox().received(id).orElseThrow(), ReadAccess.Use.FETCH);
            }
        }
        byte[] zip = node.evidence().export(id);
        node.audit().record(AuditEvent.of(node.clock(), "evidence-export", user.actor(), id.toString(), null, "ok", null)
                .with("containerSha256", Envelopes.sha256(zip)));
        return Answer.bytes(AsicE.MIME_TYPE, zip);
    }
}
