package org.liaison.gateway.evidence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.xml.Formats;

/**
 * Issues the evidence of this node's acts (see {@link Evidences}): signs each with the gateway's key,
 * stores it durably under {@code dataDir/evidence/MESSAGE-ID/} (one file per event, named by its time,
 * event and id, so that a listing is in order), and logs it: an {@code evidence} audit entry holds the
 * evidence's id, event and SHA-256, so that the log proves the evidence existed, at that size of the log.
 *
 * <p>The file is written before the entry (an entry never names an evidence the node does not hold); the
 * entry's index is noted beside the files ({@value #INDEX}) for the export, which checks it against the log.
 * Every act is done before its evidence is issued, so issuing never undoes it: a failure to issue is
 * logged as an error and counted ({@code liaison_evidence_failures_total}), and the act stands.
 *
 * <p>The files live in the node's data folder. On a cluster (PostgreSQL store) each node issues the
 * evidence of its own acts into its own folder; {@code dataDir} is shared by the authority's nodes only if
 * the operator makes it so (like the blob folder).
 */
public final class EvidenceIssuer {
    private static final Logger LOG = LogManager.getLogger(EvidenceIssuer.class);
    public static final String FOLDER = "evidence";
    /** Per message: lines {@code FILE-NAME AUDIT-INDEX}, one per evidence logged. */
    public static final String INDEX = "log-index";

    /** Issues nothing: for node fakes in tests and tools that keep no evidence. */
    public static final EvidenceIssuer NONE = new EvidenceIssuer(null, null);

    private final EvidenceNode node;
    private final Path root;
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();

    private final TrustedTime trustedTime;

    private final EvidenceContainer.Pins pins;

    public EvidenceIssuer(EvidenceNode node, Path root) {
        this(node, root, null, null);
    }

    /**
     * @param trustedTime the node's TSA, or {@code null} when none is configured
     * @param pins the directory's pins, for the containers this node exports
     */
    public EvidenceIssuer(EvidenceNode node, Path root, TrustedTime trustedTime, EvidenceContainer.Pins pins) {
        this.node = node;
        this.root = root;
        this.trustedTime = trustedTime;
        this.pins = pins;
        this.crls = root == null ? null : new CrlHistory(root.resolve(CRLS));
    }

    /** Under the evidence folder: every CRL the node held when it issued an evidence or exported a container. */
    public static final String CRLS = "crls";

    private final CrlHistory crls;

    /** The CRLs this node has held over time (null: it keeps no evidence). */
    CrlHistory crlHistory() {
        return crls;
    }

