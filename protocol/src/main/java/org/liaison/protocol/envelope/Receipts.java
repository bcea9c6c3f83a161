package org.liaison.protocol.envelope;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.model.Receipt;
import org.liaison.protocol.model.ReceivedPayload;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;

/**
 * Signed receipts: the receiving gateway's evidence that it stored exactly these bytes, at this
 * time, with its audit log at this checkpoint. The sender verifies a receipt against what it sent
 * and keeps it (non-repudiation of receipt).
 */
public final class Receipts {
    private Receipts() {}

    /**
     * The schema version from which a node answers a message with a signed {@code delivered} {@code <Evidence>}
     * (see {@link Evidences}) in place of a {@code <Receipt>}, and sends stage notices as evidence: a node announces
     * the version it reads in the {@value #SCHEMA_HEADER} header of its peer requests.
     */
    public static final String EVIDENCE_SCHEMA = "1.4";
    /** The request header in which a node announces the schema version it reads (absent: before 1.4). */
    public static final String SCHEMA_HEADER = "Liaison-Schema";
    private static final Pattern VERSION = Pattern.compile("[0-9]{1,6}(\\.[0-9]{1,6})?");

    /**
     * Whether {@code schema} is a schema version: "MAJOR" or "MAJOR.MINOR", ASCII digits only, at most six each (no sign,
     * no space; "01.4" is 1.4). The one rule for what a {@value #SCHEMA_HEADER} header announces: anything else
     * announces nothing.
     */
    public static boolean isVersion(String schema) {
        return schema != null && VERSION.matcher(schema).matches();
    }

