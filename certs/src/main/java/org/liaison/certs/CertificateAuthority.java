package org.liaison.certs;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority in memory: its credential, and the ability to issue certificates for a
 * {@link CertificateProfile} and to sign CRLs. Persistence (serials issued, revocations) is
 * {@link CaStore}'s job.
 *
 * <p>Bouncy Castle builds and signs the ASN.1; the resulting certificates are parsed back by the
 * JDK so that everything downstream (JSSE, PKIX, Santuario) sees JDK objects. Key identifiers are
 * SHA-256 of the public key (RFC 7093 method 4 without truncation), so nothing in a Liaison PKI
 * depends on SHA-1.
 */
public final class CertificateAuthority {
    private static final java.security.Provider BC = Providers.bouncyCastle();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Credential credential;
    private final KeyAlgorithm keyAlgorithm;

    private CertificateAuthority(Credential credential) throws GeneralSecurityException {
        X509Certificate cert = credential.certificate();
        if (cert.getBasicConstraints() < 0) {
            throw new GeneralSecurityException("not a CA certificate: " + cert.getSubjectX500Principal().getName());
        }
        this.credential = credential;
        this.keyAlgorithm = KeyAlgorithm.of(cert.getPublicKey());
    }

    /** Wraps an existing CA credential (its certificate must have basicConstraints CA:true). */
    public static CertificateAuthority of(Credential credential) throws GeneralSecurityException {
        return new CertificateAuthority(credential);
    }

