package org.liaison.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.liaison.certs.CertificateRejectedException.Reason;
import org.liaison.certs.testing.TestPki;

class CertificateValidatorTest {

    private static CertificateRejectedException rejection(CertificateValidator v, Credential c, Purpose p, TestPki pki,
            List<X509Certificate> intermediates) {
        try {
            v.validate(c.certificate(), intermediates, p, pki.now);
        } catch (CertificateRejectedException e) {
            return e;
        }
        throw new AssertionError("accepted, but expected a rejection");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void everyProfileValidatesForEachOfItsPurposes(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        CertificateValidator v = pki.validator();
        for (CertificateProfile profile : CertificateProfile.values()) {
            if (profile.isCa()) {
                continue;
            }
            Credential c = pki.issue(profile, "leaf " + profile.id());
            for (Purpose purpose : profile.purposes()) {
                CertificateValidator.ValidatedPath path = v.validate(c.certificate(), pki.intermediates(), purpose, pki.now);
                assertThat(path.chain()).hasSize(3);
                assertThat(path.anchor()).isEqualTo(pki.root.certificate());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void expiredLeafIsRejectedNamingDateAndSubject(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential c = pki.issue(pki.intermediate, CertificateProfile.GATEWAY_TLS, "old gateway",
                pki.now.minus(Duration.ofDays(10)), pki.now.minus(Duration.ofDays(1)));
        CertificateRejectedException e = rejection(pki.validator(), c, Purpose.TLS_SERVER, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.EXPIRED);
        assertThat(e.getMessage()).startsWith("expired on " + c.certificate().getNotAfter().toInstant())
                .contains("CN=old gateway");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void notYetValidLeafIsRejected(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential c = pki.issue(pki.intermediate, CertificateProfile.GATEWAY_TLS, "future gateway",
                pki.now.plus(Duration.ofDays(1)), pki.now.plus(Duration.ofDays(10)));
        CertificateRejectedException e = rejection(pki.validator(), c, Purpose.TLS_SERVER, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.NOT_YET_VALID);
        assertThat(e.getMessage()).contains("not valid before").contains("CN=future gateway");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void revokedLeafIsRejectedWithDateAndReason(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential c = pki.issue(CertificateProfile.INVESTIGATOR, "compromised investigator");
        pki.revoke(c.certificate(), CRLReason.KEY_COMPROMISE);
        CertificateRejectedException e = rejection(pki.validator(), c, Purpose.INVESTIGATOR, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.REVOKED);
        assertThat(e.getMessage()).startsWith("revoked on ").contains("(keyCompromise)").contains("CN=compromised investigator");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void revokedIntermediateRejectsItsLeaves(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential c = pki.issue(CertificateProfile.GATEWAY_TLS, "gateway");
        pki.revoke(pki.intermediate.certificate(), CRLReason.CA_COMPROMISE);
        CertificateRejectedException e = rejection(pki.validator(), c, Purpose.TLS_CLIENT, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.REVOKED);
        assertThat(e.subject()).contains("Intermediate CA");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void missingCrlFailsClosed(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential c = pki.issue(CertificateProfile.GATEWAY_TLS, "gateway");
        // Only the root's CRL: the intermediate's CRL, which covers the leaf, is missing.
        CertificateValidator v = new CertificateValidator(List.of(pki.root.certificate()), List.of(pki.crls().get(0)));
        CertificateRejectedException e = rejection(v, c, Purpose.TLS_SERVER, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.CRL_MISSING);
        assertThat(e.getMessage()).contains("no CRL from CN=Test " + suite.id() + " Intermediate CA");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void staleCrlFailsClosed(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential c = pki.issue(CertificateProfile.GATEWAY_TLS, "gateway");
        X509CRL stale = pki.intermediate.crl(List.of(), pki.now.minus(Duration.ofDays(8)), pki.now.minus(Duration.ofDays(1)),
                BigInteger.TWO);
        CertificateValidator v = new CertificateValidator(List.of(pki.root.certificate()), List.of(pki.crls().get(0), stale));
        CertificateRejectedException e = rejection(v, c, Purpose.TLS_SERVER, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.CRL_STALE);
        assertThat(e.getMessage()).contains("stale");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void crlSignedByAnotherKeyFailsClosed(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        // Another PKI whose intermediate has the very same name but another key.
        TestPki impostor = TestPki.create(suite);
        Credential c = pki.issue(CertificateProfile.GATEWAY_TLS, "gateway");
        CertificateValidator v = new CertificateValidator(List.of(pki.root.certificate()),
                List.of(pki.crls().get(0), impostor.crls().get(1)));
        CertificateRejectedException e = rejection(v, c, Purpose.TLS_SERVER, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.CRL_INVALID);
        assertThat(e.getMessage()).contains("not signed by its key");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void unknownIssuerIsRejectedByName(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        TestPki other = TestPki.create(suite, "Elsewhere");
        Credential c = other.issue(CertificateProfile.GATEWAY_TLS, "stranger");
        CertificateRejectedException e = rejection(pki.validator(), c, Purpose.TLS_SERVER, pki, other.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_ISSUER);
        assertThat(e.getMessage()).startsWith("unknown issuer CN=Elsewhere Root CA");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void sameNamedIssuerWithAnotherKeyIsABadSignature(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        TestPki impostor = TestPki.create(suite);
        Credential c = impostor.issue(CertificateProfile.GATEWAY_TLS, "impostor");
        CertificateRejectedException e = rejection(pki.validator(), c, Purpose.TLS_SERVER, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void selfSignedLeafIsAnUnknownIssuer(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        CertificateAuthority self = CertificateAuthority.createRoot("CN=self-signed,O=Nobody", suite.signatureKey(),
                pki.now.minus(Duration.ofDays(1)), pki.now.plus(Duration.ofDays(1)), 0);
        CertificateRejectedException e = rejection(pki.validator(), self.credential(), Purpose.TLS_SERVER, pki, List.of());
        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_ISSUER);
        assertThat(e.subject()).isEqualTo("CN=self-signed,O=Nobody");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void issuerWithoutCaFlagIsRejected(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential notACa = pki.issue(CertificateProfile.ENVELOPE_SIGNING, "just a signer");
        KeyPair kp = suite.signatureKey().generate();
        X509Certificate forged = TestPki.forge(notACa, kp, "CN=forged leaf", false, pki.now);
        Credential leaf = Credential.create(kp.getPrivate(), List.of(forged));
        List<X509Certificate> chain = new ArrayList<>(List.of(notACa.certificate(), pki.intermediate.certificate()));
        CertificateRejectedException e = rejection(pki.validator(), leaf, Purpose.ENVELOPE_SIGNING, pki, chain);
        assertThat(e.reason()).isEqualTo(Reason.NOT_A_CA);
        assertThat(e.getMessage()).contains("issuer is not a CA").contains("CN=just a signer");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void pathLengthConstraintIsEnforced(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        // The intermediate has pathLen 0: a second intermediate below it must not be accepted.
        KeyPair kp = suite.signatureKey().generate();
        List<X509Certificate> sub = pki.intermediate.issue(CertificateAuthority.Request.of("CN=Sub CA,O=Liaison Test",
                kp.getPublic(), CertificateProfile.INTERMEDIATE_CA, pki.now.minus(Duration.ofDays(1)), pki.now.plus(Duration.ofDays(30))));
        CertificateAuthority subCa = CertificateAuthority.of(Credential.create(kp.getPrivate(), sub));
        Credential leaf = pki.issue(subCa, CertificateProfile.GATEWAY_TLS, "deep", pki.now.minus(Duration.ofDays(1)),
                pki.now.plus(Duration.ofDays(30)));
        List<X509CRL> crls = new ArrayList<>(pki.crls());
        crls.add(subCa.crl(List.of(), pki.now.minus(Duration.ofHours(1)), pki.now.plus(Duration.ofDays(1)), BigInteger.ONE));
        CertificateValidator v = new CertificateValidator(List.of(pki.root.certificate()), crls);
        CertificateRejectedException e = rejection(v, leaf, Purpose.TLS_SERVER, pki,
                List.of(subCa.certificate(), pki.intermediate.certificate()));
        assertThat(e.reason()).isEqualTo(Reason.PATH_LENGTH_EXCEEDED);
        assertThat(e.subject()).contains("Intermediate CA");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void wrongExtendedKeyUsageIsRejected(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential signer = pki.issue(CertificateProfile.ENVELOPE_SIGNING, "signer");
        CertificateRejectedException e = rejection(pki.validator(), signer, Purpose.TLS_CLIENT, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.WRONG_PURPOSE);
        assertThat(e.getMessage()).startsWith("wrong purpose: needs clientAuth, has envelopeSigning");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void wrongKeyUsageIsRejected(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential enc = pki.issue(CertificateProfile.ENCRYPTION, "encryption");
        CertificateRejectedException e = rejection(pki.validator(), enc, Purpose.ENVELOPE_SIGNING, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.WRONG_PURPOSE);
        assertThat(e.getMessage()).startsWith("wrong purpose: needs key usage digitalSignature");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void wrongRoleIsRejected(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential auditor = pki.issue(CertificateProfile.AUDITOR, "auditor");
        CertificateRejectedException e = rejection(pki.validator(), auditor, Purpose.INVESTIGATOR, pki, pki.intermediates());
        assertThat(e.reason()).isEqualTo(Reason.WRONG_PURPOSE);
        assertThat(e.getMessage()).startsWith("wrong purpose: needs role investigator, has auditor");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void caCertificateIsNotAnEndEntity(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        CertificateRejectedException e = rejection(pki.validator(), pki.intermediate.credential(), Purpose.TLS_SERVER, pki,
                List.of());
        assertThat(e.reason()).isEqualTo(Reason.WRONG_PURPOSE);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void gatewayTlsCertificateIsServerAndClient(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential tls = pki.issue(CertificateProfile.GATEWAY_TLS, "gateway");
        assertThat(KeyUsages.extendedKeyUsage(tls.certificate())).containsExactly("serverAuth", "clientAuth");
        List<String> sans = new ArrayList<>();
        tls.certificate().getSubjectAlternativeNames().forEach(l -> sans.add(String.valueOf(l.get(1))));
        assertThat(sans).containsExactlyInAnyOrder("localhost", "127.0.0.1");
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void jdkPkixSecondOpinionRefusesAnUnknownCriticalExtension(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        KeyPair kp = suite.signatureKey().generate();
        X509Certificate odd = TestPki.forge(pki.intermediate.credential(), kp, "CN=odd", false, pki.now, true);
        CertificateRejectedException e = rejection(pki.validator(), Credential.create(kp.getPrivate(), List.of(odd)),
                Purpose.ENVELOPE_SIGNING, pki, pki.intermediates());
        // Our own checks do not look at unknown extensions: the rejection comes from the JDK's PKIX validator.
        assertThat(e.reason()).isEqualTo(Reason.PKIX_REJECTED);
        assertThat(e.getMessage()).contains("critical");
    }
}
