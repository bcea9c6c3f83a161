package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import io.netty.handler.ssl.OpenSsl;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.liaison.certs.CaStore;
import org.liaison.certs.Credential;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.local.LocalApiHandler;
import org.liaison.gateway.node.GatewayNode;

/**
 * Issue 25, item 11: every refused connection is counted and audited, under either TLS provider of
 * the peer port — a TLS 1.3 handshake without a client certificate (peer and local ports), a person's
 * certificate on the peer port, and a revoked gateway's resumed session.
 */
class RefusedHandshakeTest extends AlbaniaNodeTest {

    void restartWith(String provider) throws Exception {
        if (provider.equals("openssl")) {
            Assumptions.assumeTrue(OpenSsl.isAvailable(), "netty-tcnative is not loadable here: " + OpenSsl.unavailabilityCause());
        }
        al.close();
        TlsProviderTest.useProvider(t, AL, provider);
        al = GatewayNode.start(t.config(AL), audit, TestNodes.FAST);
    }

    /** Connects with {@code client} (null: no certificate) and tries one message; true when the node answered it. */
    boolean tryOnce(SSLContext client, int port) {
        try (SSLSocket s = RawPeer.connect(client, port, "TLSv1.3")) {
            return RawPeer.post(s, "", RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL),
                    auth(IT).envelopeSigning())).status() > 0;
        } catch (Exception refused) {
            return false;
        }
    }

    List<AuditEvent> authFailures() {
        return audit.events().stream().filter(e -> e.type().equals("auth-failure")).toList();
    }

    void assertAuditedAndCounted(String api, double count) throws Exception {
        TestNodes.await("the refusal audited: " + audit.events(), Duration.ofSeconds(10), () -> authFailures().stream()
                .anyMatch(e -> e.reason().startsWith(api + ": ") && "127.0.0.1".equals(e.details().get("from"))));
        TestNodes.await("the refusal counted", Duration.ofSeconds(10), () -> al.metrics().scrape().contains(
                "liaison_tls_failures_total " + count));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"jdk", "openssl"})
    void aHandshakeWithoutACertificateIsAuditedOnThePeerPort(String provider) throws Exception {
        restartWith(provider);
        assertThat(tryOnce(RawPeer.context(null), al.peerPort())).isFalse();
        assertAuditedAndCounted("peer API", 1.0);
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"jdk", "openssl"})
    void aHandshakeWithoutACertificateIsAuditedOnTheLocalPort(String provider) throws Exception {
        restartWith(provider);
        try (SSLSocket s = RawPeer.connect(RawPeer.context(null), al.localPort(), "TLSv1.3")) {
            RawPeer.request(s, "GET", LocalApiHandler.PREFIX + "inbox", "", new byte[0]);
        } catch (Exception refused) {
            // refused in the handshake or at the first read
        }
        assertAuditedAndCounted("local API", 1.0);
    }

    /** The local API speaks TLS 1.3 only, whichever provider the peer port uses (its context is made without Netty's builder). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"jdk", "openssl"})
    void aTls12ClientIsRefusedOnTheLocalPort(String provider) throws Exception {
        restartWith(provider);
        Credential investigator = t.investigator(AL);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RawPeer.connect(al.localPort(), investigator, "TLSv1.2").close())
                .isInstanceOf(java.io.IOException.class);
        try (SSLSocket s = RawPeer.connect(al.localPort(), investigator, "TLSv1.3")) {
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"jdk,IT-DNA investigator", "openssl,IT-DNA investigator", "jdk,IT-DNA auditor", "openssl,IT-DNA auditor"})
    void aPersonsCertificateOnThePeerPortIsAudited(String provider, String who) throws Exception {
        restartWith(provider);
        Credential person = auth(IT).users().get(who.endsWith("auditor") ? Role.AUDITOR : Role.INVESTIGATOR);
        assertThat(tryOnce(RawPeer.context(HostileMemberTest.jdkKey(person)), al.peerPort())).isFalse();
        assertAuditedAndCounted("peer API", 1.0);
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"jdk", "openssl"})
    void aRevokedGatewaysResumedSessionIsAudited(String provider) throws Exception {
        restartWith(provider);
        Credential italy = auth(IT).gatewayTls();
        SSLContext ctx = RawPeer.context(italy);
        assertThat(tryOnce(ctx, al.peerPort())).isTrue(); // a session to resume
        long reloads = audit.events().stream().filter(e -> e.type().equals("crl-reload")).count();
        CaStore ca = auth(IT).ca();
        ca.revoke(italy.certificate().getSerialNumber(), java.security.cert.CRLReason.KEY_COMPROMISE,
                java.time.Instant.now().minusSeconds(1));
        java.nio.file.Path crl = ca.directory().resolve(CaStore.CRL);
        java.nio.file.attribute.FileTime before = java.nio.file.Files.getLastModifiedTime(crl);
        ca.writeCrl(java.time.Instant.now().minusSeconds(1), Duration.ofDays(7));
        java.nio.file.Files.setLastModifiedTime(crl, java.nio.file.attribute.FileTime.from(before.toInstant().plusSeconds(2)));
        TestNodes.await("CRL reload", Duration.ofSeconds(10),
                () -> audit.events().stream().filter(e -> e.type().equals("crl-reload")).count() > reloads);

        assertThat(tryOnce(ctx, al.peerPort())).isFalse();
        assertAuditedAndCounted("peer API", 1.0);
        // Refused on the resumed session (where TLS runs no trust manager), not by a full handshake.
        assertThat(authFailures()).anyMatch(e -> e.reason().contains("session refused") && e.reason().contains("revoked"));
        assertThat(al.store().inbox().all()).hasSize(1);
    }
}
