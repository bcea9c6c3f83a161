package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.IOException;
import java.security.cert.CRLReason;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.liaison.certs.CaStore;
import org.liaison.certs.Credential;
import org.liaison.gateway.local.LocalApiHandler;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.protocol.ErrorCode;

/**
 * Issue 9, defect 1: a session outlives no revocation. A connection kept open, and a session
 * resumed from a ticket, are authorised against the current CRLs on every request.
 */
class RevokedSessionTest extends AlbaniaNodeTest {

    void revoke(CaStore ca, Credential c) throws Exception {
        long reloads = audit.events().stream().filter(e -> e.type().equals("crl-reload")).count();
        ca.revoke(c.certificate().getSerialNumber(), CRLReason.KEY_COMPROMISE, Instant.now().minusSeconds(1));
        java.nio.file.Path crl = ca.directory().resolve(CaStore.CRL);
        java.nio.file.attribute.FileTime before = java.nio.file.Files.getLastModifiedTime(crl);
        ca.writeCrl(Instant.now().minusSeconds(1), Duration.ofDays(7));
        // A file time the reloader can tell from the last one (file systems may keep whole seconds), without waiting for it.
        java.nio.file.Files.setLastModifiedTime(crl, java.nio.file.attribute.FileTime.from(before.toInstant().plusSeconds(2)));
        TestNodes.await("CRL reload", Duration.ofSeconds(10),
                () -> audit.events().stream().filter(e -> e.type().equals("crl-reload")).count() > reloads);
    }

    /** The answer to a request on a new connection of {@code ctx}, or null when the connection was refused. */
    static RawPeer.Response onNewConnection(SSLContext ctx, int port, String method, String path, byte[] body) {
        try (SSLSocket s = RawPeer.connect(ctx, port, "TLSv1.3")) {
            return RawPeer.request(s, method, path, "", body);
        } catch (Exception e) {
            return null;
        }
    }

    @Test
    void aRevokedInvestigatorIsRefusedOnAnOpenConnectionAndOnAResumedSession() throws Exception {
        Credential investigator = t.investigator(AL);
        SSLContext ctx = RawPeer.context(HostileMemberTest.jdkKey(investigator));
        String inbox = LocalApiHandler.PREFIX + "inbox";
        try (SSLSocket open = RawPeer.connect(ctx, al.localPort(), "TLSv1.3")) {
            assertThat(RawPeer.request(open, "GET", inbox, "", new byte[0]).status()).isEqualTo(200);
            assertThat(onNewConnection(ctx, al.localPort(), "GET", inbox, new byte[0]).status()).isEqualTo(200); // session to resume

            revoke(t.federation.pki().authority(AL).ca(), investigator);

            RawPeer.Response same = RawPeer.request(open, "GET", inbox, "", new byte[0]);
            assertThat(same.status()).isEqualTo(403);
            assertThat(same.body()).contains(ErrorCode.UNAUTHORIZED.code());
        }
        RawPeer.Response resumed = onNewConnection(ctx, al.localPort(), "GET", inbox, new byte[0]);
        assertThat(resumed == null || resumed.status() == 403).as("refused, not %s", resumed).isTrue();
        assertThat(eventually(events -> events.stream().anyMatch(e -> e.type().equals("auth-failure")
                && e.reason().contains("revoked")))).isTrue();
    }

    @Test
    void aRevokedGatewayIsRefusedOnAnOpenConnectionAndOnAResumedSession() throws Exception {
        Credential italy = t.federation.pki().authority(IT).gatewayTls();
        SSLContext ctx = RawPeer.context(italy);
        byte[] body = RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL),
                t.federation.pki().authority(IT).envelopeSigning());
        try (SSLSocket open = RawPeer.connect(ctx, al.peerPort(), "TLSv1.3")) {
            assertThat(RawPeer.post(open, "", body).status()).isEqualTo(200);
            assertThat(onNewConnection(ctx, al.peerPort(), "POST", ReceiveHandler.PATH, body).status())
                    .isEqualTo(200);

            revoke(t.federation.pki().authority(IT).ca(), italy);

            byte[] another = RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL),
                    t.federation.pki().authority(IT).envelopeSigning());
            RawPeer.Response same;
            try {
                same = RawPeer.post(open, "", another);
            } catch (IOException closed) {
                same = null;
            }
            assertThat(same).isNotNull();
            assertThat(same.status()).isEqualTo(403);
            assertThat(same.body()).contains(ErrorCode.UNAUTHORIZED.code());
        }
        RawPeer.Response resumed = onNewConnection(ctx, al.peerPort(), "POST", ReceiveHandler.PATH,
                RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL), t.federation.pki().authority(IT)
                        .envelopeSigning()));
        assertThat(resumed == null || resumed.status() == 403).as("refused, not %s", resumed).isTrue();
        assertThat(al.store().inbox().all()).hasSize(1);
        assertThat(eventually(events -> events.stream().anyMatch(e -> e.type().equals("auth-failure")
                && e.reason().contains("peer API")))).isTrue();
    }
}
