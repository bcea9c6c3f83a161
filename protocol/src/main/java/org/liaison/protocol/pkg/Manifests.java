package org.liaison.protocol.pkg;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.Purpose;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.model.Custody;
import org.liaison.protocol.model.File;
import org.liaison.protocol.model.Handling;
import org.liaison.protocol.model.LegalBasis;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;

/**
 * The evidence-package manifest, signed by the investigator's personal certificate. It is the
 * evidence: verifiable offline, years later, by anyone with the directory and the CRLs; the
 * transport is only the courier.
 */
public final class Manifests {
    private Manifests() {}

    /** A manifest whose investigator signature verified, with the certificate that signed it. */
    public record Verified(Manifest manifest, X509Certificate investigator, AuthorityId from, byte[] xml) {
        public UUID id() {
            return UUID.fromString(manifest.getId());
        }
    }

    /**
     * What makes two manifests "the same package" (for idempotency keys, on the node and in the
     * CLI): the parties, purpose, legal basis, handling marks, note and each file's name, size and
     * SHA-256 — not the manifest's id, signing time or custody times, which a re-run of the same
     * command signs anew. Hex SHA-256 of a canonical text of those fields.
     */
    public static String packageDigest(Manifest m) {
        StringBuilder b = new StringBuilder("liaison package v1\n");
        b.append(m.getFrom()).append('\n').append(String.join(",", m.getTo())).append('\n').append(m.getJit()).append('\n')
                .append(m.getService().value()).append('\n').append(m.getCase()).append('\n');
        b.append(m.getLegalBasis().getInstrument().value()).append('|').append(m.getLegalBasis().getArticle()).append('|')
                .append(m.getLegalBasis().getValue()).append('\n');
        b.append(m.getHandling().getClassification().value()).append('|')
                .append(m.getHandling().getFlag().stream().map(f -> f.value()).sorted().toList()).append('\n');
        b.append(m.getNote()).append('\n');
        for (File f : m.getFile()) {
            b.append(f.getName()).append('|').append(f.getSize()).append('|').append(f.getSha256()).append('\n');
        }
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The package digest of a manifest's bytes (parsed, not verified: for a CLI's own manifest). */
    public static String packageDigest(byte[] manifestXml) throws ProtocolException {
        Document doc = SecureXml.parse(manifestXml, XmlLimits.DEFAULT);
        return packageDigest(Formats.fromElement(doc.getDocumentElement(), Manifest.class));
    }

    /** Builds and signs a manifest; returns its exact bytes. */
    public static byte[] sign(ManifestSpec spec, List<FileEntry> files, Credential investigator, UUID id, Instant created)
            throws ProtocolException {
        Manifest m = new Manifest();
        m.setId(id.toString());
        m.setCreated(Formats.time(created));
        m.setCase(spec.caseReference());
        m.setService(spec.service());
        m.setFrom(spec.from().value());
        spec.to().forEach(t -> m.getTo().add(t.value()));
        m.setJit(spec.jit());
        LegalBasis lb = new LegalBasis();
        lb.setInstrument(spec.instrument());
        lb.setArticle(spec.article());
        lb.setValue(spec.legalBasisText());
        m.setLegalBasis(lb);
        Handling h = new Handling();
        h.setClassification(spec.classification());
        h.getFlag().addAll(spec.flags().stream().sorted().toList());
        m.setHandling(h);
        m.setNote(spec.note());
        if (spec.respondBy() != null) {
            m.setRespondBy(Formats.time(spec.respondBy()));
        }
        m.setUrgency(spec.urgency());
        Set<String> names = new HashSet<>();
        for (FileEntry f : files) {
            if (!names.add(f.name())) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "two files are named " + f.name());
            }
            File x = new File();
            x.setName(f.name());
            x.setMediaType(f.mediaType());
            x.setSize(f.size());
            x.setSha256(f.sha256());
            for (FileEntry.Custody c : f.custody()) {
                Custody y = new Custody();
                y.setCollectedBy(c.collectedBy());
                y.setCollectedAt(Formats.time(c.collectedAt()));
                y.setMethod(c.method());
                y.setValue(c.note());
                x.getCustody().add(y);
            }
            m.getFile().add(x);
        }
        Document doc = Formats.toDocument(m);
        Formats.validate(doc.getDocumentElement()); // refuse to sign what no one could read
        XmlSignatures.sign(doc, investigator);
        return SecureXml.serialize(doc);
    }

    /**
     * Verifies a manifest: schema, then the signature of an investigator of the authority it
     * names as sender, whose certificate is validated against that authority's national CA from
     * the directory (chain, revocation, role) at {@code at}.
     */
    public static Verified verify(byte[] xml, Trust trust, Instant at) throws ProtocolException {
        Document doc = SecureXml.parse(xml, XmlLimits.DEFAULT);
        SecureXml.root(doc, Formats.NS, "Manifest");
        Manifest claimed = Formats.fromElement(doc.getDocumentElement(), Manifest.class);
        AuthorityId from = AuthorityId.of(claimed.getFrom());
        var entry = trust.directory().require(from);
        XmlSignatures.Verified v = XmlSignatures.verify(doc, SignatureAlgorithm.allowedBy(entry.suites()),
                trust.person(from, Purpose.INVESTIGATOR, at));
        Manifest m = Formats.verified(v.root(), doc.getDocumentElement(), claimed, Manifest.class);
        Set<String> names = new HashSet<>();
        for (File f : m.getFile()) {
            if (!names.add(f.getName())) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "two files are named " + f.getName());
            }
        }
        Instant created = Formats.instant(m.getCreated());
        if (m.getRespondBy() != null) {
            checkRespondBy(created, Formats.instant(m.getRespondBy()));
        }
        return new Verified(m, v.signer(), from, xml.clone());
    }

    /** How far after its request a deadline may lie: beyond it a "deadline" is no deadline, and likely a mistake. */
    public static final java.time.Duration LONGEST_DEADLINE = java.time.Duration.ofDays(10 * 366);

    /**
     * Refuses a RespondBy that is not after the request was made (it would flag the request overdue the
     * moment it arrives) or lies more than {@link #LONGEST_DEADLINE} after it. The one rule for whoever
     * verifies a manifest (the sender's node, the recipient's, an offline verifier) and the command line.
     *
     * @throws ProtocolException ({@link ErrorCode#SCHEMA_INVALID})
     */
    public static void checkRespondBy(Instant created, Instant respondBy) throws ProtocolException {
        Formats.inRange(respondBy, "RespondBy");
        if (!respondBy.isAfter(created)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the package asks for an answer by " + respondBy
                    + ", before it was made (" + created + ")");
        }
        if (respondBy.isAfter(created.plus(LONGEST_DEADLINE))) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "RespondBy: " + respondBy + " (expected: at most "
                    + LONGEST_DEADLINE.toDays() + " days after the request was made, " + created + ")");
        }
    }
}
