package org.liaison.gateway.node;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.liaison.gateway.peer.PeerContext;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;

/**
 * The answers this authority owes: each received request's {@code RespondBy} (from its signed
 * manifest) and whether a reply to it was sealed here. Built from the store on first use (the inbox's
 * manifests, the outbox's envelope headers), then kept up to date as packages arrive and replies are
 * sealed. Holds ids and times only.
 */
final class Deadlines {
    private final PeerContext node;
    private Map<UUID, Instant> due;
    private Set<UUID> answered;

    Deadlines(PeerContext node) {
        this.node = node;
    }

    synchronized void received(UUID messageId, Manifest m) {
        if (due != null && m.getRespondBy() != null) {
            try {
                due.put(messageId, Formats.instant(m.getRespondBy()));
            } catch (ProtocolException unreadable) {
                // a manifest that passed the schema has a readable time; nothing to count otherwise
            }
        }
    }

    synchronized void replied(UUID inReplyTo) {
        if (answered != null && inReplyTo != null) {
            answered.add(inReplyTo);
        }
    }

    /** Whether a reply to {@code messageId} was sealed here. */
    synchronized boolean isAnswered(UUID messageId) {
        load();
        return answered.contains(messageId);
    }

    /** How many received requests are past their RespondBy without a reply sealed here. */
    synchronized long overdue(Instant now) {
        load();
        return due.entrySet().stream().filter(e -> e.getValue().isBefore(now) && !answered.contains(e.getKey())).count();
    }

    private void load() {
        if (due != null) {
            return;
        }
        Map<UUID, Instant> d = new HashMap<>();
        for (MessageStore.Received r : node.store().inbox()) {
            try {
                Envelopes.Stored env = Envelopes.readStored(r.envelope(), r.envelopeSha256());
                Envelopes.Opened o = Envelopes.open(env, node.me(), node.decryptionKeys());
                Manifest m = Formats.fromElement(SecureXml.parse(o.manifestXml(), XmlLimits.DEFAULT).getDocumentElement(), Manifest.class);
                if (m.getRespondBy() != null) {
                    d.put(r.messageId(), Formats.instant(m.getRespondBy()));
                }
            } catch (ProtocolException | RuntimeException unreadable) {
                // reported where it is listed or fetched
            }
        }
        Set<UUID> a = new HashSet<>();
        for (MessageStore.Outgoing o : node.store().sent()) {
            try {
                UUID inReplyTo = Envelopes.readStored(o.envelope(), o.recordedEnvelopeSha256()).header().inReplyTo();
                if (inReplyTo != null) {
                    a.add(inReplyTo);
                }
            } catch (ProtocolException | RuntimeException unreadable) {
                // as above
            }
        }
        due = d;
        answered = a;
    }
}
