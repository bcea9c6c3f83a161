package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CRLReason;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.gateway.peer.StagedTransfers;

/** Everything Albania's peer API must refuse — each with an audit entry and nothing stored. */
class PeerRefusalTest extends AlbaniaNodeTest {


    /** The handshake or the first exchange fails; nothing is stored; an auth failure is audited. */
    void assertRefusedAtTls(Credential client, String protocol) throws Exception {
        Throwable thrown = catchThrowable(() -> {
            try (SSLSocket s = RawPeer.connect(al.peerPort(), client, protocol)) {
                RawPeer.post(s, "", RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL),
                        auth(IT).envelopeSigning()));
            }
        });
        assertThat(thrown).isInstanceOf(IOException.class);
        assertThat(al.store().inbox().all()).isEmpty();
    }

    boolean audited(String type, String reasonPart) {
        return audit.events().stream().anyMatch(e -> e.type().equals(type) && e.reason() != null && e.reason().contains(reasonPart));
    }

    @Test
    void validPeerIsAcceptedOverTheSameRawClient() throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            RawPeer.Response r = RawPeer.post(s, "", RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL),
                    auth(IT).envelopeSigning()));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("<Receipt");
        }
        assertThat(al.store().inbox().all()).hasSize(1);
    }

    @Test
    void noClientCertificateIsRefusedAuditedAndCounted() throws Exception {
        assertRefusedAtTls(null, "TLSv1.3");
        // The TLS layer refuses before any trust manager runs: the failed handshake itself is audited and counted.
        TestNodes.await("audit", Duration.ofSeconds(5), () -> audited("auth-failure", "handshake failed"));
        assertThat(al.metrics().scrape()).containsPattern("liaison_tls_failures_total(\\{[^}]*\\})? 1\\.0");
    }

    /** Sends {@code bytes} one at a time, {@code gapMillis} apart; returns the seconds until the server closed, or -1 if it never did. */
    static double trickle(SSLSocket s, byte[] bytes, long gapMillis) throws Exception {
        long start = System.nanoTime();
        try {
            for (byte b : bytes) {
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
                Thread.sleep(gapMillis);
            }
        } catch (IOException closed) {
            return (System.nanoTime() - start) / 1e9;
        }
        return -1;
    }

    @Test
    void aRequestHeadSentAByteAtATimeIsCutOffAndAudited() throws Exception {
        // Each byte resets the 3 s read timeout; the head deadline (3 s in these tests) does not move.
        byte[] head = ("POST " + ReceiveHandler.PATH + " HTTP/1.1\r\nHost: peer\r\nX-Slow: "
                + "a".repeat(200) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            double closedAfter = trickle(s, head, 500); // 110 s if never cut off
            assertThat(closedAfter).as("seconds until the server closed").isBetween(0.0, 30.0);
        }
        TestNodes.await("audit", Duration.ofSeconds(5), () -> audit.events().stream().anyMatch(e -> e.type().equals("timeout")));
    }

    @Test
    void aBodySentTooSlowlyIsCutOff() throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            s.getOutputStream().write(("POST " + ReceiveHandler.PATH + " HTTP/1.1\r\nHost: peer\r\n"
                    + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            double closedAfter = trickle(s, new byte[200], 500); // 2 bytes a second, far below the minimum rate
            assertThat(closedAfter).as("seconds until the server closed").isBetween(0.0, 30.0);
        }
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void repeatedRefusalsFromOneAddressAreAuditedOnceAndCountedInFull() throws Exception {
        CertificateAuthority self = CertificateAuthority.createRoot("CN=IT-DNA gateway, O=IT-DNA, C=IT",
                KeyAlgorithm.EC_P256, java.time.Instant.now().minusSeconds(60),
                java.time.Instant.now().plusSeconds(3600), 0);
        for (int i = 0; i < 20; i++) {
            assertRefusedAtTls(self.credential(), "TLSv1.3");
        }
        TestNodes.await("metric", Duration.ofSeconds(5), () -> al.metrics().scrape().contains("liaison_tls_failures_total 20.0"));
        assertThat(eventually(events -> events.stream().filter(e -> e.type().equals("auth-failure")).count() == 1)).isTrue();
        al.close(); // closing writes the summary of the window: no refusal goes uncounted in the log
        assertThat(audit.events()).anyMatch(e -> e.type().equals("auth-failure") && e.reason().contains("19 more refusals"));
        al = GatewayNode.start(t.config(AL), audit, TestNodes.FAST);
    }

    @Test
    void selfSignedCertificateIsRefused() throws Exception {
        CertificateAuthority self = CertificateAuthority.createRoot("CN=IT-DNA gateway, O=IT-DNA, C=IT",
                KeyAlgorithm.EC_P256, java.time.Instant.now().minusSeconds(60),
                java.time.Instant.now().plusSeconds(3600), 0);
        assertRefusedAtTls(self.credential(), "TLSv1.3");
        // The JDK's TLS hands the chain to the node's trust manager, which names the certificate; BoringSSL refuses this
        // root (its key usage is for signing certificates, not handshakes) before asking it. Refused and audited either way.
        TestNodes.await("audit", Duration.ofSeconds(2), () -> audited("auth-failure", "is not a gateway certificate")
                || audited("auth-failure", "KEY_USAGE_BIT_INCORRECT"));
    }

    @Test
    void certificateFromAnUnknownCaIsRefused() throws Exception {
        Credential stranger = TestPki.create(Suite.MODERN, "Stranger").issue(CertificateProfile.GATEWAY_TLS, "IT-DNA gateway");
        assertRefusedAtTls(stranger, "TLSv1.3");
    }

    @Test
    void validCertificateThatIsNotAGatewayCertificateIsRefused() throws Exception {
        // The Italian investigator's certificate chains to Italy's CA and is valid — but it is no gateway's.
        assertRefusedAtTls(t.investigator(IT), "TLSv1.3");
    }

    @Test
    void gatewayCertificateOfTheRightCaThatTheDirectoryDoesNotListIsRefused() throws Exception {
        // Valid, issued by Italy's national CA for gateway TLS — but not the certificate the directory names.
        var kp = KeyAlgorithm.EC_P256.generate();
        var chain = auth(IT).ca().issue(CertificateAuthority.Request.of("CN=IT-DNA gateway, O=IT-DNA, C=IT", kp.getPublic(),
                CertificateProfile.GATEWAY_TLS, java.time.Instant.now().minusSeconds(60), java.time.Instant.now().plusSeconds(3600)));
        assertRefusedAtTls(Credential.create(kp.getPrivate(), chain), "TLSv1.3");
        TestNodes.await("audit", Duration.ofSeconds(2), () -> audited("auth-failure", "is not a gateway certificate"));
    }

    @Test
    void revokedGatewayCertificateIsRefusedOnceTheCrlIsLoaded() throws Exception {
        var italy = auth(IT);
        italy.ca().revoke(italy.gatewayTls().certificate().getSerialNumber(), CRLReason.KEY_COMPROMISE,
                java.time.Instant.now().minusSeconds(1));
        italy.ca().writeCrl(java.time.Instant.now().minusSeconds(1), Duration.ofDays(7));
        TestNodes.await("CRL reload", Duration.ofSeconds(5), () -> audit.events().stream().anyMatch(e -> e.type().equals("crl-reload")));
        assertRefusedAtTls(italy.gatewayTls(), "TLSv1.3");
        TestNodes.await("audit", Duration.ofSeconds(2), () -> audited("auth-failure", "revoked on"));
    }

    @Test
    void tls12ClientIsRefused() {
        Throwable thrown = catchThrowable(() -> RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.2").close());
        assertThat(thrown).isInstanceOf(IOException.class);
    }

    @Test
    void envelopeWhoseSenderIsNotTheTlsPeerIsRefused() throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            // Italy's connection carries an envelope that the US gateway signed.
            RawPeer.Response r = RawPeer.post(s, "", RawPeer.message(al.trust().directory(), t.investigator(US), US, List.of(AL),
                    auth(US).envelopeSigning()));
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.body()).contains("LIAISON:0013").contains("connection is from IT-DNA");
        }
        assertThat(al.store().inbox().all()).isEmpty();
        assertThat(eventually(events -> audited("reject", "LIAISON:0013"))).isTrue();
    }

    @Test
    void envelopeForAnotherRecipientIsRefused() throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            RawPeer.Response r = RawPeer.post(s, "", RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(US),
                    auth(IT).envelopeSigning()));
            assertThat(r.status()).isEqualTo(422);
            assertThat(r.body()).contains("LIAISON:0012");
        }
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void oversizeHeadersAndBodiesAreRefused() throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            RawPeer.Response r = RawPeer.post(s, "X-Filler: " + "a".repeat(20_000) + "\r\n", new byte[0]);
            assertThat(r.status()).isEqualTo(413);
        }
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            String head = "POST /liaison/v1/messages HTTP/1.1\r\nHost: p\r\nContent-Length: " + (2L << 30) + "\r\n\r\n";
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            RawPeer.Response r = RawPeer.read(s.getInputStream());
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.body()).contains("exceeds the limit");
        }
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            byte[] huge = java.nio.ByteBuffer.allocate(8).putInt(100 << 20).array();
            RawPeer.Response r = RawPeer.post(s, "", huge);
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.body()).contains("envelope of");
        }
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void malformedAuditProofRequestsAreRefused() throws Exception {
        String[][] cases = {
            {"GET /liaison/v1/audit/elsewhere HTTP/1.1\r\nHost: p\r\n\r\n", "unknown request GET"},
            {"GET /liaison/v1/audit/consistency?from=x&to=2 HTTP/1.1\r\nHost: p\r\n\r\n", "must be tree sizes"},
            {"GET /liaison/v1/audit/consistency?from=1&to=2 HTTP/1.1\r\nHost: p\r\nContent-Length: 5\r\n\r\nhello", "has no body"},
            // This node runs with an in-memory log: nothing to prove.
            {"GET /liaison/v1/audit/consistency?from=1&to=2 HTTP/1.1\r\nHost: p\r\n\r\n", "keeps no signed audit log"},
        };
        for (String[] c : cases) {
            try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
                s.getOutputStream().write(c[0].getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                RawPeer.Response r = RawPeer.read(s.getInputStream());
                assertThat(r.status()).as(c[0]).isBetween(400, 499);
                assertThat(r.body()).as(c[0]).contains(c[1]);
            }
        }
        assertThat(eventually(events -> events.stream().filter(e -> e.type().equals("reject")).count() == cases.length)).isTrue();
        assertThat(audit.events()).filteredOn(e -> e.type().equals("reject")).hasSize(cases.length);
    }

    @Test
    void stalledClientIsDisconnectedAfterTheReadTimeout() throws Exception {
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            String head = "POST /liaison/v1/messages HTTP/1.1\r\nHost: p\r\nContent-Length: 1000\r\n\r\nabc";
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            long start = System.nanoTime();
            Throwable closed = catchThrowable(() -> RawPeer.read(s.getInputStream()));
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertThat(closed).isInstanceOf(IOException.class);
            assertThat(seconds).isBetween(2L, 10L);
        }
        TestNodes.await("audit", Duration.ofSeconds(2), () -> audit.events().stream().map(AuditEvent::type).anyMatch("timeout"::equals));
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void aPeerThatCutsManyDeliveriesStagesWithinItsBudgetAndWhatIsDroppedIsAuditedAndCounted() throws Exception {
        java.nio.file.Path staged = t.federation.dir().resolve(AL.value()).resolve("data/blobs/transfers").resolve(IT.value());
        int cuts = StagedTransfers.MAX_PER_PEER + 3;
        for (int i = 0; i < cuts; i++) {
            byte[] body = RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL), auth(IT).envelopeSigning());
            int envelope = java.nio.ByteBuffer.wrap(body).getInt();
            try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
                s.getOutputStream().write(("POST " + ReceiveHandler.PATH + " HTTP/1.1\r\nHost: peer\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(body, 0, 4 + envelope); // the signed envelope, then the connection breaks
                s.getOutputStream().flush();
                int before = i;
                TestNodes.await("the transfer staged", Duration.ofSeconds(10), () -> {
                    try (var d = java.nio.file.Files.list(staged)) {
                        return d.count() == Math.min(before + 1, StagedTransfers.MAX_PER_PEER);
                    } catch (IOException e) {
                        return false;
                    }
                });
                TestNodes.await("the dropped transfer audited", Duration.ofSeconds(10), () -> audit.events().stream()
                        .filter(e -> e.type().equals("transfer-dropped")).count() == Math.max(0,
                                before + 1 - StagedTransfers.MAX_PER_PEER));
            }
        }
        try (var d = java.nio.file.Files.list(staged)) {
            assertThat(d.count()).isEqualTo(StagedTransfers.MAX_PER_PEER);
        }
        assertThat(audit.events()).filteredOn(e -> e.type().equals("transfer-dropped")).hasSize(3)
                .allMatch(e -> IT.value().equals(e.counterpart()) && e.reason().contains("more than "
                        + StagedTransfers.MAX_PER_PEER + " transfers staged from " + IT));
        assertThat(al.metrics().scrape()).contains("liaison_transfers_dropped_total{reason=\"budget\"} 3.0")
                .containsPattern("liaison_transfers_staged(\\{[^}]*\\})? " + StagedTransfers.MAX_PER_PEER + "\\.0");
        assertThat(al.store().inbox().all()).isEmpty();
    }
}