    /** Whether a peer that announced {@code schema} (null: nothing) reads evidence in place of receipts and notices. */
    public static boolean readsEvidence(String schema) {
        if (!isVersion(schema)) {
            return false; // what is no version announces nothing
        }
        String[] p = schema.split("\\.");
        try {
            int major = Integer.parseInt(p[0]);
            int minor = p.length > 1 ? Integer.parseInt(p[1]) : 0;
            return major > 1 || (major == 1 && minor >= 4);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * A receipt that verified and matches what was sent: a {@code <Receipt>} (before schema 1.4; {@code evidence} null)
     * or a {@code delivered} {@code <Evidence>} ({@code evidence} its content; {@code cosignedCheckpoint} the latest
     * checkpoint the receiver held with its witnesses' cosignatures, or null).
     */
    public record Verified(UUID messageId, AuthorityId sender, AuthorityId receiver, Instant received, String envelopeSha256,
            List<String> payloadSha256, String checkpoint, byte[] xml, String cosignedCheckpoint, Evidences.Content evidence) {
        public Verified(UUID messageId, AuthorityId sender, AuthorityId receiver, Instant received, String envelopeSha256,
                List<String> payloadSha256, String checkpoint, byte[] xml) {
            this(messageId, sender, receiver, received, envelopeSha256, payloadSha256, checkpoint, xml, null, null);
        }
    }

    /** Whether {@code xml} is an {@code <Evidence>} document (else, for a reader of both, the format before schema 1.4). */
    public static boolean isEvidence(byte[] xml) throws ProtocolException {
        return isEvidence(SecureXml.parse(xml, XmlLimits.DEFAULT));
    }

    private static boolean isEvidence(Document doc) {
        return "Evidence".equals(doc.getDocumentElement().getLocalName()) && Formats.NS.equals(doc.getDocumentElement().getNamespaceURI());
    }

    /**
     * The {@code delivered} evidence of a verified envelope received by {@code receiver}: what a receipt says (the
     * message, the envelope's and each payload's digest, the time, the receiver's log checkpoint covering the
     * reception) and the latest cosigned checkpoint the receiver holds ({@code cosigned}, or null), signed.
     */
    public static Evidences.Content deliveredEvidence(Envelopes.Verified envelope, AuthorityId receiver, Instant received,
            String checkpoint, String cosigned) {
        EnvelopeHeader h = envelope.header();
        List<Evidences.Part> parts = envelope.payloads().stream().map(p -> new Evidences.Part(p.index(), null, p.ciphertextSha256()))
                .toList();
        return Evidences.Content.of(EvidenceEvent.DELIVERED, received, receiver, h.from(), List.of(receiver), h.messageId())
                .withMessage(h.conversationId(), h.created(), h.service().value(), null).withDigests(envelope.sha256(), null, parts)
                .withCheckpoint(checkpoint, cosigned);
    }

    /** Makes and signs the receipt for a verified envelope received by {@code receiver}. */
    public static byte[] create(Envelopes.Verified envelope, AuthorityId receiver, Instant received, String checkpoint,
            Credential receiverSigning) throws ProtocolException {
        Receipt r = new Receipt();
        r.setMessageId(envelope.header().messageId().toString());
        r.setSender(envelope.header().from().value());
        r.setReceiver(receiver.value());
        r.setReceived(Formats.time(received));
        r.setEnvelopeSha256(envelope.sha256());
        for (PayloadInfo p : envelope.payloads()) {
            ReceivedPayload x = new ReceivedPayload();
            x.setIndex(p.index());
            x.setCiphertextSha256(p.ciphertextSha256());
            r.getPayload().add(x);
        }
        r.setCheckpoint(checkpoint);
        Document doc = Formats.toDocument(r);
        Formats.validate(doc.getDocumentElement());
        XmlSignatures.sign(doc, receiverSigning);
        return SecureXml.serialize(doc);
    }

    /**
     * Verifies a receipt from {@code receiver} for the envelope {@code sentXml} with {@code payloads}:
     * signed by the receiver's gateway key from the directory, and naming exactly that message,
     * those envelope bytes and those payload digests.
     *
     * @throws ProtocolException RECEIPT_MISMATCH when it acknowledges something other than what was sent
     */
    public static Verified verify(byte[] xml, Trust trust, Instant now, AuthorityId receiver, UUID messageId, byte[] sentXml,
            List<PayloadInfo> payloads) throws ProtocolException {
        return verify(xml, trust, now, receiver, messageId, Envelopes.sha256(sentXml), payloads);
    }

    /**
     * {@link #verify(byte[], Trust, Instant, AuthorityId, UUID, byte[], List)} when the caller knows the SHA-256 of the
     * envelope it sent ({@code sentSha256}, of the exact bytes sent). Either way the receipt's bytes are parsed once,
     * whichever form they take.
     */
    public static Verified verify(byte[] xml, Trust trust, Instant now, AuthorityId receiver, UUID messageId, String sentSha256,
            List<PayloadInfo> payloads) throws ProtocolException {
        Document doc = SecureXml.parse(xml, XmlLimits.DEFAULT);
        if (isEvidence(doc)) {
            return verifyEvidence(Evidences.read(doc, xml), trust, now, receiver, messageId, sentSha256, payloads);
        }
        SecureXml.root(doc, Formats.NS, "Receipt");
        Receipt claimed = Formats.fromElement(doc.getDocumentElement(), Receipt.class);
        if (!receiver.value().equals(claimed.getReceiver())) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the receipt is from " + claimed.getReceiver()
                    + ", expected " + receiver);
        }
        XmlSignatures.Verified v = XmlSignatures.verify(doc, SignatureAlgorithm.allowedBy(trust.directory().require(receiver).suites()),
                trust.gatewaySigner(receiver, now));
        Receipt r = Formats.verified(v.root(), doc.getDocumentElement(), claimed, Receipt.class);
        if (!messageId.toString().equals(r.getMessageId())) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the receipt acknowledges message " + r.getMessageId()
                    + ", not " + messageId);
        }
        if (!sentSha256.equals(r.getEnvelopeSha256())) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the receipt acknowledges other envelope bytes than were sent");
        }
        List<String> digests = new ArrayList<>();
        for (ReceivedPayload p : r.getPayload()) {
            digests.add(p.getCiphertextSha256());
        }
        List<String> sent = payloads.stream().map(PayloadInfo::ciphertextSha256).toList();
        if (!digests.equals(sent)) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the receipt acknowledges other payloads than were sent");
        }
        return new Verified(messageId, AuthorityId.of(r.getSender()), receiver, Formats.instant(r.getReceived()),
                r.getEnvelopeSha256(), List.copyOf(digests), r.getCheckpoint(), xml.clone());
    }

    /** {@link #verify} of a {@code delivered} evidence (schema 1.4): the same checks as of a receipt, and the event's. */
    private static Verified verifyEvidence(Evidences.Read read, Trust trust, Instant now, AuthorityId receiver, UUID messageId,
            String sentSha256, List<PayloadInfo> payloads) throws ProtocolException {
        Evidences.Content claimed = read.content();
        if (!receiver.equals(claimed.issuer())) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the delivered evidence is from " + claimed.issuer() + ", expected "
                    + receiver);
        }
        Evidences.Verified verified = Evidences.verify(read, SignatureAlgorithm.allowedBy(trust.directory().require(receiver).suites()),
                trust.gatewaySigner(receiver, now));
        Evidences.Content c = verified.content();
        if (c.event() != EvidenceEvent.DELIVERED) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "a " + c.event().id() + " evidence in place of a delivered one");
        }
        if (!c.recipients().contains(receiver)) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the delivered evidence does not name " + receiver + " a recipient");
        }
        if (!messageId.equals(c.messageId())) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the evidence acknowledges message " + c.messageId() + ", not "
                    + messageId);
        }
        if (!sentSha256.equals(c.envelopeSha256())) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the evidence acknowledges other envelope bytes than were sent");
        }
        List<String> digests = new ArrayList<>();
        for (int i = 0; i < c.parts().size(); i++) {
            Evidences.Part p = c.parts().get(i);
            if (p.index() != i || p.ciphertextSha256() == null) {
                throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the evidence's parts are not the payloads in order");
            }
            digests.add(p.ciphertextSha256());
        }
        List<String> sent = payloads.stream().map(PayloadInfo::ciphertextSha256).toList();
        if (!digests.equals(sent)) {
            throw new ProtocolException(ErrorCode.RECEIPT_MISMATCH, "the evidence acknowledges other payloads than were sent");
        }
        return new Verified(messageId, c.sender(), receiver, c.eventTime(), c.envelopeSha256(), List.copyOf(digests), c.checkpoint(),
                verified.xml(), c.cosignedCheckpoint(), c);
    }
}
