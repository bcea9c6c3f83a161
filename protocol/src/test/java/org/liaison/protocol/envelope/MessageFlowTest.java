package org.liaison.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.protocol.testing.TestFederation.AL;
import static org.liaison.protocol.testing.TestFederation.IT;
import static org.liaison.protocol.testing.TestFederation.US;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ErrorDocuments;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.model.Urgency;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.testing.TestFederation;
import static org.liaison.protocol.testing.Refusals.refusal;
import org.liaison.protocol.xenc.ContentEncryption;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;

/** A package from an Italian investigator to Albania (and a JIT file to all), through every format, both suites. */
class MessageFlowTest {
    @TempDir
    Path dir;

    static final byte[] EVIDENCE = "bank statement: account 4711, transfers to the smuggling network".getBytes(StandardCharsets.UTF_8);

    static ManifestSpec spec(AuthorityId from, List<AuthorityId> to, String jit) {
        return new ManifestSpec("OP-CORRIDOR-2026", jit == null ? Service.MLA_REQUEST : Service.JIT_FILE_SHARE, from, to, jit,
                Instrument.UNTOC, "18", "Mutual legal assistance request", Classification.CONFIDENTIAL,
                Set.of(HandlingFlag.MINOR_INVOLVED, HandlingFlag.NO_ONWARD_TRANSFER), null);
    }

    static FileEntry file(byte[] content, java.time.Instant at) throws Exception {
        String sha = Envelopes.sha256(content);
        return new FileEntry("statement.txt", "text/plain", content.length, sha,
                List.of(new FileEntry.Custody("Guardia di Finanza, Palermo", at, "bank production order", "")));
    }

    record Sent(byte[] envelope, List<PayloadInfo> payloads, byte[] ciphertext, byte[] manifest) {}

    static Sent send(TestFederation f, AuthorityId from, List<AuthorityId> to, String jit, Credential investigator) throws Exception {
        byte[] manifest = Manifests.sign(spec(from, to, jit), List.of(file(EVIDENCE, f.now)), investigator, UUID.randomUUID(), f.now);
        SecretKey cek = ContentEncryption.newContentKey();
        ByteArrayOutputStream ct = new ByteArrayOutputStream();
        try (OutputStream enc = PayloadCipher.encrypt(cek, 0, PayloadCipher.MIN_SEGMENT_SIZE, ct)) {
            enc.write(EVIDENCE);
        }
        byte[] ciphertext = ct.toByteArray();
        List<PayloadInfo> payloads = List.of(new PayloadInfo(0, PayloadCipher.MIN_SEGMENT_SIZE, ciphertext.length,
                Envelopes.sha256(ciphertext)));
        UUID id = UUID.randomUUID();
        EnvelopeHeader h = new EnvelopeHeader(id, id, null, f.now, f.now.plus(Duration.ofDays(2)), from, to, jit,
                jit == null ? Service.MLA_REQUEST : Service.JIT_FILE_SHARE, "submit");
        byte[] env = Envelopes.seal(h, f.directory, manifest, payloads, cek, f.authority(from).envelopeSigning());
        return new Sent(env, payloads, ciphertext, manifest);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void packageTravelsFromItalyToAlbaniaAndIsReceipted(Suite suite) throws Exception {
        TestFederation f = new TestFederation(dir, suite);
        Sent s = send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));

