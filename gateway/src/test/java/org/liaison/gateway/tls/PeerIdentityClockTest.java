package org.liaison.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Purpose;
import org.liaison.gateway.TestNodes;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.directory.Trust;

/**
 * A peer's gateway certificate is checked at the node's time, not the system's: on a node whose clock is past the
 * certificate's expiry, the peer is refused. Regression: the check read {@code Instant.now()}.
 */
class PeerIdentityClockTest {
    @TempDir
    Path dir;

    @Test
    void aCertificateIsCheckedAtTheNodesTime() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Trust trust;
        try (GatewayNode node = GatewayNode.open(t.config(AL), new MemoryAuditLog(), TestNodes.FAST)) {
            trust = node.trust();
        }
        X509Certificate italy = t.federation.pki().authority(IT).gatewayTls().certificate();
        Instant expiry = italy.getNotAfter().toInstant();

        PeerIdentity now = new PeerIdentity(() -> trust, Clock.systemUTC());
        assertThat(now.identify(italy, Purpose.TLS_CLIENT)).isEqualTo(IT);
        PeerIdentity later = new PeerIdentity(() -> trust, Clock.fixed(expiry.plus(Duration.ofDays(1)), ZoneOffset.UTC));
        assertThatThrownBy(() -> later.identify(italy, Purpose.TLS_CLIENT)).isInstanceOf(CertificateException.class);
        assertThatThrownBy(() -> PeerIdentity.identify(trust, italy, Purpose.TLS_SERVER, expiry.plusSeconds(1)))
                .isInstanceOf(CertificateException.class);
    }
}