    /**
     * Creates a self-signed root CA.
     *
     * @param pathLength the most intermediate CAs allowed below it, or -1 for no limit
     */
    public static CertificateAuthority createRoot(String subject, KeyAlgorithm keyAlgorithm, Instant notBefore,
            Instant notAfter, int pathLength) throws GeneralSecurityException {
        if (!keyAlgorithm.canSign()) {
            throw new IllegalArgumentException("CA key: " + keyAlgorithm.id() + " (expected: a signing key)");
        }
        KeyPair keys = keyAlgorithm.generate();
        X500Name name = x500Name(subject);
        byte[] ski = keyIdentifier(keys.getPublic());
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(notBefore),
                Date.from(notAfter), name, keys.getPublic());
        try {
            b.addExtension(Extension.basicConstraints, true,
                    pathLength < 0 ? new BasicConstraints(true) : new BasicConstraints(pathLength));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski));
            b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(ski));
        } catch (CertIOException e) {
            throw new GeneralSecurityException("cannot encode CA extensions", e);
        }
        X509Certificate cert = sign(b, keys.getPrivate(), keyAlgorithm);
        return new CertificateAuthority(Credential.create(keys.getPrivate(), List.of(cert)));
    }

    public Credential credential() {
        return credential;
    }

    public X509Certificate certificate() {
        return credential.certificate();
    }

    /** What to certify. */
    public record Request(String subject, PublicKey publicKey, CertificateProfile profile, Instant notBefore,
            Instant notAfter, List<String> dnsNames, List<String> ipAddresses, int pathLength, java.util.Set<Clearance> clearances,
            X509Certificate related) {
        public Request(String subject, PublicKey publicKey, CertificateProfile profile, Instant notBefore, Instant notAfter,
                List<String> dnsNames, List<String> ipAddresses, int pathLength) {
            this(subject, publicKey, profile, notBefore, notAfter, dnsNames, ipAddresses, pathLength, java.util.Set.of());
        }

        public Request(String subject, PublicKey publicKey, CertificateProfile profile, Instant notBefore, Instant notAfter,
                List<String> dnsNames, List<String> ipAddresses, int pathLength, java.util.Set<Clearance> clearances) {
            this(subject, publicKey, profile, notBefore, notAfter, dnsNames, ipAddresses, pathLength, clearances, null);
        }

        public Request {
            clearances = java.util.Set.copyOf(clearances);
            if (!clearances.isEmpty() && profile.role().isEmpty()) {
                throw new IllegalArgumentException("clearances are for personal certificates (investigator, auditor, operator), not "
                        + profile.id());
            }
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(publicKey, "publicKey");
            Objects.requireNonNull(profile, "profile");
            if (!notAfter.isAfter(notBefore)) {
                throw new IllegalArgumentException("validity: notAfter " + notAfter + " (expected: after notBefore " + notBefore + ")");
            }
            dnsNames = List.copyOf(dnsNames);
            ipAddresses = List.copyOf(ipAddresses);
        }

        public static Request of(String subject, PublicKey key, CertificateProfile profile, Instant notBefore, Instant notAfter) {
            return new Request(subject, key, profile, notBefore, notAfter, List.of(), List.of(), -1);
        }

        public Request withSubjectAltNames(List<String> dns, List<String> ips) {
            return new Request(subject, publicKey, profile, notBefore, notAfter, dns, ips, pathLength, clearances, related);
        }

        public Request withPathLength(int len) {
            return new Request(subject, publicKey, profile, notBefore, notAfter, dnsNames, ipAddresses, len, clearances, related);
        }

        /** The same request with these clearances (personal certificates only). */
        public Request withClearances(java.util.Set<Clearance> c) {
            return new Request(subject, publicKey, profile, notBefore, notAfter, dnsNames, ipAddresses, pathLength, c, related);
        }

        /**
         * The same request, binding the new certificate to {@code cert} of the same holder with an RFC 9763
         * RelatedCertificate extension (an ML-KEM-768 certificate names the X25519 certificate it completes).
         */
        public Request relatedTo(X509Certificate cert) {
            return new Request(subject, publicKey, profile, notBefore, notAfter, dnsNames, ipAddresses, pathLength, clearances, cert);
        }
    }

    /** Issues a certificate; the chain of the result is the new certificate followed by this CA's chain. */
    public List<X509Certificate> issue(Request request) throws GeneralSecurityException {
        KeyAlgorithm subjectKey = KeyAlgorithm.of(request.publicKey());
        if (!request.profile().accepts(subjectKey)) {
            throw new GeneralSecurityException("profile " + request.profile().id() + " cannot certify a "
                    + subjectKey.id() + " key");
        }
        X509Certificate issuer = certificate();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(),
                Date.from(request.notBefore()), Date.from(request.notAfter()), x500Name(request.subject()),
                request.publicKey());
        try {
            CertificateProfile p = request.profile();
            if (p.isCa()) {
                b.addExtension(Extension.basicConstraints, true, request.pathLength() < 0
                        ? new BasicConstraints(true) : new BasicConstraints(request.pathLength()));
            } else {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            }
            b.addExtension(Extension.keyUsage, true, new KeyUsage(p.keyUsage(subjectKey)));
            if (!p.extendedKeyUsages().isEmpty()) {
                List<KeyPurposeId> ekus = new ArrayList<>();
                for (ASN1ObjectIdentifier oid : p.extendedKeyUsages()) {
                    ekus.add(KeyPurposeId.getInstance(oid));
                }
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(ekus.toArray(new KeyPurposeId[0])));
            }
            if (p.role().isPresent()) {
                List<PolicyInformation> policies = new ArrayList<>();
                policies.add(new PolicyInformation(p.role().get().policy()));
                for (Clearance c : Clearance.values()) { // a fixed order: the same request, the same certificate
                    if (request.clearances().contains(c)) {
                        policies.add(new PolicyInformation(c.policy()));
                    }
                }
                b.addExtension(Extension.certificatePolicies, false,
                        new CertificatePolicies(policies.toArray(new PolicyInformation[0])));
            }
            List<GeneralName> sans = new ArrayList<>();
            request.dnsNames().forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
            for (String ip : request.ipAddresses()) {
                validateIpLiteral(ip);
                sans.add(new GeneralName(GeneralName.iPAddress, ip));
            }
            if (!sans.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
            }
            b.addExtension(Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(request.publicKey())));
            b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(subjectKeyIdentifier(issuer)));
            if (request.related() != null) {
                if (!p.equals(CertificateProfile.ENCRYPTION) || subjectKey != KeyAlgorithm.ML_KEM_768) {
                    throw new GeneralSecurityException("only an ML-KEM-768 encryption certificate names a related certificate, not a "
                            + subjectKey.id() + " " + p.id() + " one");
                }
                b.addExtension(Extension.relatedCertificate, false, KemCertificates.relatedCertificate(request.related()));
            }
        } catch (CertIOException e) {
            throw new GeneralSecurityException("cannot encode certificate extensions", e);
        }
        X509Certificate cert = sign(b, credential.privateKey(), keyAlgorithm);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(cert);
        chain.addAll(credential.chain());
        return chain;
    }

    /** A revoked certificate as a CRL lists it. */
    public record Revocation(BigInteger serial, Instant revokedAt, CRLReason reason) {
        public Revocation {
            Objects.requireNonNull(serial, "serial");
            Objects.requireNonNull(revokedAt, "revokedAt");
            Objects.requireNonNull(reason, "reason");
        }

        /** RFC 5280 name of a reason, e.g. {@code keyCompromise}. */
        public static String reasonName(CRLReason reason) {
            String[] words = reason.name().toLowerCase(java.util.Locale.ROOT).split("_");
            StringBuilder sb = new StringBuilder(words[0]);
            for (int i = 1; i < words.length; i++) {
                sb.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
            }
            return sb.toString();
        }

        /** Parses an RFC 5280 reason name such as {@code keyCompromise} or {@code superseded}. */
        public static CRLReason parseReason(String name) {
            StringBuilder choices = new StringBuilder();
            for (CRLReason r : CRLReason.values()) {
                if (r == CRLReason.UNUSED || r == CRLReason.REMOVE_FROM_CRL) {
                    continue;
                }
                if (reasonName(r).equalsIgnoreCase(name)) {
                    return r;
                }
                choices.append(choices.length() == 0 ? "" : ", ").append(reasonName(r));
            }
            throw new IllegalArgumentException("revocation reason: " + name + " (expected one of: " + choices + ")");
        }
    }

    /** Signs a CRL listing {@code revocations}, valid from {@code thisUpdate} until {@code nextUpdate}. */
    public X509CRL crl(List<Revocation> revocations, Instant thisUpdate, Instant nextUpdate, BigInteger crlNumber)
            throws GeneralSecurityException {
        if (!nextUpdate.isAfter(thisUpdate)) {
            throw new IllegalArgumentException("nextUpdate: " + nextUpdate + " (expected: after thisUpdate " + thisUpdate + ")");
        }
        X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(certificate().getSubjectX500Principal().getEncoded()),
                Date.from(thisUpdate));
        b.setNextUpdate(Date.from(nextUpdate));
        for (Revocation r : revocations) {
            b.addCRLEntry(r.serial(), Date.from(r.revokedAt()), r.reason().ordinal());
        }
        try {
            b.addExtension(Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(subjectKeyIdentifier(certificate())));
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(crlNumber));
            ContentSigner signer = new JcaContentSignerBuilder(keyAlgorithm.certificateSignatureAlgorithm())
                    .setProvider(BC).build(credential.privateKey());
            return new JcaX509CRLConverter().getCRL(b.build(signer));
        } catch (CertIOException | OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign CRL: " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, java.security.PrivateKey key, KeyAlgorithm alg)
            throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder(alg.certificateSignatureAlgorithm()).setProvider(BC).build(key);
            return new JcaX509CertificateConverter().getCertificate(b.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign certificate: " + e.getMessage(), e);
        }
    }

    /** A positive random 127-bit serial number (RFC 5280: at most 20 octets, unpredictable). */
    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static byte[] keyIdentifier(PublicKey key) {
        return Fingerprint.ofPublicKey(key).bytes();
    }

    private static byte[] subjectKeyIdentifier(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ext == null) {
            return keyIdentifier(cert.getPublicKey());
        }
        return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    }

    /**
     * Parses an RFC 4514 name ("CN=..., O=..., C=IT") the way the JDK does, so that the name prints
     * back as written and is encoded most-significant RDN first.
     */
    static X500Name x500Name(String subject) {
        try {
            return X500Name.getInstance(new javax.security.auth.x500.X500Principal(subject).getEncoded());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("subject: " + subject + " (expected: a distinguished name such as "
                    + "\"CN=Jane Doe, O=Direzione Nazionale Antimafia, C=IT\")");
        }
    }

    private static void validateIpLiteral(String ip) {
        // Only literals: InetAddress would otherwise resolve a host name through DNS.
        if (!ip.matches("[0-9.]+") && !ip.matches("[0-9a-fA-F:]+")) {
            throw new IllegalArgumentException("IP address: " + ip + " (expected: an IPv4 or IPv6 literal)");
        }
        try {
            InetAddress.getByName(ip);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("IP address: " + ip + " (expected: an IPv4 or IPv6 literal)");
        }
    }

}
