package org.liaison.gateway.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.TestClock;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * Trusted time from an independent TSA (openssl ts -reply): the audit log's checkpoint is stamped, the
 * stored token verifies with openssl ts -verify; an unreachable TSA stops nothing until the configured time
 * without trusted time has passed, then new submissions are refused (LIAISON:0058) until a token comes again.
 */
class TrustedTimeTest {
    @TempDir
    Path dir;
    OpensslTsa tsa;
    FileAuditLog log;
    TestClock clock;

    @BeforeEach
    void setUp() throws Exception {
        tsa = OpensslTsa.start(dir.resolve("tsa"));
        log = FileAuditLog.open(dir.resolve("audit"), "it-dna.example/audit", Duration.ofHours(1));
        clock = new TestClock();
    }

    @AfterEach
    void tearDown() {
        tsa.close();
        log.close();
    }

    private void grow() throws Exception {
        log.record(AuditEvent.of("evidence", "IT-DNA", null, null, "ok", null));
        log.checkpointNow();
    }

    @Test
    void theCheckpointIsStampedAndTheStoredTokenVerifiesWithOpenssl() throws Exception {
        TrustedTime time = new TrustedTime(tsa.authority(), log::checkpoint, clock, dir.resolve("stamps"), null);
        grow();
        assertThat(time.stampNow()).isTrue();
        assertThat(time.stampNow()).isTrue(); // nothing new: no second token
        assertThat(tsa.requests.get()).isEqualTo(1);
        TrustedTime.Stamp s = time.stamps().get(0);
        assertThat(s.checkpoint()).isEqualTo(log.checkpoint());
        assertThat(time.covering(0)).map(TrustedTime.Stamp::size).contains(s.size());
        assertThat(time.covering(1)).isEmpty();
        Path note = dir.resolve("stamps").resolve(s.size() + ".checkpoint");
        Path token = dir.resolve("stamps").resolve(s.size() + ".tsr");
        assertThat(tsa.opensslVerify(note, token)).isZero();
        Files.writeString(dir.resolve("other"), s.checkpoint() + "x");
        assertThat(tsa.opensslVerify(dir.resolve("other"), token)).isNotZero();
        // and with our own offline check
        byte[] digest = TrustedTime.sha256(s.checkpoint().getBytes(StandardCharsets.UTF_8));
        assertThat(TimeStamps.verify(s.token(), digest, tsa.chain()).time()).isNotNull();
    }

    @Test
    void anUnreachableTsaStopsNewSubmissionsOnlyAfterTheLimitAndTheyResumeWhenItAnswers() throws Exception {
        TrustedTime time = new TrustedTime(tsa.authority(), log::checkpoint, clock, dir.resolve("stamps"), Duration.ofSeconds(14_400));
        tsa.down.set(true);
        grow();
        assertThat(time.stampNow()).isFalse();
        time.check(); // just failed: submissions go on
        clock.advance(Duration.ofSeconds(7_200));
        grow(); // the queue is the newest checkpoint: it covers the older one
        assertThat(time.stampNow()).isFalse();
        time.check();
        assertThat(time.secondsWithout()).isBetween(7_200.0, 7_260.0); // the test clock also moves with real time
        assertThat(time.failures()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(7_201));
        assertThat(time.secondsWithout()).isGreaterThan(14_400.0);
        assertThatThrownBy(time::check).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TRUSTED_TIME_UNAVAILABLE)).hasMessageContaining("14400 s");
        tsa.down.set(false);
        assertThat(time.stampNow()).isTrue();
        time.check();
        assertThat(time.secondsWithout()).isZero();
        assertThat(time.stamps()).singleElement().satisfies(s -> assertThat(s.checkpoint()).isEqualTo(log.checkpoint()));
    }

    @Test
    void aTokenOverAnotherDigestOrFromAnotherTsaIsRefused() throws Exception {
        byte[] digest = TrustedTime.sha256("checkpoint".getBytes(StandardCharsets.UTF_8));
        TimeStamps.Verified t = TimeStamps.request(tsa.authority(), digest);
        assertThatThrownBy(() -> TimeStamps.verify(t.token(), TrustedTime.sha256("other".getBytes(StandardCharsets.UTF_8)), tsa.chain()))
                .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("another digest");
        try (OpensslTsa other = OpensslTsa.start(dir.resolve("other-tsa"))) {
            assertThatThrownBy(() -> TimeStamps.verify(t.token(), digest, other.chain())).isInstanceOf(GeneralSecurityException.class);
            // a TSA certificate from another root, presented with this root, does not chain
            assertThatThrownBy(() -> TimeStamps.verify(t.token(), digest, List.of(tsa.chain().get(0), other.chain().get(1))))
                    .isInstanceOf(GeneralSecurityException.class);
        }
        byte[] changed = t.token().clone();
        changed[changed.length - 5] ^= 1;
        assertThatThrownBy(() -> TimeStamps.verify(changed, digest, tsa.chain())).isInstanceOf(GeneralSecurityException.class);
    }
}
