package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import io.netty.handler.ssl.OpenSsl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.tls.HybridTls;
import org.liaison.protocol.ErrorCode;

/**
 * Issue 30, item 3: hybrid TLS (X25519MLKEM768) between gateways whose directory entries announce it, on real
 * nodes over loopback. Italy and Albania announce it (with {@code liaison directory edit --add tls-group=}); the
 * United States does not.
 */
class HybridTlsNodeTest {
    @TempDir
    Path dir;

    TestNodes t;

    @BeforeEach
    void announce() throws Exception {
        Assumptions.assumeTrue(OpenSsl.isAvailable(), "netty-tcnative is not loadable here: " + OpenSsl.unavailabilityCause());
        t = new TestNodes(dir);
        Path fed = t.federation.dir();
        Path draft1 = dir.resolve("draft-1.xml");
        Path draft2 = dir.resolve("draft-2.xml");
        BackupRestoreTest.Run it = BackupRestoreTest.cli("directory", "edit", fed.resolve(FederationSetup.DIRECTORY).toString(),
                "--authority", IT.value(), "--add", "tls-group=X25519MLKEM768", "--out", draft1.toString());
        assertThat(it.code()).as(it.err()).isZero();
        BackupRestoreTest.Run al = BackupRestoreTest.cli("directory", "edit", draft1.toString(), "--authority", AL.value(),
                "--add", "tls-group=X25519MLKEM768", "--out", draft2.toString());
        assertThat(al.code()).as(al.err()).isZero();
        Path signed = dir.resolve("signed.xml");
        BackupRestoreTest.Run sign = BackupRestoreTest.cli("directory", "sign", draft2.toString(), "--key",
                fed.resolve("operator/directory-signing.p12").toString(), "--password-file",
                fed.resolve("operator/directory-signing.password").toString(), "--out", signed.toString());
        assertThat(sign.code()).as(sign.err()).isZero();
        Files.move(signed, fed.resolve(FederationSetup.DIRECTORY), StandardCopyOption.REPLACE_EXISTING);
    }

    static List<AuditEvent> handshakes(MemoryAuditLog audit, String api) {
        return audit.events().stream().filter(e -> e.type().equals("tls-handshake") && e.reason().startsWith(api + ": ")).toList();
    }

    static void awaitHandshake(MemoryAuditLog audit, String api, String actor, String group) throws InterruptedException {
        TestNodes.await(api + " handshake of " + actor + " over " + group + ": " + audit.events(), Duration.ofSeconds(10),
                () -> handshakes(audit, api).stream().anyMatch(e -> e.actor().equals(actor) && group.equals(e.details().get("group"))));
    }

