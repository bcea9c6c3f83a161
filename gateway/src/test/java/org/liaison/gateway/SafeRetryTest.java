package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Credential;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.UserProfile;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Outbox;

/** Issue 14: retrying a submit is safe by default, and a lost answer is reported as what it is. */
class SafeRetryTest {
    @TempDir
    Path dir;

    /** A TLS server with the gateway's certificate that reads a request and closes without answering (a node dying mid-request). */
    static SSLServerSocket dyingGateway(Credential tls) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", HostileMemberTest.jdkKey(tls).privateKey(), "pw".toCharArray(), tls.chain().toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "pw".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {RawPeer.trustAnyServer()}, null);
        SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress());
        server.setWantClientAuth(true);
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    InputStream in = s.getInputStream();
                    in.readNBytes(200); // part of the request, then the "node" is gone
                } catch (Exception e) {
                    // next
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return server;
    }

    static void pointTo(Path profile, String gateway) throws Exception {
        UserProfile p = UserProfile.load(profile);
        new UserProfile(p.authority(), p.role(), gateway, p.keystore(), p.passwordFile(), p.gatewayCa(), p.federation()).write(profile);
    }

    @Test
    void aLostAnswerSaysTheOutcomeIsUnknownAndReRunningTheSameCommandMakesOneMessage() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        String realGateway = UserProfile.load(it).gateway();
        Path file = Files.writeString(dir.resolve("statement.txt"), "account 4711");
        String[] submit = {"--profile", it.toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "OP-1",
            "--legal-basis", "UNTOC art. 18", file.toString()};

        try (SSLServerSocket dying = dyingGateway(t.federation.pki().authority(IT).gatewayTls())) {
            pointTo(it, "https://localhost:" + dying.getLocalPort());
            CliEndToEndTest.Run lost = CliEndToEndTest.liaison(submit);
            assertThat(lost.exit()).isEqualTo(1);
            assertThat(lost.err()).contains("closed before it answered").contains("may have accepted this package")
                    .contains("re-run the same command").contains("key auto-").doesNotContain("check that your certificate");
        }
        pointTo(it, realGateway);
        try (GatewayNode node = GatewayNode.start(t.config(IT), new MemoryAuditLog(), TestNodes.FAST)) {
            CliEndToEndTest.Run first = CliEndToEndTest.liaison(submit);
            assertThat(first.exit()).as(first.err()).isZero();
            assertThat(first.err()).contains("resuming an earlier attempt");
            CliEndToEndTest.Run second = CliEndToEndTest.liaison(submit);
            assertThat(second.out().trim()).isEqualTo(first.out().trim());
            assertThat(node.store().sent().all()).hasSize(1);
        }
    }

    @Test
    void concurrentAttemptsWithOneKeyMakeOneMessageAndWriteNothingForTheOthers() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        MemoryAuditLog audit = new MemoryAuditLog();
        try (GatewayNode it = GatewayNode.start(t.config(IT), audit, TestNodes.FAST)) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            ConcurrentHashMap<String, java.util.Set<UUID>> ids = new ConcurrentHashMap<>();
            List<Future<?>> all = new java.util.ArrayList<>();
            for (int k = 0; k < 10; k++) {
                String key = "key-" + k;
                Outbox.Submission s = t.submission(IT, List.of(AL), null, key, TestNodes.text("package " + k));
                for (int attempt = 0; attempt < 4; attempt++) {
                    all.add(pool.submit(() -> {
                        UUID id = it.outbox().submit(s);
                        ids.computeIfAbsent(key, x -> ConcurrentHashMap.newKeySet()).add(id);
                        return null;
                    }));
                }
            }
            for (Future<?> f : all) {
                f.get(); // every attempt succeeds
            }
            pool.shutdown();
            assertThat(ids).hasSize(10);
            ids.values().forEach(v -> assertThat(v).hasSize(1));
            assertThat(it.store().sent().all()).hasSize(10);
            // The audit log names only messages that exist; no orphan folder is left.
            java.util.Set<String> existing = new java.util.HashSet<>();
            it.store().sent().all().forEach(o -> existing.add(o.messageId().toString()));
            assertThat(audit.events()).filteredOn(e -> List.of("submit", "seal", "submit-failed").contains(e.type()))
                    .allMatch(e -> existing.contains(e.messageId()));
            try (var folders = Files.list(it.store().sent().all().get(0).blobs().getParent())) {
                assertThat(folders.count()).isEqualTo(10);
            }
        }
    }

    @Test
    void aReceptionLoggedBeforeACrashAndStoredAfterIsCountedOnce() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        UUID id = UUID.randomUUID();
        Path auditDir = t.auditDir(AL);
        try (GatewayNode al = t.startLogged(AL)) {
            assertThat(al.store().inbox().all()).isEmpty(); // creates the log
        }
        // The node logged the reception, then died before its store committed it.
        try (FileAuditLog log = t.auditLog(AL, java.time.Duration.ofHours(1))) {
            log.record(AuditEvent.of("receive", "IT-DNA", id.toString(), "IT-DNA", "ok", null));
        }
        try (GatewayNode al = t.startLogged(AL)) {
            byte[] body = RawPeer.message(al.trust().directory(), t.federation.pki().authority(IT).envelopeSigning(), IT, List.of(AL),
                    id, RawPeer.manifest(t.investigator(IT), IT, List.of(AL), java.util.Set.of()), RawPeer.PAYLOAD);
            try (SSLSocket s = RawPeer.connect(al.peerPort(), t.federation.pki().authority(IT).gatewayTls(), "TLSv1.3")) {
                assertThat(RawPeer.post(s, "", body).status()).isEqualTo(200); // the sender's retry
            }
            assertThat(al.store().inbox().all()).hasSize(1);
        }
        long receives = 0;
        long duplicates = 0;
        for (byte[] e : AuditLogVerifier.entries(auditDir)) {
            String text = new String(e, java.nio.charset.StandardCharsets.UTF_8);
            if (text.contains(id.toString())) {
                receives += text.contains("\"type\":\"receive\"") ? 1 : 0;
                duplicates += text.contains("\"type\":\"receive-duplicate\"") ? 1 : 0;
            }
        }
        assertThat(receives).isEqualTo(1);
        assertThat(duplicates).isEqualTo(1);
    }
}
