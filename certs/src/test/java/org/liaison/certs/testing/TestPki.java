package org.liaison.certs.testing;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateAuthority.Revocation;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.CertificateValidator;
import org.liaison.certs.Credential;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.LiaisonOids;
import org.liaison.certs.Suite;

/**
 * A throwaway PKI for tests: root CA → intermediate CA → leaves, with revocations and CRLs.
 * Shared with the protocol and gateway modules through the certs test-jar.
 */
public final class TestPki {
    public final Suite suite;
    public final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    public final CertificateAuthority root;
    public final CertificateAuthority intermediate;
    private final List<Revocation> rootRevocations = new ArrayList<>();
    private final List<Revocation> intermediateRevocations = new ArrayList<>();

    private TestPki(Suite suite, String name) throws GeneralSecurityException {
        this.suite = suite;
        this.root = CertificateAuthority.createRoot("CN=" + name + " Root CA,O=Liaison Test,C=IT",
                suite.signatureKey(), now.minus(Duration.ofDays(30)), now.plus(Duration.ofDays(3650)), -1);
        KeyPair ik = suite.signatureKey().generate();
        List<X509Certificate> ichain = root.issue(CertificateAuthority.Request.of(
                "CN=" + name + " Intermediate CA,O=Liaison Test,C=IT", ik.getPublic(), CertificateProfile.INTERMEDIATE_CA,
                now.minus(Duration.ofDays(30)), now.plus(Duration.ofDays(1825))).withPathLength(0));
        this.intermediate = CertificateAuthority.of(Credential.create(ik.getPrivate(), ichain));
    }

    public static TestPki create(Suite suite) throws GeneralSecurityException {
        return new TestPki(suite, "Test " + suite.id());
    }

    public static TestPki create(Suite suite, String name) throws GeneralSecurityException {
        return new TestPki(suite, name);
    }

    /** The key type a profile takes in this PKI's suite. */
    public KeyAlgorithm keyFor(CertificateProfile profile) {
        return suite.keyFor(profile);
    }

    /** A leaf from the intermediate, valid from a day ago for a year. */
    public Credential issue(CertificateProfile profile, String commonName) throws GeneralSecurityException {
        return issue(intermediate, profile, commonName, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)));
    }

    public Credential issue(CertificateAuthority ca, CertificateProfile profile, String commonName, Instant notBefore,
            Instant notAfter) throws GeneralSecurityException {
        KeyPair kp = keyFor(profile).generate();
        List<X509Certificate> chain = ca.issue(new CertificateAuthority.Request("CN=" + commonName + ",O=Liaison Test,C=IT",
                kp.getPublic(), profile, notBefore, notAfter, List.of("localhost"), List.of("127.0.0.1"), -1));
        return Credential.create(kp.getPrivate(), chain);
    }

    /**
     * A {@code pq-hybrid} encryption credential from the intermediate: an X25519 certificate and an
     * ML-KEM-768 certificate bound to it (RFC 9763 RelatedCertificate).
     */
    public Credential hybridEncryption(String commonName) throws GeneralSecurityException {
        Credential x = issue(CertificateProfile.ENCRYPTION, commonName);
        KeyPair kem = KeyAlgorithm.ML_KEM_768.generate();
        List<X509Certificate> chain = intermediate.issue(CertificateAuthority.Request.of(
                x.certificate().getSubjectX500Principal().getName(), kem.getPublic(), CertificateProfile.ENCRYPTION,
                now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365))).relatedTo(x.certificate()));
        return Credential.hybrid(x.privateKey(), x.chain(), kem.getPrivate(), chain.get(0));
    }

    /** Revokes a certificate issued by the root or the intermediate, effective a minute ago. */
    public void revoke(X509Certificate cert, CRLReason reason) {
        Revocation r = new Revocation(cert.getSerialNumber(), now.minus(Duration.ofMinutes(1)), reason);
        if (cert.getIssuerX500Principal().equals(root.certificate().getSubjectX500Principal())) {
            rootRevocations.add(r);
        } else {
            intermediateRevocations.add(r);
        }
    }

    /** Fresh CRLs (valid for a week) of the root and the intermediate. */
    public List<X509CRL> crls() throws GeneralSecurityException {
        return List.of(root.crl(rootRevocations, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(7)), BigInteger.ONE),
                intermediate.crl(intermediateRevocations, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(7)),
                        BigInteger.ONE));
    }

    public CertificateValidator validator() throws GeneralSecurityException {
        return new CertificateValidator(List.of(root.certificate()), crls());
    }

    /** The intermediate's certificate, to pass as an untrusted chain element. */
    public List<X509Certificate> intermediates() {
        return List.of(intermediate.certificate());
    }

    /**
     * A certificate signed by {@code issuer} whatever {@code issuer} is (here: a leaf, which a
     * real CA toolkit refuses to do) — for testing that relying parties refuse it.
     */
    public static X509Certificate forge(Credential issuer, KeyPair subject, String subjectDn, boolean ca, Instant now)
            throws Exception {
        return forge(issuer, subject, subjectDn, ca, now, false);
    }

    /** As {@link #forge(Credential, KeyPair, String, boolean, Instant)}, optionally with an unknown critical extension. */
    public static X509Certificate forge(Credential issuer, KeyPair subject, String subjectDn, boolean ca, Instant now,
            boolean unknownCriticalExtension) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer.certificate(), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), X500Name.getInstance(new javax.security.auth.x500.X500Principal(subjectDn).getEncoded()),
                subject.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
        if (!ca) {
            b.addExtension(Extension.extendedKeyUsage, false, new org.bouncycastle.asn1.x509.ExtendedKeyUsage(
                    org.bouncycastle.asn1.x509.KeyPurposeId.getInstance(LiaisonOids.EKU_ENVELOPE_SIGNING)));
        }
        if (unknownCriticalExtension) {
            b.addExtension(new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"), true,
                    new org.bouncycastle.asn1.DEROctetString(new byte[] {1}));
        }
        String alg = KeyAlgorithm.of(issuer.certificate().getPublicKey()) == KeyAlgorithm.ED25519 ? "Ed25519" : "SHA256withRSAandMGF1";
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder(alg).setProvider(new BouncyCastleProvider()).build(issuer.privateKey())));
    }
}
