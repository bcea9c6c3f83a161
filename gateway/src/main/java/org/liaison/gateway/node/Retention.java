package org.liaison.gateway.node;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.local.CaseDeletion;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.Service;

/**
 * Retention and provable deletion. Each service keeps its messages for a period (configurable per
 * authority, {@link #DEFAULTS} otherwise), counted from reception (received messages) or sealing
 * (sent ones, once no delivery is still under way); an operator can also delete a case. Deleting
 * destroys the envelope — the only copy of the message's wrapped content keys, so any copy of its
 * ciphertext left anywhere can no longer be decrypted (crypto-shredding) — removes the payload blobs,
 * keeps the digests (the envelope's, and a received message's receipt), and records a {@code delete}
 * entry in the audit log (which never held content). {@code liaison audit query --type delete} lists them.
 */
public final class Retention implements CaseDeletion {
    private static final Logger LOG = LogManager.getLogger(Retention.class);

    /** How long each service's messages are kept when the configuration says nothing (see the README). */
    public static final Map<Service, String> DEFAULTS = defaults();

    private static Map<Service, String> defaults() {
        Map<Service, String> m = new LinkedHashMap<>();
        for (Service s : Service.values()) {
            m.put(s, switch (s) {
                case EXTRADITION_REQUEST, ASSET_TRACING_REQUEST, ASSET_FREEZING_REQUEST, CONFISCATION_REQUEST,
                        WITNESS_PROTECTION_COORDINATION -> "P10Y";
                case LAW_ENFORCEMENT_EXCHANGE -> "P3Y";
                case TRAVEL_DOCUMENT_ALERT, CONSULAR_NOTIFICATION -> "P1Y";
                default -> "P5Y"; // mutual legal assistance, JIT files
            });
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /** A period as configured: ISO-8601, P5Y or P30D (calendar), PT12H (exact). */
    public record Period(String text) {
        public Instant after(Instant t) {
            if (text.startsWith("PT")) {
                return t.plus(Duration.parse(text));
            }
            return t.atOffset(ZoneOffset.UTC).plus(java.time.Period.parse(text)).toInstant();
        }

        /** A rough length, for how often to look. */
        Duration approximately() {
            return Duration.between(Instant.EPOCH, after(Instant.EPOCH));
        }

        /** Reads a period; a clear error for anything else. */
        public static Period of(String text, String field) {
            try {
                Period p = new Period(text.trim().toUpperCase(java.util.Locale.ROOT));
                if (p.approximately().isNegative() || p.approximately().isZero()) {
                    throw new IllegalArgumentException();
                }
                return p;
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(field + ": " + text + " (expected: an ISO-8601 period such as P5Y, P90D or PT12H)");
            }
        }
    }

    /**
     * The periods for a configuration's {@code retention} map (service ids, or {@code default} for every
     * service not named); unknown services are refused.
     */
    public static Map<Service, Period> periods(Map<String, String> configured) {
        Map<Service, Period> out = new LinkedHashMap<>();
        String fallback = configured == null ? null : configured.get("default");
        for (Service s : Service.values()) {
            String v = configured == null ? null : configured.get(s.value());
            out.put(s, Period.of(v != null ? v : fallback != null ? fallback : DEFAULTS.get(s), "retention." + s.value()));
        }
        if (configured != null) {
            for (String k : configured.keySet()) {
                if (!k.equals("default") && java.util.Arrays.stream(Service.values()).noneMatch(s -> s.value().equals(k))) {
                    throw new IllegalArgumentException("retention." + k + ": not a service (expected: default, or one of "
                            + String.join(", ", java.util.Arrays.stream(Service.values()).map(Service::value).toList()) + ")");
                }
            }
        }
        return out;
    }

    private final NodeState node;
    private final Map<Service, Period> periods;
    private Instant nextSweep = Instant.EPOCH;

    public Retention(NodeState node, Map<Service, Period> periods) {
        this.node = node;
        this.periods = periods;
    }

    public Map<Service, Period> periods() {
        return periods;
    }

    /**
     * Deletes what is past its retention, when a sweep is due: at most every hour, sooner when a
     * stored message expires sooner (or a configured period is shorter). Also makes sure the blobs of
     * messages deleted before are gone (a crash may have come between the two).
     */
    public synchronized void sweepIfDue(Instant now) {
        if (now.isBefore(nextSweep)) {
            return;
        }
        Duration shortest = periods.values().stream().map(Period::approximately).min(Duration::compareTo).orElseThrow();
        Instant next = now.plus(shortest.compareTo(Duration.ofHours(1)) < 0 ? shortest : Duration.ofHours(1));
        if (nextSweep.equals(Instant.EPOCH)) { // the first sweep of this process: what a crash left (an index of those rows only)
            removeLeftFolders(node.store(), now);
        }
        // From the store's columns and indexes (issue 26): per service, only the rows old enough to have expired are
        // read (with their envelopes, to audit and delete them); when the next one expires is the oldest row's time.
        Period briefest = periods.values().stream().min(java.util.Comparator.comparing(Period::approximately)).orElseThrow();
        for (Service s : Service.values()) {
            Period p = periods.get(s);
            next = earlier(next, sweepReceived(s.value(), p, now), now);
            next = earlier(next, sweepSent(s.value(), p, now), now);
        }
        // Rows whose service was never recorded (their envelope did not read when the columns were filled).
        sweepReceived(null, briefest, now);
        nextSweep = next;
    }

    /**
     * Removes the blob folders of deleted messages that a crash (between a row's deletion and its folder's removal) or
     * a failed removal left, and records each one gone: the store lists only those, not every deletion ever made.
     */
    public static void removeLeftFolders(MessageStore store, Instant now) {
        store.inbox().blobsRemoved(store.inbox().deletedBlobs().stream().filter(BlobStore::removeFolder).toList(), now);
        store.sent().blobsRemoved(store.sent().deletedBlobs().stream().filter(BlobStore::removeFolder).toList(), now);
    }

    private static Instant earlier(Instant next, Instant expires, Instant now) {
        return expires != null && expires.isAfter(now) && expires.isBefore(next) ? expires : next;
    }

    /** Rows per page of the sweep. */
    private static final int SWEEP_PAGE = 256;

    /**
     * The time at or before which a row kept for {@code p} may have expired by {@code now}: exact for a duration;
     * for a calendar period, three days later (months differ by up to three days), each row then checked exactly.
     */
    private static Instant cutoff(Period p, Instant now) {
        if (p.text().startsWith("PT")) {
            return now.minus(Duration.parse(p.text()));
        }
        return now.atOffset(ZoneOffset.UTC).minus(java.time.Period.parse(p.text())).toInstant().plus(Duration.ofDays(3));
    }

    /** Deletes the received messages of a service past {@code p}; returns when the oldest one left expires (null: none). */
    private Instant sweepReceived(String service, Period p, Instant now) {
        Period longest = periods.values().stream().max(java.util.Comparator.comparing(Period::approximately)).orElseThrow();
        // The oldest row first: when even it is not old enough (most sweeps), nothing is read (one query, not two).
        Instant oldest = node.store().inbox().oldest(service);
        if (oldest == null || oldest.isAfter(cutoff(p, now))) {
            return service == null || oldest == null ? null : p.after(oldest);
        }
        MessageStore.Cursor after = null;
        while (true) {
            List<MessageStore.Listed<MessageStore.Received>> page = node.store().inbox().upTo(service, cutoff(p, now), after, SWEEP_PAGE);
            for (MessageStore.Listed<MessageStore.Received> l : page) {
                after = l.key();
                MessageStore.Received r = l.row();
                try {
                    // A quarantined message is set aside for an incident, not kept past its retention: its envelope
                    // holds its content keys. One whose envelope no longer reads is kept for the longest period.
                    EnvelopeHeader h = r.quarantine() == null ? Envelopes.readStored(r.envelope(), r.envelopeSha256()).header()
                            : readableHeader(r);
                    Period kept = h == null ? longest : periods.get(h.service());
                    if (!kept.after(r.receivedAt()).isAfter(now)) {
                        delete(r, h, "system", "retention " + kept.text() + " expired", null);
                    }
                } catch (ProtocolException | RuntimeException e) {
                    LOG.warn("retention: received message {} cannot be read ({}); left for the operator", r.messageId(), e.getMessage());
                }
            }
            if (page.size() < SWEEP_PAGE) {
                break;
            }
        }
        oldest = service == null ? null : node.store().inbox().oldest(service);
        return oldest == null ? null : p.after(oldest);
    }

    /** Deletes the sent messages of a service past {@code p} whose deliveries are over; returns when the oldest one left expires. */
    private Instant sweepSent(String service, Period p, Instant now) {
        Instant oldest = node.store().sent().oldest(service); // as for received messages: most sweeps stop here
        if (oldest == null || oldest.isAfter(cutoff(p, now))) {
            return oldest == null ? null : p.after(oldest);
        }
        MessageStore.Cursor after = null;
        while (true) {
            List<MessageStore.Listed<MessageStore.Outgoing>> page = node.store().sent().upTo(service, cutoff(p, now), after, SWEEP_PAGE);
            for (MessageStore.Listed<MessageStore.Outgoing> l : page) {
                after = l.key();
                MessageStore.Outgoing o = l.row();
                try {
                    if (!p.after(o.createdAt()).isAfter(now)
                            && node.store().deliveries().of(o.messageId()).stream().allMatch(d -> d.state().isFinal())) {
                        EnvelopeHeader h = Envelopes.readStored(o.envelope(), o.recordedEnvelopeSha256()).header();
                        delete(o, h, "system", "retention " + p.text() + " expired", null);
                    }
                } catch (ProtocolException | RuntimeException e) {
                    LOG.warn("retention: sent message {} cannot be read ({}); left for the operator", o.messageId(), e.getMessage());
                }
            }
            if (page.size() < SWEEP_PAGE) {
                break;
            }
        }
        oldest = node.store().sent().oldest(service);
        return oldest == null ? null : p.after(oldest);
    }

    /**
     * Deletes every message of a case, received and sent (an operator's decision, with a reason); each is
     * audited. Received messages stored before cases were recorded are matched by opening their manifest.
     */
    @Override
    public synchronized Deleted deleteCase(String caseRef, String actor, String reason) throws ProtocolException {
        List<UUID> received = new ArrayList<>();
        List<UUID> sent = new ArrayList<>();
        String why = "case " + caseRef + " deleted: " + reason;
        java.util.Set<UUID> tagged = new java.util.HashSet<>(node.store().cases().messagesOfCase(caseRef, true, false));
        List<UUID> ofCase = node.store().cases().messagesOfCase(caseRef, true, true);
        for (MessageStore.Received r : rowsOf(ofCase)) {
            UUID id = r.messageId();
            // Quarantined ones too: setting a message aside does not keep it past its case's deletion.
            EnvelopeHeader h = r.quarantine() == null ? Envelopes.readStored(r.envelope(), r.envelopeSha256()).header() : readableHeader(r);
            if (!tagged.contains(id) && !caseRef.equals(caseOf(r))) {
                continue;
            }
            if (delete(r, h, actor, why, caseRef)) {
                received.add(id);
            }
        }
        for (UUID id : node.store().cases().messagesOfCase(caseRef, false, false)) {
            MessageStore.Outgoing o = node.store().sent().outgoing(id).orElse(null);
            if (o == null) {
                continue;
            }
            EnvelopeHeader h = Envelopes.readStored(o.envelope(), o.recordedEnvelopeSha256()).header();
            if (delete(o, h, actor, why, caseRef)) {
                sent.add(id);
            }
        }
        return new Deleted(received, sent);
    }

    /**
     * The received rows with these ids: the one {@link MessageStore#received} finds, and, for an id listed
     * more than once (a quarantined row beside another sender's with the same id), every row with it.
     */
    private List<MessageStore.Received> rowsOf(List<UUID> ids) {
        java.util.Set<UUID> seen = new java.util.HashSet<>();
        java.util.Set<UUID> twice = new java.util.HashSet<>();
        for (UUID id : ids) {
            if (!seen.add(id)) {
                twice.add(id);
            }
        }
        List<MessageStore.Received> out = new ArrayList<>();
        for (UUID id : seen) {
            if (!twice.contains(id)) {
                node.store().inbox().received(id).ifPresent(out::add);
            }
        }
        if (!twice.isEmpty()) { // rare (store migration 2 set such rows aside): worth one pass over the inbox
            for (MessageStore.Received r : node.store().inbox().eachReceived()) {
                if (twice.contains(r.messageId())) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** The header of a quarantined message, or null when its envelope no longer reads (it is deleted all the same). */
    private static EnvelopeHeader readableHeader(MessageStore.Received r) {
        try {
            return Envelopes.readStored(r.envelope(), r.envelopeSha256()).header();
        } catch (ProtocolException | RuntimeException unreadable) {
            return null;
        }
    }

    /** The case of a received message stored before cases were recorded (null: its manifest does not open). */
    private String caseOf(MessageStore.Received r) {
        try {
            return OnwardTransfers.manifestOf(node, r).getCase();
        } catch (ProtocolException e) {
            return null;
        }
    }

    private static String recipients(EnvelopeHeader h) {
        return h.jit() != null ? h.jit() : String.join(",", h.to().stream().map(Object::toString).toList());
    }

    private boolean delete(MessageStore.Received r, EnvelopeHeader h, String actor, String why, String caseRef) throws ProtocolException {
        // A no-onward-transfer restriction outlives the copy held here: its files' digests stay.
        List<String> digests;
        try {
            digests = OnwardTransfers.protectedDigests(OnwardTransfers.manifestOf(node, r));
        } catch (ProtocolException | RuntimeException unreadable) {
            if (r.quarantine() == null) {
                throw unreadable;
            }
            digests = List.of(); // set aside because it no longer reads: there are no files left to know
        }
        List<String> kept = digests;
        return erase(r.messageId(), true, h, r.sender().value(), r.blobs(), r.envelopeSha256(), Envelopes.sha256(r.receipt()), actor,
                r.quarantine() == null ? why : why + " (quarantined: " + r.quarantine() + ")", caseRef, () -> {
                    if (!kept.isEmpty()) {
                        node.store().inbox().keepProtected(r.messageId(), r.sender(), kept);
                    }
                }, () -> node.store().inbox().delete(r.sender(), r.messageId(), node.clock().instant()));
    }

    private boolean delete(MessageStore.Outgoing o, EnvelopeHeader h, String actor, String why, String caseRef) {
        return erase(o.messageId(), false, h, recipients(h), o.blobs(), o.recordedEnvelopeSha256(), null, actor, why, caseRef, () -> { },
                () -> node.store().sent().delete(o.messageId(), node.clock().instant()));
    }

    private boolean erase(UUID id, boolean received, EnvelopeHeader h, String counterpart, Path blobs, String envelopeSha256,
            String receiptSha256, String actor, String why, String caseRef, Runnable keep, java.util.function.BooleanSupplier destroy) {
        // Logged first (durably): a crash after it and before the store's change leaves a logged deletion that the next
        // sweep (or the operator's repeated case deletion) carries out; never a deletion without its entry.
        AuditEvent e = AuditEvent.of(node.clock(), "delete", actor, id.toString(), counterpart, "deleted", why);
        if (h != null) { // null: a quarantined envelope that no longer reads
            e = e.about(h);
        }
        e = e.with("direction", received ? "received" : "sent").with("envelopeSha256", envelopeSha256).with("receiptSha256", receiptSha256);
        if (caseRef != null) {
            e = e.with("case", caseRef);
        }
        node.audit().record(e);
        keep.run();
        if (!destroy.getAsBoolean()) {
            return false;
        }
        if (BlobStore.removeFolder(blobs)) { // otherwise the next start tries again
            if (received) {
                node.store().inbox().blobsRemoved(List.of(blobs), node.clock().instant());
            } else {
                node.store().sent().blobsRemoved(List.of(blobs), node.clock().instant());
            }
        }
        LOG.info("deleted {} message {} ({})", received ? "received" : "sent", id, why);
        return true;
    }
}
