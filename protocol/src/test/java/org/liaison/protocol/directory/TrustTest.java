package org.liaison.protocol.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.protocol.testing.Refusals.refusal;
import static org.liaison.protocol.testing.TestFederation.AL;
import static org.liaison.protocol.testing.TestFederation.IT;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Purpose;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.testing.TestFederation;

/** A validation is remembered only while its answer cannot change: not past a CRL's next update, not for another authority. */
class TrustTest {
    @TempDir
    Path dir;

    @Test
    void aRememberedValidationEndsWithTheCrlsNextUpdateAndStaysPerAuthorityAndPurpose() throws Exception {
        TestFederation f = new TestFederation(dir, Suite.MODERN);
        Trust trust = f.trust();
        X509Certificate maria = f.authority(IT).users().get(Role.INVESTIGATOR).certificate();
        assertThat(trust.validate(IT, maria, Purpose.INVESTIGATOR, f.now)).isSameAs(maria);
        assertThat(trust.validate(IT, maria, Purpose.INVESTIGATOR, f.now.plusSeconds(60))).isSameAs(maria); // remembered
        // Not for another authority, not for another purpose ...
        assertThat(refusal(() -> trust.validate(AL, maria, Purpose.INVESTIGATOR, f.now)).code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
        assertThat(refusal(() -> trust.validate(IT, maria, Purpose.AUDITOR, f.now)).code()).isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
        // ... and not once the CRLs it was checked against are past their next update (a week).
        assertThat(refusal(() -> trust.validate(IT, maria, Purpose.INVESTIGATOR, f.now.plus(Duration.ofDays(8)))).code())
                .isEqualTo(ErrorCode.SIGNER_NOT_TRUSTED);
    }
}
