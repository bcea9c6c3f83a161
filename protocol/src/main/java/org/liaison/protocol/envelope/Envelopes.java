package org.liaison.protocol.envelope;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.crypto.SecretKey;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.HybridPrivateKey;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.HybridKeys;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.model.Envelope;
import org.liaison.protocol.model.Header;
import org.liaison.protocol.model.Payload;
import org.liaison.protocol.model.Recipient;
import org.liaison.protocol.xenc.ContentEncryption;
import org.liaison.protocol.xenc.HybridKem;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The envelope a sending gateway makes: header, the content key wrapped for each recipient
 * authority, the package manifest encrypted (AES-256-GCM), the encrypted payloads' digests — all
 * under the gateway's signature, recipients included.
 */
public final class Envelopes {
    static final Duration SKEW = Duration.ofMinutes(5);
    /** The envelope format this code sends and accepts from peers (see the schema's Envelope/@format). */
    public static final int FORMAT = 2;

    private Envelopes() {}

    /** The recipients a header designates: its authorities, or the JIT's members other than the sender. */
    public static List<AuthorityId> recipients(EnvelopeHeader h, FederationDirectory directory) throws ProtocolException {
        if (h.jit() == null) {
            for (AuthorityId to : h.to()) {
                directory.require(to);
            }
            return h.to();
        }
        FederationDirectory.JitEntry jit = directory.requireJit(h.jit(), h.created());
        if (!jit.members().contains(h.from())) {
            throw new ProtocolException(ErrorCode.NOT_A_RECIPIENT, h.from() + " is not a member of " + h.jit());
        }
        List<AuthorityId> out = new ArrayList<>(jit.members());
        out.remove(h.from());
        return out;
    }

    /**
     * Seals an envelope. {@code contentKey} is the key the payloads were encrypted under (see
     * {@code PayloadCipher}); it is wrapped for each recipient's encryption certificate from the directory.
     */
    public static byte[] seal(EnvelopeHeader h, FederationDirectory directory, byte[] manifestXml, List<PayloadInfo> payloads,
            SecretKey contentKey, Credential gatewaySigning) throws ProtocolException {
        List<AuthorityId> recipients = recipients(h, directory);
        Envelope e = new Envelope();
        e.setFormat(FORMAT);
        e.setHeader(header(h));
        Envelope.EncryptedManifest em = new Envelope.EncryptedManifest();
        e.setEncryptedManifest(em);
        for (PayloadInfo p : payloads) {
            Payload x = new Payload();
            x.setIndex(p.index());
            x.setSegmentSize(p.segmentSize());
            x.setCiphertextSize(p.ciphertextSize());
            x.setCiphertextSha256(p.ciphertextSha256());
            e.getPayload().add(x);
        }
        Document doc = SecureXml.newDocument();
        // Recipients and the encrypted manifest are DOM made by Santuario, placed into the JAXB tree.
        for (AuthorityId r : recipients) {
            FederationDirectory.Entry entry = directory.require(r);
            if (entry.encryptionCertificates().isEmpty()) {
                throw new ProtocolException(ErrorCode.UNKNOWN_AUTHORITY, r + " has no encryption certificate in the directory");
            }
            Recipient rec = new Recipient();
            rec.setAuthority(r.value());
            // The first listed is the one in use; others are the previous key (still held by the recipient during a
            // rotation) or the next one (announced before its holder uses it).
            // A pq-hybrid recipient (its certificate in use has an ML-KEM-768 partner) gets the hybrid KEM, others the classical wrap.
            java.util.Optional<HybridKem.PublicKey> hybrid = HybridKeys.sealingKey(entry);
            rec.setAny(hybrid.isPresent() ? ContentEncryption.wrapKey(doc, contentKey, hybrid.get(), r.value())
                    : ContentEncryption.wrapKey(doc, contentKey, entry.encryptionCertificates().get(0), r.value()));
            e.getRecipient().add(rec);
        }
        em.setAny(ContentEncryption.encrypt(doc, manifestXml, ContentEncryption.manifestKey(contentKey)));
        Document out = Formats.toDocument(e);
        Formats.validate(out.getDocumentElement());
        XmlSignatures.sign(out, gatewaySigning);
        return SecureXml.serialize(out);
    }