    @Test
    void twoAnnouncingNodesHandshakeWithTheHybridGroupAndOthersClassically() throws Exception {
        MemoryAuditLog itAudit = new MemoryAuditLog();
        MemoryAuditLog alAudit = new MemoryAuditLog();
        MemoryAuditLog usAudit = new MemoryAuditLog();
        try (GatewayNode it = GatewayNode.start(t.config(IT), itAudit, TestNodes.FAST);
                GatewayNode al = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST);
                GatewayNode us = GatewayNode.start(t.config(US), usAudit, TestNodes.FAST)) {
            assertThat(it.trust().directory().require(IT).tlsGroups()).containsExactly(HybridTls.X25519MLKEM768);
            UUID toAl = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("hybrid")));
            TestNodes.await("delivery IT -> AL", Duration.ofSeconds(20), () -> NodeExchangeTest.delivered(it, toAl));
            awaitHandshake(alAudit, "peer API", IT.value(), "X25519MLKEM768");
            awaitHandshake(itAudit, "delivery", AL.value(), "X25519MLKEM768");
            assertThat(al.metrics().scrape()).contains(
                    "liaison_tls_handshakes_total{api=\"peer-API\",group=\"X25519MLKEM768\",outcome=\"ok\"}");

            // The United States does not announce it: classical, both ways, and delivered.
            UUID fromUs = us.outbox().submit(t.submission(US, List.of(AL), null, null, TestNodes.text("classical in")));
            TestNodes.await("delivery US -> AL", Duration.ofSeconds(20), () -> NodeExchangeTest.delivered(us, fromUs));
            awaitHandshake(alAudit, "peer API", US.value(), "X25519");
            UUID toUs = al.outbox().submit(t.submission(AL, List.of(US), null, null, TestNodes.text("classical out")));
            TestNodes.await("delivery AL -> US", Duration.ofSeconds(20), () -> NodeExchangeTest.delivered(al, toUs));
            awaitHandshake(alAudit, "delivery", US.value(), "X25519");
            awaitHandshake(usAudit, "peer API", AL.value(), "X25519");
            assertThat(al.metrics().scrape()).contains("liaison_tls_handshakes_total{api=\"peer-API\",group=\"X25519\",outcome=\"ok\"}");
            assertThat(alAudit.events()).noneMatch(e -> e.type().equals("auth-failure"));
        }
    }

    /** Java 17's own TLS offers only classical groups: a gateway of Italy (which announces hybrid) using it is refused. */
    @Test
    void aClassicalOnlyHandshakeFromAnAnnouncingPeerIsRefused() throws Exception {
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode al = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            Throwable refused = catchThrowable(() -> {
                try (SSLSocket s = RawPeer.connect(al.peerPort(), t.federation.pki().authority(IT).gatewayTls(), "TLSv1.3")) {
                    RawPeer.post(s, "", RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL),
                            t.federation.pki().authority(IT).envelopeSigning()));
                }
            });
            assertThat(refused).as("the node answered a classical handshake from an announcing peer").isNotNull();
            TestNodes.await("the refusal audited: " + alAudit.events(), Duration.ofSeconds(10), () -> alAudit.events().stream()
                    .anyMatch(e -> e.type().equals("auth-failure") && e.reason().contains(ErrorCode.TLS_DOWNGRADE_REFUSED.code())
                            && e.actor().equals(IT.value())));
            assertThat(handshakes(alAudit, "peer API")).anyMatch(e -> e.outcome().equals("refused") && "X25519".equals(e.details().get("group")));
            assertThat(al.store().inbox().all()).isEmpty();
            assertThat(al.metrics().scrape()).contains("liaison_tls_handshakes_total{api=\"peer-API\",group=\"X25519\",outcome=\"refused\"}");

            // The same classical client with the credential of the United States (no announcement) is answered.
            try (SSLSocket s = RawPeer.connect(al.peerPort(), t.federation.pki().authority(US).gatewayTls(), "TLSv1.3")) {
                assertThat(RawPeer.post(s, "", RawPeer.message(al.trust().directory(), t.investigator(US), US, List.of(AL),
                        t.federation.pki().authority(US).envelopeSigning())).status()).isEqualTo(200);
            }
        }
    }

    @Test
    void theLocalApiOfAnAnnouncingNodeIsHybridAndOfAnotherClassical() throws Exception {
        MemoryAuditLog alAudit = new MemoryAuditLog();
        MemoryAuditLog usAudit = new MemoryAuditLog();
        try (GatewayNode al = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST);
                GatewayNode us = GatewayNode.start(t.config(US), usAudit, TestNodes.FAST)) {
            UUID id = us.outbox().submit(t.submission(US, List.of(AL), null, null, TestNodes.text("to fetch")));
            TestNodes.await("delivery US -> AL", Duration.ofSeconds(20), () -> NodeExchangeTest.delivered(us, id));
            LocalClient alInvestigator = new LocalClient(
                    t.federation.profiles().get(AL).get(Role.INVESTIGATOR));
            assertThat(alInvestigator.get(LocalApi.INBOX)).hasSize(1); // one blocking TLS socket
            try (java.io.InputStream in = alInvestigator.fetch(id.toString())) { // the JDK's HttpClient on the same context
                assertThat(in.readAllBytes().length).isGreaterThan(4);
            }
            TestNodes.await("both local handshakes audited: " + alAudit.events(), Duration.ofSeconds(10),
                    () -> handshakes(alAudit, "local API").stream().filter(e -> "X25519MLKEM768".equals(e.details().get("group"))).count() >= 2);
            assertThat(al.metrics().scrape()).contains(
                    "liaison_tls_handshakes_total{api=\"local-API\",group=\"X25519MLKEM768\",outcome=\"ok\"}");

            LocalClient usInvestigator = new LocalClient(
                    t.federation.profiles().get(US).get(Role.INVESTIGATOR));
            assertThat(usInvestigator.get(LocalApi.INBOX)).isEmpty(); // US sent, received nothing
            TestNodes.await("the local handshake audited: " + usAudit.events(), Duration.ofSeconds(10),
                    () -> handshakes(usAudit, "local API").stream().anyMatch(e -> e.outcome().equals("ok")));
            assertThat(handshakes(usAudit, "local API")).noneMatch(e -> "X25519MLKEM768".equals(e.details().get("group")));
        }
    }

    @Test
    void anAnnouncingNodeOnTheJdksTlsRefusesToStart() throws Exception {
        TlsProviderTest.useProvider(t, AL, "jdk");
        Throwable refused = catchThrowable(() -> t.start(AL).close());
        assertThat(refused).hasMessageContaining("announces X25519MLKEM768").hasMessageContaining("tlsProvider: openssl");
    }
}
