package org.liaison.gateway.audit;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.liaison.protocol.envelope.EnvelopeHeader;

/**
 * One security-relevant event. Never evidence content, never secrets: only ids, digests,
 * parties, times and outcomes.
 *
 * @param type e.g. {@code receive}, {@code send-attempt}, {@code reject}, {@code auth-failure}
 * @param actor who acted: an authority id, a certificate fingerprint, or {@code node}
 * @param outcome {@code ok}, {@code refused}, {@code failed}, …
 */
public record AuditEvent(Instant time, String type, String actor, String messageId, String counterpart, String outcome,
        String reason, Map<String, String> details) {
    public AuditEvent {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(outcome, "outcome");
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(details));
    }

    /** This event with one more detail (a null value is left out). */
    public AuditEvent with(String key, String value) {
        if (value == null) {
            return this;
        }
        Map<String, String> d = new java.util.LinkedHashMap<>(details);
        d.put(key, value);
        return new AuditEvent(time, type, actor, messageId, counterpart, outcome, reason, d);
    }

    /** This event with the message's service, conversation and the message it answers. */
    public AuditEvent about(EnvelopeHeader h) {
        return with("service", h.service().value()).with("conversation", h.conversationId().toString())
                .with("inReplyTo", h.inReplyTo() == null ? null : h.inReplyTo().toString());
    }

    /** An event at the node's time ({@code clock}: the node's, so that tests that move it see entries move with it). */
    public static AuditEvent of(java.time.Clock clock, String type, String actor, String messageId, String counterpart, String outcome,
            String reason) {
        return new AuditEvent(clock.instant(), type, actor, messageId, counterpart, outcome, reason, Map.of());
    }

    /** An event at the system's time: for tools and parts that run without a node (a node's parts use its clock). */
    public static AuditEvent of(String type, String actor, String messageId, String counterpart, String outcome, String reason) {
        return of(java.time.Clock.systemUTC(), type, actor, messageId, counterpart, outcome, reason);
    }
}