    /** The sealed ASiC-E container of message {@code id} (see {@link EvidenceContainer}); the caller has authorised it. */
    public byte[] export(UUID id) throws ProtocolException, IOException {
        if (node == null || pins == null) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, "this node keeps no evidence");
        }
        return EvidenceContainer.export(node, this, pins, id);
    }

    /** Starts stamping (when a TSA is configured) and publishes the alarm metrics. */
    public void start(NodeMetrics metrics) {
        metrics.bindEvidence(this::failures, trustedTime == null ? () -> 0 : trustedTime::secondsWithout,
                trustedTime == null ? () -> 0 : trustedTime::failures);
        if (trustedTime != null) {
            trustedTime.start(trustedTime.every());
        }
    }

    /** The node's trusted time, when a TSA is configured. */
    public Optional<TrustedTime> trustedTime() {
        return Optional.ofNullable(trustedTime);
    }

    /** Refuses a new submission while the node has been without trusted time too long (LIAISON:0058); nothing without a TSA. */
    public void requireTrustedTime() throws ProtocolException {
        if (trustedTime != null) {
            trustedTime.check();
        }
    }

    public void close() {
        if (trustedTime != null) {
            trustedTime.close();
        }
    }

    /** An evidence issued here: its id, event, digest, where it is, and its audit entry's index. */
    public record Issued(UUID evidenceId, EvidenceEvent event, String sha256, Path file, long auditIndex) {}

    /** An evidence as stored: its file name, exact bytes, and the audit index noted for it ({@code -1}: none noted). */
    public record Stored(String name, byte[] xml, long auditIndex) {}

    /** How many evidences could not be issued since the start. */
    public long failures() {
        return failures.get();
    }

    /**
     * Signs, stores and logs one evidence. Throws when any step fails (the caller decides); see
     * {@link #issueQuietly} for acts already done.
     */
    public Issued issue(Evidences.Content c) throws ProtocolException, IOException {
        // Not synchronized: each evidence has its own file, and its index line is one short appended write.
        return record(c, Evidences.create(c, node.signing()));
    }

    /**
     * Stores and logs an evidence this node signed already (from schema 1.4, the {@code delivered} evidence that
     * answers a message and the stage notices sent as evidence are made where they are sent): as {@link #issue}
     * does, quietly.
     */
    public Optional<Issued> keepSigned(byte[] xml) {
        return keepSigned(null, xml);
    }

    /**
     * As {@link #keepSigned(byte[])}, with the content the evidence was made from here ({@code made}: what
     * {@code Evidences.create} signed into {@code xml}), so that the bytes just signed are not read again; null: read them.
     */
    public Optional<Issued> keepSigned(Evidences.Content made, byte[] xml) {
        if (node == null) {
            return Optional.empty();
        }
        Evidences.Content c = made;
        try {
            if (c == null) {
                c = Evidences.claimed(xml);
            }
            return Optional.of(record(c, xml));
        } catch (ProtocolException | IOException | RuntimeException e) {
            failures.incrementAndGet();
            LOG.error("cannot keep the {} evidence of message {}: {}", c == null ? "?" : c.event().id(), c == null ? "?" : c.messageId(),
                    e.toString());
            return Optional.empty();
        }
    }

    /**
     * Keeps an evidence a peer issued (verified by the caller: its {@code delivered} evidence, its notices as evidence)
     * with this node's evidence of the message, in the same folder and naming, and logs that this node holds it: an
     * {@code evidence} audit entry (actor and {@code evidenceIssuer}: the peer) with its id and SHA-256, whose index is
     * noted as an issued one's — so that this node's log proves it held the peer's evidence at that size. Quietly, as
     * {@link #issueQuietly}.
     */
    public void keepPeer(Evidences.Content c, byte[] xml) {
        if (node == null || root == null) {
            return;
        }
        try {
            store(c, xml, c.issuer(), c.issuer(), true);
        } catch (IOException | RuntimeException e) {
            failures.incrementAndGet();
            LOG.error("cannot keep the {} evidence of {} about message {}: {}", c.event().id(), c.issuer(), c.messageId(), e.toString());
        }
    }

    static String name(Evidences.Content c) {
        // As String.format("%013d-%s-%s.xml", …) names it, without a format parsed per evidence.
        long millis = c.eventTime().toEpochMilli();
        String digits = Long.toString(millis);
        StringBuilder b = new StringBuilder(80);
        if (millis >= 0) {
            b.append("0".repeat(Math.max(0, 13 - digits.length())));
            b.append(digits);
        } else {
            return String.format("%013d-%s-%s.xml", millis, c.event().id(), c.evidenceId());
        }
        return b.append('-').append(c.event().id()).append('-').append(c.evidenceId()).append(".xml").toString();
    }

    private Issued record(Evidences.Content c, byte[] xml) throws IOException {
        crls.keep(node.trust().crls()); // the CRLs in force at this event's time, for its container
        return store(c, xml, node.me(), c.issuer().equals(c.sender()) ? c.recipients().get(0) : c.sender(), false);
    }

    /**
     * Writes an evidence into its message's folder, then its {@code evidence} audit entry (actor {@code actor}; a peer's
     * also names its {@code evidenceIssuer}), then the entry's index beside it.
     */
    private Issued store(Evidences.Content c, byte[] xml, AuthorityId actor, AuthorityId counterpart, boolean peers) throws IOException {
        String sha = Evidences.sha256(xml);
        Path dir = folder(c.messageId());
        String name = name(c);
        Path file = dir.resolve(name);
        SecureFiles.writeAtomically(file, xml, false);
        AuditEvent e = AuditEvent.of(node.clock(), "evidence", actor.value(), c.messageId().toString(), counterpart.value(),
                c.event().id(), c.reasons().isEmpty() ? null : c.reasons().get(0).code()).with("evidenceId", c.evidenceId().toString())
                .with("evidenceSha256", sha);
        long index = node.audit().record(peers ? e.with("evidenceIssuer", c.issuer().value()) : e);
        Files.write(dir.resolve(INDEX), (name + " " + index + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        return new Issued(c.evidenceId(), c.event(), sha, file, index);
    }

    /** As {@link #issue}, for an act already done: a failure is logged and counted, never thrown. */
    public Optional<Issued> issueQuietly(Evidences.Content c) {
        if (node == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(issue(c));
        } catch (ProtocolException | IOException | RuntimeException e) {
            failures.incrementAndGet();
            LOG.error("cannot issue the {} evidence of message {}: {}", c.event().id(), c.messageId(), e.toString());
            return Optional.empty();
        }
    }

    /** The evidences this node holds of a message, oldest first. */
    public List<Stored> of(UUID messageId) throws IOException {
        if (root == null) {
            return List.of();
        }
        Path dir = folder(messageId);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        Map<String, Long> indexes = new HashMap<>();
        Path index = dir.resolve(INDEX);
        if (Files.exists(index)) {
            for (String line : Files.readAllLines(index, StandardCharsets.US_ASCII)) {
                String[] p = line.split(" ");
                if (p.length == 2) {
                    indexes.put(p[0], Long.parseLong(p[1]));
                }
            }
        }
        List<Stored> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".xml")).sorted().toList()) {
                String name = f.getFileName().toString();
                out.add(new Stored(name, Files.readAllBytes(f), indexes.getOrDefault(name, -1L)));
            }
        }
        return out;
    }

    private Path folder(UUID messageId) {
        return root.resolve(messageId.toString());
    }

    // ----- the events, from what the node has at hand when it acts -----

    private Evidences.Content about(EvidenceEvent event, Instant at, EnvelopeHeader h, List<AuthorityId> recipients) {
        return Evidences.Content.of(event, at, node.me(), h.from(), recipients, h.messageId()).withMessage(h.conversationId(), h.created(),
                h.service().value(), null);
    }

    /** The sender's node sealed and stored a message from a verified package. */
    public void submissionAccepted(EnvelopeHeader h, List<AuthorityId> recipients, Manifest manifest, byte[] manifestXml, byte[] envelope,
            List<PayloadInfo> payloads) {
        if (node == null) {
            return;
        }
        List<Evidences.Part> parts = new ArrayList<>();
        for (PayloadInfo p : payloads) {
            String plain = p.index() < manifest.getFile().size() ? manifest.getFile().get(p.index()).getSha256() : null;
            parts.add(new Evidences.Part(p.index(), plain, p.ciphertextSha256()));
        }
        Instant respondBy = null;
        try {
            respondBy = manifest.getRespondBy() == null ? null : Formats.instant(manifest.getRespondBy());
        } catch (ProtocolException e) {
            // checked when the package was verified; left out if unreadable
        }
        Evidences.Content c = about(EvidenceEvent.SUBMISSION_ACCEPTED, h.created(), h, recipients)
                .withMessage(h.conversationId(), h.created(), h.service().value(), respondBy)
                .withDigests(Envelopes.sha256(envelope), Envelopes.sha256(manifestXml), parts);
        issueQuietly(c);
    }

    /** The sender's node refused a verified package (no message exists: a fresh id names the refused submission). */
    public void submissionRefused(Manifest manifest, List<AuthorityId> addressees, String code, String why) {
        if (node == null || addressees.isEmpty()) {
            return;
        }
        Evidences.Content c = Evidences.Content.of(EvidenceEvent.SUBMISSION_REFUSED, node.clock().instant(), node.me(), node.me(),
                addressees, UUID.randomUUID()).withReason(code, why);
        issueQuietly(c);
    }

    /** The recipient's node receipted the message: the sender's node verified that receipt. */
    public void relayed(EnvelopeHeader h, AuthorityId recipient, byte[] receipt, String envelopeSha256) {
        if (node == null) {
            return;
        }
        issueQuietly(about(EvidenceEvent.RELAYED, node.clock().instant(), h, List.of(recipient))
                .withDigests(envelopeSha256, null, List.of()).withRelated("receipt", Envelopes.sha256(receipt), null));
    }

    /** The sender's node gave up on a recipient: refused for good ({@code expired} false) or expired undelivered. */
    public void notRelayed(EnvelopeHeader h, AuthorityId recipient, boolean expired, String code, String why) {
        if (node == null) {
            return;
        }
        issueQuietly(about(expired ? EvidenceEvent.NOT_DELIVERED : EvidenceEvent.RELAY_FAILED, node.clock().instant(), h,
                List.of(recipient)).withReason(code, why));
    }

    /** The recipient's node stored a message and receipted it. */
    public void delivered(EnvelopeHeader h, String envelopeSha256, List<PayloadInfo> payloads, byte[] receipt, Instant at) {
        if (node == null) {
            return;
        }
        List<Evidences.Part> parts = payloads.stream().map(p -> new Evidences.Part(p.index(), null, p.ciphertextSha256())).toList();
        issueQuietly(about(EvidenceEvent.DELIVERED, at, h, List.of(node.me())).withDigests(envelopeSha256, null, parts)
                .withRelated("receipt", Envelopes.sha256(receipt), null));
    }

    /** The recipient authority opened, acknowledged or declined a message: its notice was made. */
    public void stage(EnvelopeHeader h, String stage, Instant at, String reason, String note, byte[] notice) {
        if (node == null) {
            return;
        }
        EvidenceEvent e = switch (stage) {
            case "opened" -> EvidenceEvent.OPENED;
            case "acknowledged" -> EvidenceEvent.ACKNOWLEDGED;
            default -> EvidenceEvent.DECLINED;
        };
        Evidences.Content c = about(e, at, h, List.of(node.me())).withRelated("notice", Envelopes.sha256(notice), null);
        issueQuietly(reason == null ? c : c.withReason(reason, note));
    }

    /** A request was answered: {@code reply} answers {@code request} (sent by {@code sender} to {@code recipient}). */
    public void answered(UUID request, AuthorityId sender, AuthorityId recipient, UUID reply) {
        if (node == null) {
            return;
        }
        Evidences.Content c = Evidences.Content.of(EvidenceEvent.ANSWERED, node.clock().instant(), node.me(), sender, List.of(recipient),
                request);
        issueQuietly(reply == null ? c : c.withRelated("reply", null, reply));
    }

    /** The message expired in the outbox before {@code recipient}'s node took it. */
    public void expired(MessageStore.Outgoing m, AuthorityId recipient) {
        if (node == null) {
            return;
        }
        try {
            notRelayed(Envelopes.readStored(m.envelope(), m.recordedEnvelopeSha256()).header(), recipient, true,
                    ErrorCode.MESSAGE_EXPIRED.code(), "expired at " + m.expiresAt() + " before delivery");
        } catch (ProtocolException e) {
            failures.incrementAndGet();
            LOG.error("cannot issue the not-delivered evidence of message {}: {}", m.messageId(), e.toString());
        }
    }

    /** A request sent from here passed its respond-by time with no answer received. */
    public void deadlinePassed(UUID request) {
        if (node == null) {
            return;
        }
        List<AuthorityId> recipients = node.store().deliveries().of(request).stream().map(d -> d.recipient()).toList();
        Instant respondBy = node.store().sent().outgoing(request).map(o -> o.respondBy()).orElse(null);
        deadlinePassed(request, recipients, respondBy);
    }

    void deadlinePassed(UUID request, List<AuthorityId> recipients, Instant respondBy) {
        if (node == null || recipients.isEmpty()) {
            return;
        }
        issueQuietly(Evidences.Content.of(EvidenceEvent.DEADLINE_PASSED, node.clock().instant(), node.me(), node.me(), recipients, request)
                .withMessage(null, null, null, respondBy));
    }
}
