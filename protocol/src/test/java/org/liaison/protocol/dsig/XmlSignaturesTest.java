package org.liaison.protocol.dsig;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.CertificateRejectedException;
import org.liaison.certs.Credential;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Purpose;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** Forgery and signature-wrapping attempts, each refused with its own error — most before any crypto work. */
class XmlSignaturesTest {
    private static final String DS = Formats.DSIG_NS;
    private static final SignerResolver MUST_NOT_BE_CALLED = claimed -> {
        throw new AssertionError("the signer was resolved: crypto work began before the shape was refused");
    };

    static Document doc() throws ProtocolException {
        return SecureXml.parse("<t:Order xmlns:t=\"urn:test\"><t:Amount>100</t:Amount><t:To>AL-PP</t:To></t:Order>"
                .getBytes(StandardCharsets.UTF_8), XmlLimits.DEFAULT);
    }

    /** Accepts exactly the expected certificate, after validating it for envelope signing. */
    static SignerResolver expecting(TestPki pki, X509Certificate expected) {
        return claimed -> {
            if (claimed == null || !Fingerprint.of(claimed).equals(Fingerprint.of(expected))) {
                throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED, "signed by someone other than the expected signer");
            }
            try {
                pki.validator().validate(claimed, pki.intermediates(), Purpose.ENVELOPE_SIGNING, pki.now);
            } catch (CertificateRejectedException e) {
                throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED, e.getMessage());
            } catch (java.security.GeneralSecurityException e) {
                throw new AssertionError(e);
            }
            return claimed;
        };
    }

    static Document reparse(Document d) throws ProtocolException {
        return SecureXml.parse(SecureXml.serialize(d), XmlLimits.DEFAULT);
    }

    static Element first(Document d, String ns, String name) {
        return (Element) d.getElementsByTagNameNS(ns, name).item(0);
    }

    private static ProtocolException refusal(Document d, Set<SignatureAlgorithm> allowed, SignerResolver r) {
        try {
            XmlSignatures.verify(d, allowed, r);
        } catch (ProtocolException e) {
            return e;
        }
        throw new AssertionError("a forged document was accepted");
    }

    private static TestPki modern;
    private static Credential signer;

    private static synchronized void fixtures() throws Exception {
        if (modern == null) {
            modern = TestPki.create(Suite.MODERN);
            signer = modern.issue(CertificateProfile.ENVELOPE_SIGNING, "IT-DNA envelope signing");
        }
    }

    /** A freshly signed document, changed by {@code tamper}, serialized and parsed again. */
    private static Document signedThen(Consumer<Document> tamper) throws Exception {
        fixtures();
        Document d = doc();
        XmlSignatures.sign(d, signer);
        Document copy = reparse(d);
        tamper.accept(copy);
        return reparse(copy);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void signedDocumentVerifiesInBothSuites(Suite suite) throws Exception {
        TestPki pki = TestPki.create(suite);
        Credential c = pki.issue(CertificateProfile.ENVELOPE_SIGNING, "signer");
        Document d = doc();
        XmlSignatures.sign(d, c);
        XmlSignatures.Verified v = XmlSignatures.verify(reparse(d), SignatureAlgorithm.allowedBy(EnumSet.of(suite)),
                expecting(pki, c.certificate()));
        assertThat(v.signer()).isEqualTo(c.certificate());
        assertThat(v.algorithm()).isEqualTo(SignatureAlgorithm.of(suite));
        assertThat(v.root().getLocalName()).isEqualTo("Order");
    }

    /**
     * A JDK Ed25519 key (as a PKCS#12 file gives it) is used in Bouncy Castle's form, made once per key (not its public key
     * derived again at each signature): the same deterministic signature as the JDK key's, which verifies.
     */
    @Test
    void aJdkEd25519KeySignsInBouncyCastlesFormMadeOnce() throws Exception {
        java.security.KeyPair kp = java.security.KeyPairGenerator.getInstance("Ed25519", "SunEC").generateKeyPair();
        java.security.PrivateKey bc = XmlSignatures.providerKey(kp.getPrivate(), XmlSignatures.PROVIDER);
        assertThat(bc.getClass().getName()).startsWith("org.bouncycastle.");
        assertThat(XmlSignatures.providerKey(kp.getPrivate(), XmlSignatures.PROVIDER)).isSameAs(bc);
        assertThat(XmlSignatures.providerKey(bc, XmlSignatures.PROVIDER)).isSameAs(bc);
        byte[] message = "an evidence".getBytes(StandardCharsets.UTF_8);
        java.security.Signature jdk = java.security.Signature.getInstance("Ed25519", XmlSignatures.PROVIDER);
        jdk.initSign(kp.getPrivate());
        jdk.update(message);
        java.security.Signature mine = java.security.Signature.getInstance("Ed25519", XmlSignatures.PROVIDER);
        mine.initSign(bc);
        mine.update(message);
        byte[] signature = mine.sign();
        assertThat(signature).isEqualTo(jdk.sign());
        java.security.Signature check = java.security.Signature.getInstance("Ed25519", "SunEC");
        check.initVerify(kp.getPublic());
        check.update(message);
        assertThat(check.verify(signature)).isTrue();
    }

    /**
     * The certificate in KeyInfo is read once for the same bytes (bench-messages: reading it was most of a check's cost
     * besides the signature), and the resolver still decides for every signature: a tampered document signed by the same
     * certificate is still refused, and a resolver that refuses that certificate still refuses it.
     */
    @Test
    void theSameCertificateIsReadOnceAndStillResolvedForEverySignature() throws Exception {
        fixtures();
        Document a = doc();
        XmlSignatures.sign(a, signer);
        Document b = doc();
        first(b, "urn:test", "Amount").setTextContent("200");
        XmlSignatures.sign(b, signer);
        java.util.List<X509Certificate> resolved = new java.util.ArrayList<>();
        SignerResolver recording = claimed -> {
            resolved.add(claimed);
            return expecting(modern, signer.certificate()).resolve(claimed);
        };
        XmlSignatures.Verified va = XmlSignatures.verify(reparse(a), SignatureAlgorithm.allSuites(), recording);
        XmlSignatures.Verified vb = XmlSignatures.verify(reparse(b), SignatureAlgorithm.allSuites(), recording);
        assertThat(vb.signer()).isSameAs(va.signer()).isEqualTo(signer.certificate());
        assertThat(resolved).hasSize(2);
        Document tampered = signedThen(x -> first(x, "urn:test", "Amount").setTextContent("1000000"));
        assertThat(refusal(tampered, SignatureAlgorithm.allSuites(), recording).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID);
        assertThat(resolved).hasSize(3);
        SignerResolver refusing = claimed -> {
            throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED, "revoked meanwhile");
        };
        assertThat(refusal(reparse(a), SignatureAlgorithm.allSuites(), refusing).code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
    }

    @Test
    void changedContentIsRefused() throws Exception {
        Document d = signedThen(x -> first(x, "urn:test", "Amount").setTextContent("1000000"));
        ProtocolException e = refusal(d, SignatureAlgorithm.allSuites(), expecting(modern, signer.certificate()));
        assertThat(e.code()).isEqualTo(ErrorCode.SIGNATURE_INVALID);
    }

    @Test
    void addedElementIsRefused() throws Exception {
        Document d = signedThen(x -> {
            Element extra = x.createElementNS("urn:test", "t:To");
            extra.setTextContent("XX-EVIL");
            x.getDocumentElement().insertBefore(extra, first(x, DS, "Signature"));
        });
        assertThat(refusal(d, SignatureAlgorithm.allSuites(), expecting(modern, signer.certificate())).code())
                .isEqualTo(ErrorCode.SIGNATURE_INVALID);
    }

    @Test
    void secondSignatureIsRefused() throws Exception {
        Document d = signedThen(x -> x.getDocumentElement().appendChild(first(x, DS, "Signature").cloneNode(true)));
        ProtocolException e = refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED);
        assertThat(e.code()).isEqualTo(ErrorCode.SIGNATURE_STRUCTURE_REJECTED);
        assertThat(e.getMessage()).contains("exactly one ds:Signature, found 2");
    }

    @Test
    void signatureMovedAwayFromTheRootIsRefused() throws Exception {
        Document d = signedThen(x -> first(x, "urn:test", "To").appendChild(first(x, DS, "Signature")));
        assertThat(refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED).getMessage())
                .contains("must be the last child of <Order>");
    }

    @Test
    void signedContentWrappedInsideAForgedRootIsRefused() throws Exception {
        // Classic wrapping: the signed original is moved inside a new, forged root.
        Document d = signedThen(x -> {
            Element original = x.getDocumentElement();
            Element forged = x.createElementNS("urn:test", "t:Order");
            Element amount = x.createElementNS("urn:test", "t:Amount");
            amount.setTextContent("999999");
            forged.appendChild(amount);
            x.replaceChild(forged, original);
            forged.appendChild(original);
        });
        ProtocolException e = refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED);
        assertThat(e.code()).isEqualTo(ErrorCode.SIGNATURE_STRUCTURE_REJECTED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"#xpointer(/)", "#id-1", "http://127.0.0.1:1/evil.xml"})
    void referenceOtherThanTheWholeDocumentIsRefused(String uri) throws Exception {
        Document d = signedThen(x -> first(x, DS, "Reference").setAttribute("URI", uri));
        ProtocolException e = refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED);
        assertThat(e.code()).isEqualTo(ErrorCode.SIGNATURE_STRUCTURE_REJECTED);
        assertThat(e.getMessage()).contains("URI=\"\"");
    }

    @Test
    void extraReferenceIsRefused() throws Exception {
        Document d = signedThen(x -> first(x, DS, "SignedInfo").appendChild(first(x, DS, "Reference").cloneNode(true)));
        assertThat(refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED).getMessage())
                .contains("exactly one Reference");
    }

    @Test
    void missingReferenceIsRefused() throws Exception {
        Document d = signedThen(x -> first(x, DS, "SignedInfo").removeChild(first(x, DS, "Reference")));
        assertThat(refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED).code())
                .isEqualTo(ErrorCode.SIGNATURE_STRUCTURE_REJECTED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Object", "Manifest"})
    void objectAndManifestAreRefused(String name) throws Exception {
        Document d = signedThen(x -> x.getDocumentElement().insertBefore(x.createElementNS(DS, "ds:" + name),
                first(x, DS, "Signature")));
        ProtocolException e = refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED);
        assertThat(e.getMessage()).contains("ds:" + name + " is not allowed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://www.w3.org/TR/1999/REC-xslt-19991116", "http://www.w3.org/TR/1999/REC-xpath-19991116",
        "http://www.w3.org/2002/06/xmldsig-filter2", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"})
    void transformOutsideTheAllowListIsRefused(String transform) throws Exception {
        Document d = signedThen(x -> ((Element) first(x, DS, "Transforms").getElementsByTagNameNS(DS, "Transform").item(1))
                .setAttribute("Algorithm", transform));
        ProtocolException e = refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED);
        assertThat(e.code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
        assertThat(e.getMessage()).contains(transform);
    }

    @Test
    void tooManyTransformsAreRefused() throws Exception {
        Document d = signedThen(x -> {
            Element transforms = first(x, DS, "Transforms");
            for (int i = 0; i < 5; i++) {
                transforms.appendChild(first(x, DS, "Transform").cloneNode(true));
            }
        });
        assertThat(refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED).getMessage()).contains("exactly 2 transforms");
    }

    @Test
    void inclusiveCanonicalizationIsRefused() throws Exception {
        Document d = signedThen(x -> first(x, DS, "CanonicalizationMethod")
                .setAttribute("Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"));
        assertThat(refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256", "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"})
    void weakOrUnlistedSignatureAlgorithmIsRefused(String algorithm) throws Exception {
        Document d = signedThen(x -> first(x, DS, "SignatureMethod").setAttribute("Algorithm", algorithm));
        ProtocolException e = refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED);
        assertThat(e.code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://www.w3.org/2000/09/xmldsig#sha1", "http://www.w3.org/2001/04/xmldsig-more#md5"})
    void weakDigestIsRefused(String digest) throws Exception {
        Document d = signedThen(x -> first(x, DS, "DigestMethod").setAttribute("Algorithm", digest));
        assertThat(refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    @Test
    void algorithmOfAnotherSuiteIsRefused() throws Exception {
        Document d = signedThen(x -> { });
        ProtocolException e = refusal(d, EnumSet.of(SignatureAlgorithm.RSA_PSS_SHA256), MUST_NOT_BE_CALLED);
        assertThat(e.code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
    }

    @Test
    void attackersOwnCertificateInKeyInfoIsNotTrusted() throws Exception {
        fixtures();
        TestPki attackerPki = TestPki.create(Suite.MODERN, "Attacker");
        Credential attacker = attackerPki.issue(CertificateProfile.ENVELOPE_SIGNING, "IT-DNA envelope signing");
        Document d = doc();
        XmlSignatures.sign(d, attacker);
        ProtocolException e = refusal(reparse(d), SignatureAlgorithm.allSuites(), expecting(modern, signer.certificate()));
        assertThat(e.code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
    }

    @Test
    void legitimateCertificateInKeyInfoDoesNotMakeAnAttackersSignatureValid() throws Exception {
        fixtures();
        Credential attacker = TestPki.create(Suite.MODERN, "Attacker").issue(CertificateProfile.ENVELOPE_SIGNING, "x");
        Document d = doc();
        XmlSignatures.sign(d, attacker);
        Document forged = reparse(d);
        // Swap the attacker's certificate in KeyInfo for the legitimate signer's.
        first(forged, DS, "X509Certificate").setTextContent(
                java.util.Base64.getEncoder().encodeToString(signer.certificate().getEncoded()));
        ProtocolException e = refusal(reparse(forged), SignatureAlgorithm.allSuites(), expecting(modern, signer.certificate()));
        assertThat(e.code()).isEqualTo(ErrorCode.SIGNATURE_INVALID);
    }

    @Test
    void validSignerOfAnotherAuthorityIsNotTrusted() throws Exception {
        fixtures();
        Credential other = modern.issue(CertificateProfile.ENVELOPE_SIGNING, "AL-PP envelope signing");
        Document d = doc();
        XmlSignatures.sign(d, other);
        assertThat(refusal(reparse(d), SignatureAlgorithm.allSuites(), expecting(modern, signer.certificate())).code())
                .isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
    }

    @Test
    void keyInfoWithAnythingButOneCertificateIsRefused() throws Exception {
        Document d = signedThen(x -> first(x, DS, "X509Data").appendChild(first(x, DS, "X509Certificate").cloneNode(true)));
        assertThat(refusal(d, SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED).code())
                .isEqualTo(ErrorCode.SIGNATURE_STRUCTURE_REJECTED);
    }

    @Test
    void unsignedDocumentIsRefused() throws Exception {
        assertThat(refusal(doc(), SignatureAlgorithm.allSuites(), MUST_NOT_BE_CALLED).getMessage())
                .contains("found 0");
    }

}
