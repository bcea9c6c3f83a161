package org.liaison.protocol.evidence;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.dsig.SignerResolver;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.Evidence;
import org.liaison.protocol.model.EvidencePart;
import org.liaison.protocol.model.EvidenceReason;
import org.liaison.protocol.model.EvidenceRelated;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;

/**
 * Evidence documents: one signed XML document ({@code <Evidence version="1">} in namespace
 * {@value Formats#NS}) per event of a message's life, issued and signed by the node whose act it records,
 * with the fields ETSI EN 319 522-3 requires (evidence id, event, event time, issuer, sender, recipients)
 * and those it makes optional that Liaison knows (message id, submission time, a digest per file, reasons).
 *
 * <p><b>Security guarantees.</b> {@link #verify} checks the signature's shape and algorithm before any
 * cryptographic work (see {@link XmlSignatures}), takes the signer only from the caller's
 * {@link SignerResolver}, and returns the content read from the very element the signature covers. It also
 * checks what the schema cannot: a reason on every failure or refusal, and an issuer that is the sender or a
 * recipient of the message.
 */
public final class Evidences {
    private Evidences() {}

    /** The evidence format's version, in the document's {@code version} attribute. */
    public static final String VERSION = "1";
    /** The largest evidence accepted: its fields, up to 1000 file digests, a signature and its certificate. */
    public static final int MAX_BYTES = 512 * 1024;

    /** One file's digests: of the plaintext (from the signed manifest, where known) and of the ciphertext. */
    public record Part(int index, String sha256, String ciphertextSha256) {}

    /** Why a failure or refusal happened: a code (a reason code or {@code LIAISON:nnnn}) and optional text. */
    public record Reason(String code, String text) {
        public Reason {
            Objects.requireNonNull(code, "code");
        }
    }

    /** A document the evidence rests on: {@code receipt} or {@code notice} by digest, {@code reply} by message id. */
    public record Related(String kind, String sha256, UUID messageId) {}

    /** An evidence's content. Optional fields are {@code null} or empty. */
    public record Content(UUID evidenceId, EvidenceEvent event, Instant eventTime, AuthorityId issuer, AuthorityId sender,
            List<AuthorityId> recipients, UUID messageId, UUID conversationId, Instant submissionTime, String service,
            Instant respondBy, String envelopeSha256, String manifestSha256, List<Part> parts, List<Reason> reasons,
            List<Related> related, String checkpoint, String cosignedCheckpoint) {
        public Content {
            Objects.requireNonNull(evidenceId, "evidenceId");
            Objects.requireNonNull(event, "event");
            Objects.requireNonNull(eventTime, "eventTime");
            Objects.requireNonNull(issuer, "issuer");
            Objects.requireNonNull(sender, "sender");
            Objects.requireNonNull(messageId, "messageId");
            recipients = List.copyOf(recipients);
            parts = parts == null ? List.of() : List.copyOf(parts);
            reasons = reasons == null ? List.of() : List.copyOf(reasons);
            related = related == null ? List.of() : List.copyOf(related);
        }

        /** As before schema 1.4: no checkpoints. */
        public Content(UUID evidenceId, EvidenceEvent event, Instant eventTime, AuthorityId issuer, AuthorityId sender,
                List<AuthorityId> recipients, UUID messageId, UUID conversationId, Instant submissionTime, String service,
                Instant respondBy, String envelopeSha256, String manifestSha256, List<Part> parts, List<Reason> reasons,
                List<Related> related) {
            this(evidenceId, event, eventTime, issuer, sender, recipients, messageId, conversationId, submissionTime, service, respondBy,
                    envelopeSha256, manifestSha256, parts, reasons, related, null, null);
        }

        /** A minimal content: the required fields only; add the rest with the {@code with…} methods. */
        public static Content of(EvidenceEvent event, Instant at, AuthorityId issuer, AuthorityId sender, List<AuthorityId> recipients,
                UUID messageId) {
            return new Content(UUID.randomUUID(), event, at, issuer, sender, recipients, messageId, null, null, null, null, null, null,
                    List.of(), List.of(), List.of());
        }

        public Content withMessage(UUID conversationId, Instant submissionTime, String service, Instant respondBy) {
            return new Content(evidenceId, event, eventTime, issuer, sender, recipients, messageId, conversationId, submissionTime, service,
                    respondBy, envelopeSha256, manifestSha256, parts, reasons, related, checkpoint, cosignedCheckpoint);
        }

        public Content withDigests(String envelopeSha256, String manifestSha256, List<Part> parts) {
            return new Content(evidenceId, event, eventTime, issuer, sender, recipients, messageId, conversationId, submissionTime, service,
                    respondBy, envelopeSha256, manifestSha256, parts, reasons, related, checkpoint, cosignedCheckpoint);
        }

        public Content withReason(String code, String text) {
            List<Reason> r = new ArrayList<>(reasons);
            r.add(new Reason(code, text));
            return new Content(evidenceId, event, eventTime, issuer, sender, recipients, messageId, conversationId, submissionTime, service,
                    respondBy, envelopeSha256, manifestSha256, parts, r, related, checkpoint, cosignedCheckpoint);
        }

        public Content withRelated(String kind, String sha256, UUID otherMessage) {
            List<Related> r = new ArrayList<>(related);
            r.add(new Related(kind, sha256, otherMessage));
            return new Content(evidenceId, event, eventTime, issuer, sender, recipients, messageId, conversationId, submissionTime, service,
                    respondBy, envelopeSha256, manifestSha256, parts, reasons, r, checkpoint, cosignedCheckpoint);
        }

        /**
         * The issuer's audit log at the event (schema 1.4): {@code checkpoint}, its signed checkpoint covering the event's log
         * entry, and {@code cosigned}, the latest checkpoint it holds with its witnesses' cosignatures (null: none yet).
         */
        public Content withCheckpoint(String checkpoint, String cosigned) {
            return new Content(evidenceId, event, eventTime, issuer, sender, recipients, messageId, conversationId, submissionTime, service,
                    respondBy, envelopeSha256, manifestSha256, parts, reasons, related, checkpoint, cosigned);
        }
    }

