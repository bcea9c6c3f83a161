package org.liaison.protocol.envelope;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.model.Notice;
import org.liaison.protocol.model.RefusalReason;
import org.liaison.protocol.model.Stage;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;

/**
 * Stage notices: what a recipient authority did with a message it received (opened, acknowledged,
 * declined with a reason), told to the message's sender in a document its gateway signs. An
 * opened notice names the authority and the time, never the person.
 */
public final class Notices {
    private Notices() {}

    /** The largest notice accepted: a few hundred bytes of fields, a note of up to 4096 characters, a signature. */
    public static final int MAX_BYTES = 32 * 1024;
    /** How far ahead of the receiver's clock a notice's time may be. */
    public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    /** A notice's content. {@code reason} is set for a declined request only; {@code note} is optional free text. */
    public record Content(UUID noticeId, UUID messageId, UUID conversationId, AuthorityId sender, AuthorityId from, String stage,
            Instant at, String reason, String note) {}

    /** A notice that verified, with its exact bytes (kept as the evidence). */
    public record Verified(Content content, byte[] xml) {}

    /** Reads a stage's name ({@code opened}, {@code acknowledged}, {@code declined}); a clear error otherwise. */
    public static String stage(String s) throws ProtocolException {
        try {
            return Stage.fromValue(s.toLowerCase(Locale.ROOT)).value();
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "no stage '" + s + "' (opened, acknowledged, declined)");
        }
    }

    /** Reads a reason code; a clear error naming the codes otherwise. */
    public static String reason(String s) throws ProtocolException {
        try {
            return RefusalReason.fromValue(s.toLowerCase(Locale.ROOT)).value();
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "no reason code '" + s + "'; one of: " + String.join(", ", reasons()));
        }
    }

    /** The reason codes a request can be declined with. */
    public static java.util.List<String> reasons() {
        return java.util.Arrays.stream(RefusalReason.values()).map(RefusalReason::value).toList();
    }

    /** Makes and signs a notice with the issuing authority's gateway credential. */
    public static byte[] create(Content c, Credential gatewaySigning) throws ProtocolException {
        check(c);
        Notice n = new Notice();
        n.setNoticeId(c.noticeId().toString());
        n.setMessageId(c.messageId().toString());
        n.setConversationId(c.conversationId().toString());
        n.setSender(c.sender().value());
        n.setFrom(c.from().value());
        n.setStage(Stage.fromValue(c.stage()));
        n.setAt(Formats.time(c.at()));
        n.setReason(c.reason() == null ? null : RefusalReason.fromValue(c.reason()));
        n.setNote(c.note());
        Document doc = Formats.toDocument(n);
        Formats.validate(doc.getDocumentElement()); // schema-valid before it is signed
        XmlSignatures.sign(doc, gatewaySigning);
        return SecureXml.serialize(doc);
    }

    /**
     * Verifies a notice that {@code peer} sent: signed by {@code peer}'s gateway key from the directory,
     * issued by {@code peer} itself, not dated in the future, and a reason exactly when it declines.
     */
    public static Verified verify(byte[] xml, Trust trust, Instant now, AuthorityId peer) throws ProtocolException {
        if (xml.length > MAX_BYTES) {
            throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "a notice of " + xml.length + " bytes exceeds " + MAX_BYTES);
        }
        if (Receipts.isEvidence(xml)) {
            return verifyEvidence(xml, trust, now, peer);
        }
        Document doc = SecureXml.parse(xml, XmlLimits.DEFAULT);
        SecureXml.root(doc, Formats.NS, "Notice");
        Notice claimed = Formats.fromElement(doc.getDocumentElement(), Notice.class);
        if (!peer.value().equals(claimed.getFrom())) {
            throw new ProtocolException(ErrorCode.SENDER_MISMATCH, "a notice from " + claimed.getFrom() + " sent by " + peer);
        }
        XmlSignatures.Verified v = XmlSignatures.verify(doc, SignatureAlgorithm.allowedBy(trust.directory().require(peer).suites()),
                trust.gatewaySigner(peer, now));
        Notice n = Formats.verified(v.root(), doc.getDocumentElement(), claimed, Notice.class);
        Content c = new Content(UUID.fromString(n.getNoticeId()), UUID.fromString(n.getMessageId()),
                UUID.fromString(n.getConversationId()), AuthorityId.of(n.getSender()), AuthorityId.of(n.getFrom()), n.getStage().value(),
                Formats.instant(n.getAt()), n.getReason() == null ? null : n.getReason().value(), n.getNote());
        check(c);
        if (c.at().isAfter(now.plus(CLOCK_SKEW))) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the notice is dated " + c.at() + ", in the future");
        }
        return new Verified(c, xml.clone());
    }

    private static void check(Content c) throws ProtocolException {
        boolean declined = "declined".equals(c.stage());
        if (declined != (c.reason() != null)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, declined ? "a declined request needs a reason code"
                    : "only a declined request has a reason code");
        }
        if ("other".equals(c.reason()) && (c.note() == null || c.note().isBlank())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "reason 'other' needs a note that says which");
        }
        if (c.sender().equals(c.from())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "an authority sends no notice about its own message");
        }
    }

    /** The events a notice can be, from schema 1.4 on, when it is an {@code <Evidence>}. */
    private static final java.util.Map<String, EvidenceEvent> EVENTS = java.util.Map.of("opened", EvidenceEvent.OPENED, "acknowledged",
            EvidenceEvent.ACKNOWLEDGED, "declined", EvidenceEvent.DECLINED, "answered", EvidenceEvent.ANSWERED);

    /**
     * A notice as evidence (schema 1.4, for a peer that announced it): the {@code opened}, {@code acknowledged},
     * {@code declined} or {@code answered} evidence its issuer ({@code c.from()}) signs; the notice's id is the
     * evidence's, a declined notice's reason code and note are the evidence's reason.
     */
    public static Evidences.Content evidence(Content c) throws ProtocolException {
        check(c);
        EvidenceEvent e = EVENTS.get(c.stage());
        if (e == null) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "no stage '" + c.stage() + "' (opened, acknowledged, declined, answered)");
        }
        Evidences.Content ev = new Evidences.Content(c.noticeId(), e, c.at(), c.from(), c.sender(), java.util.List.of(c.from()),
                c.messageId(), c.conversationId(), null, null, null, null, null, null, null, null);
        return c.reason() == null ? ev : ev.withReason(c.reason(), c.note());
    }

    private static Verified verifyEvidence(byte[] xml, Trust trust, Instant now, AuthorityId peer) throws ProtocolException {
        Evidences.Content claimed = Evidences.claimed(xml);
        if (!peer.equals(claimed.issuer())) {
            throw new ProtocolException(ErrorCode.SENDER_MISMATCH, "a notice from " + claimed.issuer() + " sent by " + peer);
        }
        Evidences.Content e = Evidences.verify(xml, SignatureAlgorithm.allowedBy(trust.directory().require(peer).suites()),
                trust.gatewaySigner(peer, now)).content();
        String stage = EVENTS.entrySet().stream().filter(x -> x.getValue() == e.event()).map(java.util.Map.Entry::getKey).findFirst()
                .orElseThrow(() -> new ProtocolException(ErrorCode.SCHEMA_INVALID, "a " + e.event().id() + " evidence is not a notice"));
        if (e.conversationId() == null) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a notice names its conversation");
        }
        if (!e.recipients().contains(peer)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a notice's issuer is a recipient of the message");
        }
        String reason = null;
        String note = null;
        if (!e.reasons().isEmpty()) {
            reason = reason(e.reasons().get(0).code());
            note = e.reasons().get(0).text();
        }
        Content c = new Content(e.evidenceId(), e.messageId(), e.conversationId(), e.sender(), e.issuer(), stage, e.eventTime(), reason,
                note);
        check(c);
        if (c.at().isAfter(now.plus(CLOCK_SKEW))) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the notice is dated " + c.at() + ", in the future");
        }
        return new Verified(c, xml.clone());
    }
}
