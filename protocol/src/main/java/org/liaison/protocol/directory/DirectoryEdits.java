package org.liaison.protocol.directory;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.KemCertificates;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.model.Authority;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.model.Witnesses;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The next edition of a directory, as the operator prepares it for a key rotation: certificates
 * announced (listed after the one in use), put in use (listed first: the encryption certificate
 * senders seal to is the first one), or withdrawn. Each edit keeps the order of the others.
 */
public final class DirectoryEdits {
    private DirectoryEdits() {}

    /** The lists of an authority's entry that hold its own certificates. */
    public enum Purpose {
        /**
         * TLS, SIGNING and ENCRYPTION are ordered lists (the first is in use); KEM lists the ML-KEM-768
         * certificates that complete encryption certificates into pq-hybrid keys (each names its X25519
         * certificate, so their order means nothing).
         */
        TLS, SIGNING, ENCRYPTION, KEM;

        public static Purpose of(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown certificate purpose '" + s + "' (expected: tls, signing, encryption or kem)");
            }
        }

        List<byte[]> list(Authority a) {
            return switch (this) {
                case TLS -> a.getGatewayCertificate();
                case SIGNING -> a.getSigningCertificate();
                case ENCRYPTION -> a.getEncryptionCertificate();
                case KEM -> a.getKemCertificate();
            };
        }
    }

    /** Sets the crypto suites {@code id} announces (e.g. pq-hybrid once its hybrid encryption key is in use). */
    public static void suites(Directory d, AuthorityId id, List<org.liaison.certs.Suite> suites) throws ProtocolException {
        if (suites.isEmpty() || suites.stream().distinct().count() != suites.size()) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "suites: " + suites + " (expected: one or more, each once)");
        }
        List<org.liaison.protocol.model.Suite> list = entry(d, id).getSuite();
        list.clear();
        suites.forEach(s -> list.add(org.liaison.protocol.model.Suite.fromValue(s.id())));
    }

    /** Reads a directory (signed or a draft) as a draft: its signature, if any, is dropped. */
    public static Directory read(byte[] xml) throws ProtocolException {
        Document doc = SecureXml.parse(xml, XmlLimits.DIRECTORY);
        SecureXml.root(doc, Formats.NS, "Directory");
        NodeList old = doc.getElementsByTagNameNS(Formats.DSIG_NS, "Signature");
        for (int i = old.getLength() - 1; i >= 0; i--) {
            Element sig = (Element) old.item(i);
            sig.getParentNode().removeChild(sig);
        }
        return Formats.fromElement(doc.getDocumentElement(), Directory.class);
    }

    /** The next edition: sequence + 1, issued {@code now}, valid as long as the edition it follows was. */
    public static void nextEdition(Directory d, Instant now) throws ProtocolException {
        Duration validity = Duration.between(Formats.instant(d.getIssued()), Formats.instant(d.getNextUpdate()));
        d.setSequence(d.getSequence() + 1);
        d.setIssued(Formats.time(now));
        d.setNextUpdate(Formats.time(now.plus(validity.isNegative() || validity.isZero() ? Duration.ofDays(30) : validity)));
    }

    /** Lists {@code cert} for {@code id} after the certificates already listed (announced, not yet in use). */
    public static void add(Directory d, AuthorityId id, Purpose purpose, X509Certificate cert) throws ProtocolException {
        List<byte[]> list = purpose.list(entry(d, id));
        if (indexOf(list, Fingerprint.of(cert)) >= 0) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " already lists this " + purpose.name().toLowerCase(Locale.ROOT)
                    + " certificate (SHA-256 " + Fingerprint.of(cert).hex() + ")");
        }
        if (list.size() >= 4) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " lists 4 " + purpose.name().toLowerCase(Locale.ROOT)
                    + " certificates already (the most a directory holds): remove one first");
        }
        list.add(der(cert));
    }

    /** Lists {@code verifierKey} as a key of {@code id}'s audit log (at most two: the current one and its successor). */
    public static void addAuditLogKey(Directory d, AuthorityId id, String verifierKey) throws ProtocolException {
        List<String> keys = entry(d, id).getAuditLogKey();
        if (keys.contains(verifierKey)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " already lists this audit log key");
        }
        if (keys.size() >= 2) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " lists 2 audit log keys already: remove one first");
        }
        keys.add(verifierKey);
    }

    /** Withdraws {@code verifierKey} from {@code id}'s audit log keys. */
    public static void removeAuditLogKey(Directory d, AuthorityId id, String verifierKey) throws ProtocolException {
        if (!entry(d, id).getAuditLogKey().remove(verifierKey)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " lists no audit log key " + verifierKey);
        }
    }

    /** Announces the TLS key-exchange group {@code group} (one of {@code known}) for {@code id}'s gateway. */
    public static void addTlsGroup(Directory d, AuthorityId id, String group, java.util.Collection<String> known) throws ProtocolException {
        if (!known.contains(group)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "unknown TLS group '" + group + "' (expected: "
                    + String.join(" or ", known) + ")");
        }
        List<String> groups = entry(d, id).getTlsGroup();
        if (groups.contains(group)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " already announces the TLS group " + group);
        }
        groups.add(group);
    }

    /** Withdraws the announcement of the TLS key-exchange group {@code group} for {@code id}'s gateway. */
    public static void removeTlsGroup(Directory d, AuthorityId id, String group) throws ProtocolException {
        if (!entry(d, id).getTlsGroup().remove(group)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " announces no TLS group " + group);
        }
    }

    /** Lists {@code vkey} as a key {@code id}'s node cosigns with as a witness (at most two: the current one and its successor). */
    public static void addWitnessKey(Directory d, AuthorityId id, String vkey) throws ProtocolException {
        try {
            Cosignature.WitnessKey.parse(vkey);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "not a witness key: " + e.getMessage());
        }
        List<String> keys = entry(d, id).getWitnessKey();
        if (keys.contains(vkey)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " already lists this witness key");
        }
        if (keys.size() >= 2) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " lists 2 witness keys already: remove one first");
        }
        keys.add(vkey);
    }

    /** Withdraws {@code vkey} from {@code id}'s witness keys. */
    public static void removeWitnessKey(Directory d, AuthorityId id, String vkey) throws ProtocolException {
        if (!entry(d, id).getWitnessKey().remove(vkey)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " lists no witness key " + vkey);
        }
    }

    /**
     * Sets who witnesses {@code id}'s log and the quorum; no witnesses removes the policy (the log is
     * then not witnessed). The whole directory is checked again when it is signed and loaded.
     */
    public static void setWitnesses(Directory d, AuthorityId id, int quorum, List<AuthorityId> witnesses) throws ProtocolException {
        Authority a = entry(d, id);
        if (witnesses.isEmpty()) {
            a.setWitnesses(null);
            return;
        }
        if (quorum < 1 || quorum > witnesses.size()) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "quorum " + quorum + " of " + witnesses.size()
                    + " witnesses (expected 1 to " + witnesses.size() + ")");
        }
        for (AuthorityId w : witnesses) {
            entry(d, w); // a known authority
        }
        Witnesses x = new Witnesses();
        witnesses.forEach(w -> x.getWitness().add(w.value()));
        x.setQuorum(quorum);
        a.setWitnesses(x);
    }

    /** Moves the listed certificate {@code fingerprint} first: for encryption, the one senders seal to from now on. */
    public static void use(Directory d, AuthorityId id, Purpose purpose, Fingerprint fingerprint) throws ProtocolException {
        if (purpose == Purpose.KEM) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "an ML-KEM-768 certificate is used with the encryption certificate"
                    + " it names: use encryption=<that certificate>");
        }
        List<byte[]> list = purpose.list(entry(d, id));
        int i = require(list, fingerprint, id, purpose);
        list.add(0, list.remove(i));
    }

    /** Withdraws the listed certificate {@code fingerprint}; the last one of a purpose cannot go. */
    public static void remove(Directory d, AuthorityId id, Purpose purpose, Fingerprint fingerprint) throws ProtocolException {
        List<byte[]> list = purpose.list(entry(d, id));
        int i = require(list, fingerprint, id, purpose);
        if (list.size() == 1 && purpose != Purpose.KEM) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "this is the only " + purpose.name().toLowerCase(Locale.ROOT)
                    + " certificate " + id + " lists: add its successor first");
        }
        byte[] removed = list.remove(i);
        if (purpose == Purpose.ENCRYPTION) {
            // The ML-KEM-768 certificate that completed it goes with it (it would complete nothing).
            X509Certificate enc = parse(removed);
            List<byte[]> kems = entry(d, id).getKemCertificate();
            for (int k = kems.size() - 1; k >= 0; k--) {
                try {
                    if (KemCertificates.names(parse(kems.get(k)), enc)) {
                        kems.remove(k);
                    }
                } catch (GeneralSecurityException e) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, e.getMessage());
                }
            }
        }
    }

    private static X509Certificate parse(byte[] der) throws ProtocolException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the directory lists a certificate that cannot be read");
        }
    }

    private static Authority entry(Directory d, AuthorityId id) throws ProtocolException {
        return d.getAuthority().stream().filter(a -> a.getId().equals(id.value())).findFirst()
                .orElseThrow(() -> new ProtocolException(ErrorCode.UNKNOWN_AUTHORITY, "the directory does not list " + id));
    }

    private static int require(List<byte[]> list, Fingerprint f, AuthorityId id, Purpose purpose) throws ProtocolException {
        int i = indexOf(list, f);
        if (i < 0) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " lists no " + purpose.name().toLowerCase(Locale.ROOT)
                    + " certificate with SHA-256 " + f.hex());
        }
        return i;
    }

    private static int indexOf(List<byte[]> list, Fingerprint f) throws ProtocolException {
        for (int i = 0; i < list.size(); i++) {
            try {
                X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(list.get(i)));
                if (Fingerprint.of(c).equals(f)) {
                    return i;
                }
            } catch (GeneralSecurityException e) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the directory lists a certificate that cannot be read");
            }
        }
        return -1;
    }

    private static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
