package org.liaison.protocol.envelope;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.dsig.XmlSignatures;
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

    /** A receipt that verified and matches what was sent. */
    public record Verified(UUID messageId, AuthorityId sender, AuthorityId receiver, Instant received, String envelopeSha256,
            List<String> payloadSha256, String checkpoint, byte[] xml) {}

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
        Document doc = SecureXml.parse(xml, XmlLimits.DEFAULT);
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
        String sentSha = Envelopes.sha256(sentXml);
        if (!sentSha.equals(r.getEnvelopeSha256())) {
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
}