        // Albania's gateway receives it over TLS from Italy's gateway.
        Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, IT, AL);
        assertThat(v.recipients()).containsExactly(AL);
        assertThat(new String(s.envelope(), StandardCharsets.UTF_8)).doesNotContain("statement.txt").doesNotContain("OP-CORRIDOR");

        Envelopes.Opened o = Envelopes.open(v, AL, f.authority(AL).encryption().decryptionKey());
        Manifests.Verified m = Manifests.verify(o.manifestXml(), f.trust(), f.now);
        assertThat(m.from()).isEqualTo(IT);
        assertThat(m.manifest().getFile().get(0).getSha256()).isEqualTo(Envelopes.sha256(EVIDENCE));
        byte[] plain = PayloadCipher.decrypt(o.contentKey(), 0, new ByteArrayInputStream(s.ciphertext())).readAllBytes();
        assertThat(plain).isEqualTo(EVIDENCE);

        byte[] receipt = Receipts.create(v, AL, f.now, "checkpoint text", f.authority(AL).envelopeSigning());
        Receipts.Verified r = Receipts.verify(receipt, f.trust(), f.now, AL, v.header().messageId(), s.envelope(), s.payloads());
        assertThat(r.envelopeSha256()).isEqualTo(v.sha256());
        assertThat(r.checkpoint()).isEqualTo("checkpoint text");
    }

    /** A deadline travels signed; one set before the request was made is refused by whoever checks the package. */
    @Test
    void aRespondByDateBeforeTheRequestWasMadeIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        Credential it = f.authority(IT).users().get(Role.INVESTIGATOR);
        ManifestSpec base = spec(IT, List.of(AL), null);
        java.util.function.Function<java.time.Instant, ManifestSpec> by = t -> new ManifestSpec(base.caseReference(), base.service(),
                base.from(), base.to(), base.jit(), base.instrument(), base.article(), base.legalBasisText(), base.classification(),
                base.flags(), base.note(), t, Urgency.URGENT);
        byte[] ok = Manifests.sign(by.apply(f.now.plus(Duration.ofDays(14))), List.of(file(EVIDENCE, f.now)), it, UUID.randomUUID(), f.now);
        Manifests.Verified v = Manifests.verify(ok, f.trust(), f.now);
        assertThat(Formats.instant(v.manifest().getRespondBy())).isEqualTo(f.now.plus(Duration.ofDays(14)));
        assertThat(v.manifest().getUrgency()).isEqualTo(Urgency.URGENT);
        byte[] past = Manifests.sign(by.apply(f.now.minus(Duration.ofHours(1))), List.of(file(EVIDENCE, f.now)), it, UUID.randomUUID(),
                f.now);
        assertThat(refusal(() -> Manifests.verify(past, f.trust(), f.now)).getMessage()).contains("before it was made");
    }

    /** During a key rotation the recipient holds its previous key next to the new one: either opens what was sealed to it. */
    @ParameterizedTest
    @EnumSource(Suite.class)
    void aRecipientWithSeveralKeysOpensWithTheOneTheMessageWasSealedTo(Suite suite) throws Exception {
        TestFederation f = new TestFederation(dir, suite);
        Sent s = send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));
        Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, IT, AL);
        java.security.PrivateKey albania = f.authority(AL).encryption().decryptionKey();
        java.security.PrivateKey other = f.authority(US).encryption().decryptionKey(); // a key of the same type, not Albania's

        Envelopes.Opened o = Envelopes.open(v, AL, List.of(other, albania));
        assertThat(Manifests.verify(o.manifestXml(), f.trust(), f.now).from()).isEqualTo(IT);
        assertThat(Envelopes.open(v, AL, List.of(albania, other)).contentKey()).isEqualTo(o.contentKey());
        // None of the keys held: the one uniform refusal, as with one wrong key.
        assertThat(refusal(() -> Envelopes.open(v, AL, List.of(other))).code()).isEqualTo(ErrorCode.DECRYPTION_FAILED);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void jitFileReachesEveryOtherMember(Suite suite) throws Exception {
        TestFederation f = new TestFederation(dir, suite);
        Sent s = send(f, US, List.of(), TestFederation.JIT, f.authority(US).users().get(Role.INVESTIGATOR));
        for (AuthorityId member : List.of(IT, AL)) {
            Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, US, member);
            assertThat(v.recipients()).containsExactlyInAnyOrder(IT, AL);
            Envelopes.Opened o = Envelopes.open(v, member, f.authority(member).encryption().decryptionKey());
            assertThat(Manifests.verify(o.manifestXml(), f.trust(), f.now).manifest().getJit()).isEqualTo(TestFederation.JIT);
        }
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void refusalsAtTheReceivingGateway(Suite suite) throws Exception {
        TestFederation f = new TestFederation(dir, suite);
        Sent s = send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));

        // The TLS peer is not the envelope's sender.
        assertThat(refusal(() -> Envelopes.verify(s.envelope(), f.trust(), f.now, US, AL)).code())
                .isEqualTo(ErrorCode.SENDER_MISMATCH);
        // This gateway is not a recipient.
        assertThat(refusal(() -> Envelopes.verify(s.envelope(), f.trust(), f.now, IT, US)).code())
                .isEqualTo(ErrorCode.NOT_A_RECIPIENT);
        // The message has expired.
        assertThat(refusal(() -> Envelopes.verify(s.envelope(), f.trust(), f.now.plus(Duration.ofDays(3)), IT, AL)).code())
                .isEqualTo(ErrorCode.MESSAGE_EXPIRED);
        // A recipient that holds no key in it cannot open it.
        Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, IT, AL);
        assertThat(refusal(() -> Envelopes.open(v, US, f.authority(US).encryption().decryptionKey())).code())
                .isEqualTo(ErrorCode.NOT_A_RECIPIENT);
        // A changed byte breaks the gateway signature.
        String tampered = new String(s.envelope(), StandardCharsets.UTF_8).replace("<Action>submit</Action>", "<Action>resend</Action>");
        assertThat(refusal(() -> Envelopes.verify(tampered.getBytes(StandardCharsets.UTF_8), f.trust(), f.now, IT, AL)).code())
                .isEqualTo(ErrorCode.SIGNATURE_INVALID);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void envelopeSignedByAnotherGatewayIsRefused(Suite suite) throws Exception {
        TestFederation f = new TestFederation(dir, suite);
        // Albania's gateway key signs an envelope that claims to come from Italy.
        byte[] manifest = Manifests.sign(spec(IT, List.of(US), null), List.of(file(EVIDENCE, f.now)),
                f.authority(IT).users().get(Role.INVESTIGATOR), UUID.randomUUID(), f.now);
        UUID id = UUID.randomUUID();
        EnvelopeHeader h = new EnvelopeHeader(id, id, null, f.now, f.now.plus(Duration.ofDays(1)), IT, List.of(US), null,
                Service.MLA_REQUEST, "submit");
        byte[] forged = Envelopes.seal(h, f.directory, manifest, List.of(), ContentEncryption.newContentKey(),
                f.authority(AL).envelopeSigning());
        assertThat(refusal(() -> Envelopes.verify(forged, f.trust(), f.now, IT, US)).code())
                .isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void manifestOfARevokedOrForeignInvestigatorIsRefused(Suite suite) throws Exception {
        TestFederation f = new TestFederation(dir, suite);
        Credential italian = f.authority(IT).users().get(Role.INVESTIGATOR);
        byte[] manifest = Manifests.sign(spec(IT, List.of(AL), null), List.of(file(EVIDENCE, f.now)), italian, UUID.randomUUID(), f.now);
        assertThat(Manifests.verify(manifest, f.trust(), f.now).investigator()).isEqualTo(italian.certificate());

        // An Albanian investigator signs a manifest claiming to be from Italy.
        byte[] foreign = Manifests.sign(spec(IT, List.of(US), null), List.of(), f.authority(AL).users().get(Role.INVESTIGATOR),
                UUID.randomUUID(), f.now);
        assertThat(refusal(() -> Manifests.verify(foreign, f.trust(), f.now)).code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);

        // An Italian auditor (wrong role) signs one.
        byte[] auditor = Manifests.sign(spec(IT, List.of(AL), null), List.of(), f.authority(IT).users().get(Role.AUDITOR),
                UUID.randomUUID(), f.now);
        assertThat(refusal(() -> Manifests.verify(auditor, f.trust(), f.now)).getMessage()).contains("needs role investigator");

        // The investigator's certificate is revoked: the manifest is refused from the next CRL on.
        f.authority(IT).ca().revoke(italian.certificate().getSerialNumber(), CRLReason.KEY_COMPROMISE, f.now.minusSeconds(1));
        f.authority(IT).ca().writeCrl(f.now, Duration.ofDays(7));
        ProtocolException e = refusal(() -> Manifests.verify(manifest, f.trust(), f.now));
        assertThat(e.code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
        assertThat(e.getMessage()).contains("revoked on").contains("keyCompromise");

        // After its certificate expired, it is refused too.
        assertThat(refusal(() -> Manifests.verify(manifest, f.trust(), f.now.plus(Duration.ofDays(400)))).getMessage())
                .contains("expired on");
    }

    /**
     * Schema 1.4: the delivered evidence that answers a message verifies where a receipt did, with the same checks, and
     * carries the checkpoints; a receipt (a node before 1.4) still verifies beside it; other events and other digests are refused.
     */
    @Test
    void aDeliveredEvidenceIsAReceiptAndAReceiptOfBefore14StillVerifies() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        Sent s = send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));
        Sent other = send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));
        Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, IT, AL);
        java.util.UUID id = v.header().messageId();
        byte[] evidence = Evidences.create(Receipts.deliveredEvidence(v, AL, f.now, "checkpoint text",
                "cosigned text"), f.authority(AL).envelopeSigning());
        Receipts.Verified r = Receipts.verify(evidence, f.trust(), f.now, AL, id, s.envelope(), s.payloads());
        assertThat(r.evidence()).isNotNull();
        assertThat(r.evidence().event()).isEqualTo(EvidenceEvent.DELIVERED);
        assertThat(r.checkpoint()).isEqualTo("checkpoint text");
        assertThat(r.cosignedCheckpoint()).isEqualTo("cosigned text");
        assertThat(r.payloadSha256()).isEqualTo(s.payloads().stream().map(PayloadInfo::ciphertextSha256).toList());
        assertThat(r.xml()).isEqualTo(evidence);

        byte[] receipt = Receipts.create(v, AL, f.now, "checkpoint text", f.authority(AL).envelopeSigning());
        Receipts.Verified old = Receipts.verify(receipt, f.trust(), f.now, AL, id, s.envelope(), s.payloads());
        assertThat(old.evidence()).isNull();
        assertThat(old.checkpoint()).isEqualTo(r.checkpoint());
        assertThat(old.envelopeSha256()).isEqualTo(r.envelopeSha256());

        assertThat(refusal(() -> Receipts.verify(evidence, f.trust(), f.now, AL, id, other.envelope(), s.payloads())).code())
                .isEqualTo(ErrorCode.RECEIPT_MISMATCH);
        assertThat(refusal(() -> Receipts.verify(evidence, f.trust(), f.now, US, id, s.envelope(), s.payloads())).code())
                .isEqualTo(ErrorCode.RECEIPT_MISMATCH);
        byte[] opened = Evidences.create(Evidences.Content.of(
                EvidenceEvent.OPENED, f.now, AL, IT, List.of(AL), id)
                .withDigests(v.sha256(), null, List.of()), f.authority(AL).envelopeSigning());
        assertThat(refusal(() -> Receipts.verify(opened, f.trust(), f.now, AL, id, s.envelope(), s.payloads())).getMessage())
                .contains("in place of a delivered one");
        byte[] selfMade = Evidences.create(Receipts.deliveredEvidence(v, AL, f.now, null, null),
                f.authority(IT).envelopeSigning());
        assertThat(refusal(() -> Receipts.verify(selfMade, f.trust(), f.now, AL, id, s.envelope(), s.payloads())).code())
                .isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
        assertThat(Receipts.readsEvidence(Receipts.EVIDENCE_SCHEMA)).isTrue();
        assertThat(Receipts.readsEvidence("1.3")).isFalse();
        assertThat(Receipts.readsEvidence(null)).isFalse();
        assertThat(Receipts.readsEvidence("2")).isTrue();
        assertThat(Receipts.readsEvidence("x")).isFalse();
        // What is no version is not read as one (a peer's node ignores it for its record too: PeerSchemas).
        for (String garbage : new String[] {" 2", "2 ", "+2", "1.4.1", "1.", ".4", "1e4", "\u0662", "99999999999999999", ""}) {
            assertThat(Receipts.readsEvidence(garbage)).as("'%s'", garbage).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void receiptThatAcknowledgesSomethingElseIsRefused(Suite suite) throws Exception {
        TestFederation f = new TestFederation(dir, suite);
        Sent s = send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));
        Sent other = send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));
        Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, IT, AL);
        byte[] receipt = Receipts.create(v, AL, f.now, null, f.authority(AL).envelopeSigning());
        assertThat(refusal(() -> Receipts.verify(receipt, f.trust(), f.now, AL, v.header().messageId(), other.envelope(),
                s.payloads())).code()).isEqualTo(ErrorCode.RECEIPT_MISMATCH);
        assertThat(refusal(() -> Receipts.verify(receipt, f.trust(), f.now, US, v.header().messageId(), s.envelope(),
                s.payloads())).code()).isEqualTo(ErrorCode.RECEIPT_MISMATCH);
        // Signed by Italy's own key instead of Albania's: not a receipt from Albania.
        byte[] selfMade = Receipts.create(v, AL, f.now, null, f.authority(IT).envelopeSigning());
        assertThat(refusal(() -> Receipts.verify(selfMade, f.trust(), f.now, AL, v.header().messageId(), s.envelope(),
                s.payloads())).code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
    }

    @ParameterizedTest
    @EnumSource(Suite.class)
    void errorDocumentRoundTripsWithoutControlCharacters(Suite suite) throws Exception {
        byte[] xml = ErrorDocuments.write(ErrorCode.NOT_A_RECIPIENT, "not for us\r\nX-Injected: yes", UUID.randomUUID());
        ProtocolException e = ErrorDocuments.read(xml);
        assertThat(e.code()).isEqualTo(ErrorCode.NOT_A_RECIPIENT);
        assertThat(e.getMessage()).doesNotContain("\n").contains("X-Injected");
        assertThat(new String(xml, StandardCharsets.UTF_8)).contains("code=\"LIAISON:0012\"").contains("retryable=\"false\"");
    }

    @Test
    void theManifestIsEncryptedUnderItsOwnKeyAndAnEnvelopeOfTheOldFormatIsRefused() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        Sent s = send(f, IT, List.of(AL), null, f.authority(IT).users().get(Role.INVESTIGATOR));
        Envelopes.Verified v = Envelopes.verify(s.envelope(), f.trust(), f.now, IT, AL);
        assertThat(v.model().getFormat()).isEqualTo(Envelopes.FORMAT);
        Envelopes.Opened o = Envelopes.open(v, AL, f.authority(AL).encryption().decryptionKey());
        // The content key itself does not open the manifest: only the key derived from it for that purpose does.
        assertThat(refusal(() -> ContentEncryption.decrypt(v.model().getEncryptedManifest().getAny(),
                o.contentKey())).code()).isEqualTo(ErrorCode.DECRYPTION_FAILED);
        assertThat(ContentEncryption.manifestKey(o.contentKey()).getEncoded())
                .isNotEqualTo(o.contentKey().getEncoded());

        // The same envelope without its format (format 1), signed again by Italy's gateway: refused before opening.
        org.w3c.dom.Document doc = SecureXml.parse(s.envelope(), XmlLimits.DEFAULT);
        org.w3c.dom.Element root = doc.getDocumentElement();
        root.removeChild(root.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature").item(0));
        root.removeAttribute("format");
        XmlSignatures.sign(doc, f.authority(IT).envelopeSigning());
        byte[] old = SecureXml.serialize(doc);
        ProtocolException e = refusal(() -> Envelopes.verify(old, f.trust(), f.now, IT, AL));
        assertThat(e.code()).isEqualTo(ErrorCode.SCHEMA_INVALID);
        assertThat(e.getMessage()).contains("format 1");
    }
}