    private static Header header(EnvelopeHeader h) {
        Header x = new Header();
        x.setMessageId(h.messageId().toString());
        x.setConversationId(h.conversationId().toString());
        x.setInReplyTo(h.inReplyTo() == null ? null : h.inReplyTo().toString());
        x.setCreated(Formats.time(h.created()));
        x.setExpires(Formats.time(h.expires()));
        x.setFrom(h.from().value());
        h.to().forEach(t -> x.getTo().add(t.value()));
        x.setJit(h.jit());
        x.setService(h.service());
        x.setAction(h.action());
        return x;
    }

    /** What every envelope this code handles offers: the header, recipients, payloads and its model. */
    public sealed interface Sealed permits Verified, Stored {
        EnvelopeHeader header();

        List<AuthorityId> recipients();

        List<PayloadInfo> payloads();

        byte[] xml();

        String sha256();

        Envelope model();
    }

    /** An envelope whose signature, sender, recipients and times were checked. */
    public record Verified(EnvelopeHeader header, List<AuthorityId> recipients, List<PayloadInfo> payloads, byte[] xml,
            String sha256, X509Certificate signer, Envelope model) implements Sealed {}

    /**
     * Verifies an envelope as a receiving gateway does.
     *
     * @param tlsPeer the authority the TLS connection authenticated, or {@code null} when not received over TLS
     * @param me this gateway's authority, or {@code null} to skip the recipient check
     * @throws ProtocolException SENDER_MISMATCH when the TLS peer is not the sender, NOT_A_RECIPIENT, MESSAGE_EXPIRED,
     *     or any signature or format error
     */
    public static Verified verify(byte[] xml, Trust trust, Instant now, AuthorityId tlsPeer, AuthorityId me)
            throws ProtocolException {
        Document doc = SecureXml.parse(xml, XmlLimits.DEFAULT);
        SecureXml.root(doc, Formats.NS, "Envelope");
        Envelope claimed = Formats.fromElement(doc.getDocumentElement(), Envelope.class);
        AuthorityId from = AuthorityId.of(claimed.getHeader().getFrom());
        if (tlsPeer != null && !tlsPeer.equals(from)) {
            throw new ProtocolException(ErrorCode.SENDER_MISMATCH, "the envelope says it is from " + from
                    + " but the connection is from " + tlsPeer);
        }
        FederationDirectory.Entry sender = trust.directory().require(from);
        XmlSignatures.Verified v = XmlSignatures.verify(doc, SignatureAlgorithm.allowedBy(sender.suites()),
                trust.gatewaySigner(from, now));
        Envelope e = Formats.verified(v.root(), doc.getDocumentElement(), claimed, Envelope.class);
        if (e.getFormat() == null || e.getFormat() != FORMAT) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "envelope format " + (e.getFormat() == null ? 1 : e.getFormat())
                    + " is not accepted (expected " + FORMAT + "): the sending gateway must be upgraded");
        }
        EnvelopeHeader h = header(e.getHeader());
        if (!now.isBefore(h.expires())) {
            throw new ProtocolException(ErrorCode.MESSAGE_EXPIRED, "message " + h.messageId() + " expired at " + h.expires());
        }
        if (h.created().isAfter(now.plus(SKEW))) {
            throw new ProtocolException(ErrorCode.MESSAGE_EXPIRED, "message " + h.messageId() + " is created in the future ("
                    + h.created() + ")");
        }
        List<AuthorityId> expected = recipients(h, trust.directory());
        Set<AuthorityId> listed = new LinkedHashSet<>();
        for (Recipient r : e.getRecipient()) {
            AuthorityId id = AuthorityId.of(r.getAuthority());
            Element ek = r.getAny();
            if (!listed.add(id) || ek == null || !id.value().equals(ek.getAttribute("Recipient"))) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "recipient " + id + " is listed twice or its key is mislabelled");
            }
        }
        if (!listed.equals(new LinkedHashSet<>(expected))) {
            throw new ProtocolException(ErrorCode.NOT_A_RECIPIENT, "the envelope's keys are for " + listed
                    + " but its header designates " + expected);
        }
        if (me != null && !listed.contains(me)) {
            throw new ProtocolException(ErrorCode.NOT_A_RECIPIENT, "message " + h.messageId() + " is not addressed to " + me);
        }
        List<PayloadInfo> payloads = new ArrayList<>();
        for (Payload p : e.getPayload()) {
            if (p.getIndex() != payloads.size()) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "payload indexes must run 0, 1, 2, … in order");
            }
            payloads.add(new PayloadInfo(p.getIndex(), p.getSegmentSize(), p.getCiphertextSize(), p.getCiphertextSha256()));
        }
        return new Verified(h, List.copyOf(listed), List.copyOf(payloads), xml.clone(), sha256(xml), v.signer(), e);
    }

    private static EnvelopeHeader header(Header x) throws ProtocolException {
        List<AuthorityId> to = new ArrayList<>();
        for (String t : x.getTo()) {
            to.add(AuthorityId.of(t));
        }
        try {
            return new EnvelopeHeader(UUID.fromString(x.getMessageId()), UUID.fromString(x.getConversationId()),
                    x.getInReplyTo() == null ? null : UUID.fromString(x.getInReplyTo()), Formats.instant(x.getCreated()),
                    Formats.instant(x.getExpires()), AuthorityId.of(x.getFrom()), to, x.getJit(), x.getService(), x.getAction());
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "envelope header: " + e.getMessage());
        }
    }

    /**
     * An envelope read back from this node's own store: verified when it arrived (or sealed here),
     * not verified again (its certificates may have expired since). It is its own type so that
     * nothing can take it for a {@link Verified} one: it has no signer.
     */
    public record Stored(EnvelopeHeader header, List<AuthorityId> recipients, List<PayloadInfo> payloads, byte[] xml,
            String sha256, Envelope model) implements Sealed {}

    /**
     * Reads an envelope this node kept in its own store, after checking that its bytes still have
     * the SHA-256 recorded when it was stored. Never use it for anything that comes from outside.
     *
     * @throws ProtocolException STORED_DATA_CORRUPT when the bytes changed at rest
     */
    public static Stored readStored(byte[] xml, String expectedSha256) throws ProtocolException {
        String actual = sha256(xml);
        if (!actual.equals(expectedSha256)) {
            throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "the stored envelope no longer matches its SHA-256 ("
                    + actual + ", recorded " + expectedSha256 + ")");
        }
        Document doc = SecureXml.parse(xml, XmlLimits.DEFAULT);
        SecureXml.root(doc, Formats.NS, "Envelope");
        Envelope e = Formats.fromElement(doc.getDocumentElement(), Envelope.class);
        List<AuthorityId> recipients = new ArrayList<>();
        for (Recipient r : e.getRecipient()) {
            recipients.add(AuthorityId.of(r.getAuthority()));
        }
        List<PayloadInfo> payloads = new ArrayList<>();
        for (Payload p : e.getPayload()) {
            payloads.add(new PayloadInfo(p.getIndex(), p.getSegmentSize(), p.getCiphertextSize(), p.getCiphertextSha256()));
        }
        return new Stored(header(e.getHeader()), List.copyOf(recipients), List.copyOf(payloads), xml.clone(), actual, e);
    }

    /**
     * What a recipient decrypts: what decrypts the payloads (the content key does not leave this module) and the
     * manifest bytes, exactly as signed.
     */
    public record Opened(PayloadKeys payloads, byte[] manifestXml) {
        /** The content key: for this package only (its tests). */
        SecretKey contentKey() {
            return payloads.contentKey();
        }
    }

    /** Unwraps this authority's content key and decrypts the manifest. */
    public static Opened open(Sealed envelope, AuthorityId me, PrivateKey encryptionKey) throws ProtocolException {
        return open(envelope, me, List.of(encryptionKey));
    }

    /**
     * As above, with each of this authority's encryption keys in turn (the current one first, then
     * those it replaced: during a key rotation, messages sealed to the previous key still open).
     * Fails with the one uniform DECRYPTION_FAILED when none unwraps the content key.
     */
    public static Opened open(Sealed envelope, AuthorityId me, List<PrivateKey> encryptionKeys) throws ProtocolException {
        if (encryptionKeys.isEmpty()) {
            throw new IllegalArgumentException("no encryption key");
        }
        Map<String, Element> keys = new LinkedHashMap<>();
        for (Recipient r : envelope.model().getRecipient()) {
            keys.put(r.getAuthority(), r.getAny());
        }
        Element mine = keys.get(me.value());
        if (mine == null) {
            throw new ProtocolException(ErrorCode.NOT_A_RECIPIENT, "message " + envelope.header().messageId()
                    + " holds no key for " + me);
        }
        // The form of the wrapped key picks the kind of key: a hybrid wrap opens only with a whole hybrid key, a classical
        // one only with a classical key (never with the X25519 half of a hybrid key). Refused before any key is used.
        boolean hybridWrap = isHybridWrap(mine);
        List<PrivateKey> usable = new ArrayList<>();
        for (PrivateKey k : encryptionKeys) {
            if ((k instanceof HybridPrivateKey) == hybridWrap) {
                usable.add(k);
            }
        }
        if (usable.isEmpty()) {
            throw new ProtocolException(ErrorCode.ALGORITHM_REJECTED, "message " + envelope.header().messageId() + " wraps the key for "
                    + me + (hybridWrap ? " with the hybrid KEM (X25519 + ML-KEM-768), but this authority holds no hybrid key"
                            : " classically, but this authority holds only hybrid (X25519 + ML-KEM-768) keys"));
        }
        SecretKey cek = null;
        ProtocolException failed = null;
        for (PrivateKey k : usable) {
            try {
                cek = k instanceof HybridPrivateKey h
                        ? ContentEncryption.unwrapKey(mine, HybridKem.PrivateKey.of(h.x25519(), h.mlkem()))
                        : ContentEncryption.unwrapKey(mine, k);
                break;
            } catch (ProtocolException e) {
                if (e.code() != ErrorCode.DECRYPTION_FAILED) {
                    throw e; // a structure or algorithm refusal does not depend on the key: no other key is tried
                }
                failed = e;
            }
        }
        if (cek == null) {
            throw failed;
        }
        // Format 1 (read from a node's own store only: verify() accepts only the current format) used the content key itself.
        SecretKey manifestKey = envelope.model().getFormat() == null ? cek : ContentEncryption.manifestKey(cek);
        byte[] manifest = ContentEncryption.decrypt(envelope.model().getEncryptedManifest().getAny(), manifestKey);
        return new Opened(new PayloadKeys(cek), manifest);
    }

    /** Whether an xenc:EncryptedKey claims the hybrid KEM anywhere (an element or an Algorithm of its namespace's KEM). */
    static boolean isHybridWrap(Element encryptedKey) {
        if (encryptedKey.getElementsByTagNameNS(Formats.NS, "HybridKemCiphertext").getLength() > 0) {
            return true;
        }
        org.w3c.dom.NodeList all = encryptedKey.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            if (HybridKem.ALGORITHM.equals(((Element) all.item(i)).getAttribute("Algorithm"))) {
                return true;
            }
        }
        return false;
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