    /** An evidence that verified: its content, its signer, and its exact bytes (the evidence kept and exported). */
    public record Verified(Content content, X509Certificate signer, byte[] xml) {}

    /** Makes and signs an evidence with the issuing node's gateway credential. */
    public static byte[] create(Content c, Credential issuerSigning) throws ProtocolException {
        check(c);
        Evidence e = new Evidence();
        e.setVersion(VERSION);
        e.setEvidenceId(c.evidenceId().toString());
        e.setEvent(c.event().uri());
        e.setEventTime(Formats.time(c.eventTime()));
        e.setIssuer(c.issuer().value());
        e.setSender(c.sender().value());
        c.recipients().forEach(r -> e.getRecipient().add(r.value()));
        e.setMessageId(c.messageId().toString());
        e.setConversationId(c.conversationId() == null ? null : c.conversationId().toString());
        e.setSubmissionTime(c.submissionTime() == null ? null : Formats.time(c.submissionTime()));
        if (c.service() != null) {
            try {
                e.setService(Service.fromValue(c.service()));
            } catch (IllegalArgumentException x) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "service: " + c.service());
            }
        }
        e.setRespondBy(c.respondBy() == null ? null : Formats.time(c.respondBy()));
        e.setEnvelopeSha256(c.envelopeSha256());
        e.setManifestSha256(c.manifestSha256());
        for (Part p : c.parts()) {
            EvidencePart x = new EvidencePart();
            x.setIndex(p.index());
            x.setSha256(p.sha256());
            x.setCiphertextSha256(p.ciphertextSha256());
            e.getPart().add(x);
        }
        for (Reason r : c.reasons()) {
            EvidenceReason x = new EvidenceReason();
            x.setCode(r.code());
            x.setValue(r.text() == null ? "" : r.text());
            e.getReason().add(x);
        }
        for (Related r : c.related()) {
            EvidenceRelated x = new EvidenceRelated();
            x.setKind(r.kind());
            x.setSha256(r.sha256());
            x.setMessageId(r.messageId() == null ? null : r.messageId().toString());
            e.getRelated().add(x);
        }
        e.setCheckpoint(c.checkpoint());
        e.setCosignedCheckpoint(c.cosignedCheckpoint());
        Document doc = Formats.toDocument(e);
        Formats.validate(doc.getDocumentElement()); // schema-valid before it is signed
        XmlSignatures.sign(doc, issuerSigning);
        return SecureXml.serialize(doc);
    }

    /**
     * What an evidence claims, read without checking its signature: to find its issuer (whose key must
     * then verify it with {@link #verify}), never to act on.
     */
    public static Content claimed(byte[] xml) throws ProtocolException {
        return read(xml).content();
    }

    /**
     * An evidence parsed, schema-checked and read, its signature not checked yet: what it claims (to find its issuer,
     * never to act on), and the parsed document that {@link #verify(Read, Set, SignerResolver)} then checks — so that
     * a reader that needs both parses the bytes once.
     */
    public static final class Read {
        private final byte[] xml;
        private final Document doc;
        private final Evidence model;
        private final Content content;

        private Read(byte[] xml, Document doc, Evidence model, Content content) {
            this.xml = xml;
            this.doc = doc;
            this.model = model;
            this.content = content;
        }

        /** What the evidence claims (unverified). */
        public Content content() {
            return content;
        }
    }

    /** Parses and reads an evidence (see {@link Read}). */
    public static Read read(byte[] xml) throws ProtocolException {
        return read(SecureXml.parse(limit(xml), XmlLimits.DEFAULT), xml);
    }

    /**
     * Reads an evidence already parsed: {@code doc} must be {@code SecureXml.parse(xml, XmlLimits.DEFAULT)}, untouched
     * (a reader that parsed the bytes to learn what they are).
     */
    public static Read read(Document doc, byte[] xml) throws ProtocolException {
        limit(xml);
        SecureXml.root(doc, Formats.NS, "Evidence");
        Evidence e = Formats.fromElement(doc.getDocumentElement(), Evidence.class);
        return new Read(xml, doc, e, content(e));
    }

    /**
     * Verifies an evidence: its signature (algorithms from {@code allowed}, signer from {@code resolver})
     * and the rules of {@link #check}.
     */
    public static Verified verify(byte[] xml, Set<SignatureAlgorithm> allowed, SignerResolver resolver) throws ProtocolException {
        return verify(read(xml), allowed, resolver);
    }

    /** {@link #verify(byte[], Set, SignerResolver)} of an evidence {@link #read} already (its bytes parsed once). */
    public static Verified verify(Read read, Set<SignatureAlgorithm> allowed, SignerResolver resolver) throws ProtocolException {
        Document doc = read.doc;
        XmlSignatures.Verified v = XmlSignatures.verify(doc, allowed, resolver);
        Evidence e = Formats.verified(v.root(), doc.getDocumentElement(), read.model, Evidence.class);
        Content c = e == read.model ? read.content : content(e);
        check(c);
        return new Verified(c, v.signer(), read.xml.clone());
    }

    /**
     * Verifies an evidence against the directory: signed by its issuer's gateway key, valid at {@code at}
     * (the event's time, or now), with an algorithm the issuer's suites allow.
     */
    public static Verified verify(byte[] xml, Trust trust, Instant at) throws ProtocolException {
        Read read = read(xml);
        AuthorityId issuer = read.content().issuer();
        return verify(read, SignatureAlgorithm.allowedBy(trust.directory().require(issuer).suites()), trust.gatewaySigner(issuer, at));
    }

    private static byte[] limit(byte[] xml) throws ProtocolException {
        if (xml.length > MAX_BYTES) {
            throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "an evidence of " + xml.length + " bytes exceeds " + MAX_BYTES);
        }
        return xml;
    }

    private static Content content(Evidence e) throws ProtocolException {
        if (!VERSION.equals(e.getVersion())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "evidence version " + e.getVersion() + " (expected " + VERSION + ")");
        }
        List<Part> parts = new ArrayList<>();
        for (EvidencePart p : e.getPart()) {
            parts.add(new Part(p.getIndex(), p.getSha256(), p.getCiphertextSha256()));
        }
        List<Reason> reasons = new ArrayList<>();
        for (EvidenceReason r : e.getReason()) {
            reasons.add(new Reason(r.getCode(), r.getValue() == null || r.getValue().isEmpty() ? null : r.getValue()));
        }
        List<Related> related = new ArrayList<>();
        for (EvidenceRelated r : e.getRelated()) {
            related.add(new Related(r.getKind(), r.getSha256(), r.getMessageId() == null ? null : UUID.fromString(r.getMessageId())));
        }
        List<AuthorityId> recipients = new ArrayList<>();
        for (String r : e.getRecipient()) {
            recipients.add(AuthorityId.of(r));
        }
        return new Content(UUID.fromString(e.getEvidenceId()), EvidenceEvent.ofUri(e.getEvent()), Formats.instant(e.getEventTime()),
                AuthorityId.of(e.getIssuer()), AuthorityId.of(e.getSender()), recipients, UUID.fromString(e.getMessageId()),
                e.getConversationId() == null ? null : UUID.fromString(e.getConversationId()),
                e.getSubmissionTime() == null ? null : Formats.instant(e.getSubmissionTime()),
                e.getService() == null ? null : e.getService().value(), e.getRespondBy() == null ? null : Formats.instant(e.getRespondBy()),
                e.getEnvelopeSha256(), e.getManifestSha256(), parts, reasons, related, e.getCheckpoint(), e.getCosignedCheckpoint());
    }

    /** The rules beyond the schema: a reason exactly where the event needs one (or is declined), an issuer party to the message. */
    static void check(Content c) throws ProtocolException {
        if (c.event().needsReason() && c.reasons().isEmpty()) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a " + c.event().id() + " evidence needs a reason");
        }
        if (c.recipients().isEmpty()) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "an evidence names at least one recipient");
        }
        if (!c.issuer().equals(c.sender()) && !c.recipients().contains(c.issuer())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the issuer " + c.issuer() + " is neither the sender nor a recipient");
        }
        for (Related r : c.related()) {
            if ((r.sha256() == null) == (r.messageId() == null)) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a related " + r.kind() + " names a digest or a message id, one of them");
            }
        }
    }

    /** The SHA-256 of an evidence's exact bytes, in lower-case hex (what the audit log entry holds). */
    public static String sha256(byte[] xml) {
        return Envelopes.sha256(xml);
    }
}
