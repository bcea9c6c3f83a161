package org.liaison.protocol.envelope;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.model.Service;

/**
 * The envelope header: identities, times, parties and purpose. Exactly one of {@code to}
 * (authorities) and {@code jit}.
 */
public record EnvelopeHeader(UUID messageId, UUID conversationId, UUID inReplyTo, Instant created, Instant expires,
        AuthorityId from, List<AuthorityId> to, String jit, Service service, String action) {
    public EnvelopeHeader {
        Objects.requireNonNull(messageId, "messageId");
        Objects.requireNonNull(conversationId, "conversationId");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(expires, "expires");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(action, "action");
        to = to == null ? List.of() : List.copyOf(to);
        if (to.isEmpty() == (jit == null)) {
            throw new IllegalArgumentException("recipients: give either authorities or one JIT (expected exactly one of them)");
        }
        if (!expires.isAfter(created)) {
            throw new IllegalArgumentException("expires: " + expires + " (expected: after created " + created + ")");
        }
    }
}
