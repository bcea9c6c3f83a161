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

/**
 * Deadlines on both sides. The answers this authority owes: each received request's
 * {@code RespondBy} (from its signed manifest) and whether a reply to it was sealed here. The
 * answers owed to it: each request it sent with a {@code RespondBy} (recorded at sealing) and
 * whether a reply to it was received. Built from the store on first use (the inbox's manifests and
 * envelope headers, the outbox's rows and envelope headers), then kept up to date as packages arrive
 * and replies are sealed. Holds ids and times only.
 */
final class Deadlines {
    private final PeerContext node;
    private Map<UUID, Instant> due;
    private Set<UUID> answered;
    /** Requests sent from here with a RespondBy, and the ids replies received here answer. */
    private Map<UUID, Instant> asked;
    private Set<UUID> repliesReceived;
    /** Sent requests whose passed deadline was audited (by this process, or found audited when it started). */
    private final Set<UUID> reported = new HashSet<>();

    Deadlines(PeerContext node) {
        this.node = node;
    }

    /** A request was sealed here with a RespondBy. */
    synchronized void sent(UUID messageId, Instant respondBy) {
        if (asked != null && respondBy != null) {
            asked.put(messageId, respondBy);
        }
    }

    /** A package that answers {@code inReplyTo} was received here. */
    synchronized void replyReceived(UUID inReplyTo) {
        if (repliesReceived != null && inReplyTo != null) {
            repliesReceived.add(inReplyTo);
        }
    }

    /** Whether a reply to the request {@code messageId} sent from here was received. */
    synchronized boolean replyReceivedFor(UUID messageId) {
        load();
        return repliesReceived.contains(messageId);
    }

    /** How many requests sent from here are past their RespondBy with no reply received. */
    synchronized long overdueSent(Instant now) {
        load();
        return asked.entrySet().stream().filter(e -> e.getValue().isBefore(now) && !repliesReceived.contains(e.getKey())).count();
    }

    /** Sent requests whose deadline passed unanswered and that were not reported yet; marks them reported. */
    synchronized java.util.List<UUID> newlyPassed(Instant now) {
        load();
        java.util.List<UUID> out = new java.util.ArrayList<>();
        asked.forEach((id, by) -> {
            if (by.isBefore(now) && !repliesReceived.contains(id) && reported.add(id)) {
                out.add(id);
            }
        });
        return out;
    }

    /** Sent requests whose passed deadline the audit log already records (what a restart finds). */
    synchronized void alreadyReported(java.util.Collection<UUID> ids) {
        reported.addAll(ids);
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
        Set<UUID> replies = new HashSet<>();
        // From the listing fields kept in the store (no envelope read); a row stored before they were kept has its
        // envelope read here, once: its fields are filled for every later start and listing.
        for (MessageStore.Received listed : node.store().eachListed()) {
            try {
                MessageStore.Listing l = listed.listing();
                if (l == null) {
                    MessageStore.Received r = node.store().received(listed.messageId()).filter(w -> w.sender().equals(listed.sender()))
                            .orElseThrow(() -> new IllegalStateException("gone"));
                    Manifest m = OnwardTransfers.manifestOf(node, r);
                    l = MessageStore.Listing.of(m, Envelopes.readStored(r.envelope(), r.envelopeSha256()).header());
                    node.store().recordListing(r.sender(), r.messageId(), m.getCase(), l);
                }
                if (l.inReplyTo() != null) {
                    replies.add(l.inReplyTo());
                }
                if (l.respondBy() != null) {
                    d.put(listed.messageId(), l.respondBy());
                }
            } catch (ProtocolException | RuntimeException unreadable) {
                // reported where it is listed or fetched
            }
        }
        Set<UUID> a = new HashSet<>();
        Map<UUID, Instant> sentWithDate = new HashMap<>();
        for (MessageStore.Outgoing o : node.store().eachSent()) {
            if (o.respondBy() != null) {
                sentWithDate.put(o.messageId(), o.respondBy());
            }
            try {
                MessageStore.Sealed sealed = o.sealed();
                if (sealed == null) {
                    sealed = MessageStore.Sealed.of(Envelopes.readStored(o.envelope(), o.recordedEnvelopeSha256()).header());
                    node.store().recordSealed(o.messageId(), sealed);
                }
                if (sealed.inReplyTo() != null) {
                    a.add(sealed.inReplyTo());
                }
            } catch (ProtocolException | RuntimeException unreadable) {
                // as above
            }
        }
        due = d;
        answered = a;
        asked = sentWithDate;
        repliesReceived = replies;
    }
}
