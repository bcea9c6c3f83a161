package org.liaison.gateway.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;

/** The CRLs a node has held over time, and the one in force at a given time picked per issuer. */
class CrlHistoryTest {
    @TempDir
    Path dir;

    @Test
    void eachCrlIsKeptOnceAndTheOneInForceAtATimeIsPickedPerIssuer() throws Exception {
        TestPki pki = TestPki.create(Suite.MODERN, "History");
        Instant t0 = pki.now.minus(Duration.ofDays(20));
        X509CRL first = pki.intermediate.crl(List.of(), t0, t0.plus(Duration.ofDays(7)), BigInteger.ONE);
        X509CRL second = pki.intermediate.crl(List.of(), t0.plus(Duration.ofDays(6)), t0.plus(Duration.ofDays(13)), BigInteger.TWO);
        X509CRL rootCrl = pki.root.crl(List.of(), t0, t0.plus(Duration.ofDays(30)), BigInteger.ONE);
        CrlHistory h = new CrlHistory(dir.resolve("crls"));
        h.keep(List.of(first, rootCrl));
        h.keep(List.of(second, rootCrl));
        h.keep(List.of(second, rootCrl));
        try (var files = Files.list(dir.resolve("crls"))) {
            assertThat(files.count()).isEqualTo(3);
        }
        List<X509CRL> all = new CrlHistory(dir.resolve("crls")).all();
        assertThat(all).containsExactlyInAnyOrder(first, second, rootCrl);
        // day 3: only the first; day 6.5: both in force, the newer wins; day 10: the second; day 14: none of the intermediate's
        assertThat(CrlHistory.validAt(all, t0.plus(Duration.ofDays(3)))).containsExactlyInAnyOrder(first, rootCrl);
        assertThat(CrlHistory.validAt(all, t0.plus(Duration.ofHours(156)))).containsExactlyInAnyOrder(second, rootCrl);
        assertThat(CrlHistory.validAt(all, t0.plus(Duration.ofDays(10)))).containsExactlyInAnyOrder(second, rootCrl);
        assertThat(CrlHistory.validAt(all, t0.plus(Duration.ofDays(14)))).containsExactly(rootCrl);
        assertThat(CrlHistory.validAt(all, t0.minusSeconds(1))).isEmpty();
        assertThat(CrlHistory.validAtAny(all, List.of(t0.plus(Duration.ofDays(3)), t0.plus(Duration.ofDays(10)))))
                .containsExactlyInAnyOrder(first, second, rootCrl);
    }
}
