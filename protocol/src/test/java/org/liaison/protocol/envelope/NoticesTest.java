package org.liaison.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.protocol.testing.Refusals.refusal;
import static org.liaison.protocol.testing.TestFederation.AL;
import static org.liaison.protocol.testing.TestFederation.IT;
import static org.liaison.protocol.testing.TestFederation.US;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.testing.TestFederation;

/** Stage notices: signed by the recipient's gateway, checked against the peer that sends them, reasons only with a refusal. */
class NoticesTest {
    @TempDir
    Path dir;
    TestFederation f;

    @BeforeEach
    void federation() throws Exception {
        f = new TestFederation(dir, Suite.MODERN);
    }

    Notices.Content declined(String reason, String note) {
        return new Notices.Content(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), IT, AL, "declined", f.now, reason, note);
    }

    @Test
    void aDeclineWithItsReasonVerifiesForTheSenderAndKeepsItsBytes() throws Exception {
        Notices.Content c = declined("dual-criminality", "the conduct is not an offence here");
        byte[] xml = Notices.create(c, f.authority(AL).envelopeSigning());
        Notices.Verified v = Notices.verify(xml, f.trust(), f.now, AL);
        assertThat(v.content()).isEqualTo(c);
        assertThat(v.xml()).isEqualTo(xml);
    }

    @Test
    void aNoticeIsAcceptedOnlyFromTheAuthorityThatIssuedIt() throws Exception {
        byte[] xml = Notices.create(declined("essential-interests", null), f.authority(AL).envelopeSigning());
        assertThat(refusal(() -> Notices.verify(xml, f.trust(), f.now, US)).code()).isEqualTo(ErrorCode.SENDER_MISMATCH);
        // US signs a notice that claims to come from AL: the signature is checked against AL's gateway key
        byte[] forged = Notices.create(declined("essential-interests", null), f.authority(US).envelopeSigning());
        assertThat(refusal(() -> Notices.verify(forged, f.trust(), f.now, AL)).code()).isIn(ErrorCode.SIGNATURE_INVALID,
                ErrorCode.SIGNER_NOT_TRUSTED);
    }

    @Test
    void aChangedNoticeFailsItsSignature() throws Exception {
        byte[] xml = Notices.create(declined("dual-criminality", null), f.authority(AL).envelopeSigning());
        byte[] changed = new String(xml, StandardCharsets.UTF_8).replace("dual-criminality", "outside-jurisdiction")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(refusal(() -> Notices.verify(changed, f.trust(), f.now, AL)).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID);
    }

    @Test
    void reasonsGoWithRefusalsOnlyAndOtherNeedsANote() throws Exception {
        var signing = f.authority(AL).envelopeSigning();
        assertThat(refusal(() -> Notices.create(declined(null, null), signing)).getMessage()).contains("needs a reason");
        assertThat(refusal(() -> Notices.create(declined("other", " "), signing)).getMessage()).contains("needs a note");
        Notices.Content opened = new Notices.Content(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), IT, AL, "opened", f.now,
                "dual-criminality", null);
        assertThat(refusal(() -> Notices.create(opened, signing)).getMessage()).contains("only a declined");
        assertThat(refusal(() -> Notices.reason("because")).getMessage()).contains("dual-criminality");
        assertThat(Notices.stage("Acknowledged")).isEqualTo("acknowledged");
    }

    @Test
    void aNoticeDatedInTheFutureOrOversizedIsRefused() throws Exception {
        Notices.Content c = new Notices.Content(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), IT, AL, "opened",
                f.now.plus(Duration.ofHours(1)), null, null);
        byte[] xml = Notices.create(c, f.authority(AL).envelopeSigning());
        assertThat(refusal(() -> Notices.verify(xml, f.trust(), f.now, AL)).getMessage()).contains("in the future");
        assertThat(refusal(() -> Notices.verify(new byte[Notices.MAX_BYTES + 1], f.trust(), f.now, AL)).code())
                .isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
    }

    /**
     * Schema 1.4: a notice sent as evidence (to a node that announced 1.4) verifies as the notice did, with the same content
     * and checks; the notice of before still verifies.
     */
    @Test
    void aNoticeAsEvidenceVerifiesLikeTheNoticeOfBefore() throws Exception {
        Notices.Content c = declined("dual-criminality", "the conduct is not an offence here");
        byte[] xml = Evidences.create(Notices.evidence(c), f.authority(AL).envelopeSigning());
        assertThat(new String(xml, StandardCharsets.UTF_8)).contains("urn:liaison:evidence:1#declined");
        Notices.Verified v = Notices.verify(xml, f.trust(), f.now, AL);
        assertThat(v.content()).isEqualTo(c);
        assertThat(v.xml()).isEqualTo(xml);
        assertThat(Notices.verify(Notices.create(c, f.authority(AL).envelopeSigning()), f.trust(), f.now, AL).content()).isEqualTo(c);

        assertThat(refusal(() -> Notices.verify(xml, f.trust(), f.now, US)).code()).isEqualTo(ErrorCode.SENDER_MISMATCH);
        byte[] forged = Evidences.create(Notices.evidence(c), f.authority(US).envelopeSigning());
        assertThat(refusal(() -> Notices.verify(forged, f.trust(), f.now, AL)).code()).isIn(ErrorCode.SIGNATURE_INVALID,
                ErrorCode.SIGNER_NOT_TRUSTED);
        byte[] changed = new String(xml, StandardCharsets.UTF_8).replace("dual-criminality", "outside-jurisdiction")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(refusal(() -> Notices.verify(changed, f.trust(), f.now, AL)).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID);
        // an evidence of another event is no notice; a declined evidence's reason must be a refusal reason
        byte[] delivered = Evidences.create(Evidences.Content.of(
                EvidenceEvent.DELIVERED, f.now, AL, IT, java.util.List.of(AL), c.messageId())
                .withMessage(c.conversationId(), null, null, null), f.authority(AL).envelopeSigning());
        assertThat(refusal(() -> Notices.verify(delivered, f.trust(), f.now, AL)).getMessage()).contains("is not a notice");
        byte[] badReason = Evidences.create(Evidences.Content.of(
                EvidenceEvent.DECLINED, f.now, AL, IT, java.util.List.of(AL), c.messageId())
                .withMessage(c.conversationId(), null, null, null).withReason("LIAISON:0001", null), f.authority(AL).envelopeSigning());
        assertThat(refusal(() -> Notices.verify(badReason, f.trust(), f.now, AL)).getMessage()).contains("no reason code");
    }
}
