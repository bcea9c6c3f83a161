package org.liaison.gateway.local;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/** Cases: who is assigned to which (need to know), and an operator's deletion of a case's messages. */
final class Cases {
    private final LocalNode node;

    Cases(LocalNode node) {
        this.node = node;
    }

    /** {@code GET CASES}: operators see every assignment, investigators their own. */
    Answer list(Request<LocalUser> request) {
        LocalUser user = request.principal();
        List<Object> list = new ArrayList<>();
        for (MessageStore.Assignment a : node.store().cases().assignments()) {
            if (user.roles().contains(Role.OPERATOR) || CaseAccess.is(a.person(), user)) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("case", a.caseRef());
                x.put("person", a.person());
                x.put("assignedBy", a.assignedBy());
                x.put("assignedAt", a.assignedAt().toString());
                list.add(x);
            }
        }
        return Answer.json(list);
    }

    Answer assign(Request<LocalUser> request) throws ProtocolException {
        return assignment(request, true);
    }

    Answer unassign(Request<LocalUser> request) throws ProtocolException {
        return assignment(request, false);
    }

    /** An operator assigns a person to a case, or takes them off it; audited. */
    private Answer assignment(Request<LocalUser> request, boolean assign) throws ProtocolException {
        LocalUser user = request.principal();
        String caseRef = caseRef(ReadAccess.decoded(request.header(LocalApi.CASE), LocalApi.CASE));
        String named = ReadAccess.decoded(request.header(LocalApi.PERSON), LocalApi.PERSON);
        if (named == null) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "name the person: their certificate's subject or SHA256 fingerprint");
        }
        String person;
        try {
            person = CaseAccess.person(named);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, e.getMessage());
        }
        boolean changed = assign ? node.store().cases().assign(new MessageStore.Assignment(caseRef, person, user.actor(), node.clock().instant()))
                : node.store().cases().unassign(caseRef, person);
        if (changed) {
            node.audit().record(AuditEvent.of(node.clock(), assign ? "case-assign" : "case-unassign", user.actor(), null, null, "ok", null)
                    .with("case", caseRef).with("person", person));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("case", caseRef);
        out.put("person", person);
        out.put(assign ? "assigned" : "unassigned", changed);
        return Answer.json(out);
    }

    /** {@code POST CASE_DELETE}: every message of a case is deleted, with a reason; audited by the retention. */
    Answer delete(Request<LocalUser> request) throws ProtocolException {
        String caseRef = caseRef(ReadAccess.decoded(request.header(LocalApi.CASE), LocalApi.CASE));
        String reason = ReadAccess.decoded(request.header(LocalApi.REASON), LocalApi.REASON);
        if (reason == null || reason.isBlank() || reason.length() > 500 || reason.chars().anyMatch(ch -> ch < 0x20)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a reason of 1 to 500 characters on one line is needed");
        }
        CaseDeletion.Deleted d = node.retention().deleteCase(caseRef, request.principal().actor(), reason);
        if (d.received().isEmpty() && d.sent().isEmpty()) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, "no message of case " + caseRef + " is held here");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("case", caseRef);
        out.put("received", d.received().stream().map(UUID::toString).toList());
        out.put("sent", d.sent().stream().map(UUID::toString).toList());
        return Answer.json(out);
    }

    /** A case reference as the manifest schema allows it, or a clear refusal. */
    static String caseRef(String s) throws ProtocolException {
        if (s == null || !s.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a case reference (letters, digits, . _ / -; up to 64) is needed");
        }
        return s;
    }
}
