package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Fingerprint;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.local.LocalApiHandler;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.ErrorCode;

/** Issue 9, defect 6: an idempotency key belongs to the person who used it, and to one package. */
class IdempotencyKeyTest {
    @TempDir
    Path dir;

    static RawPeer.Response submit(GatewayNode node, Credential user, String key, byte[] manifest, byte[] files) throws Exception {
        byte[] body = ByteBuffer.allocate(4 + manifest.length + files.length).putInt(manifest.length).put(manifest).put(files).array();
        try (SSLSocket s = RawPeer.connect(node.localPort(), HostileMemberTest.jdkKey(user), "TLSv1.3")) {
            return RawPeer.request(s, "POST", LocalApiHandler.PREFIX + "submit", "Idempotency-Key: " + key + "\r\n", body);
        }
    }

    static com.fasterxml.jackson.databind.JsonNode messages(GatewayNode node, Credential user, String path) throws Exception {
        try (SSLSocket s = RawPeer.connect(node.localPort(), HostileMemberTest.jdkKey(user), "TLSv1.3")) {
            RawPeer.Response r = RawPeer.request(s, "GET", path, "", new byte[0]);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            return new ObjectMapper().readTree(r.body());
        }
    }

    @Test
    void anotherUsersKeyNeverReturnsTheirMessageAndAKeyServesOnePackage() throws Exception {
        TestNodes t = new TestNodes(dir);
        MemoryAuditLog audit = new MemoryAuditLog();
        try (GatewayNode it = GatewayNode.start(t.config(IT), audit, TestNodes.FAST)) {
            Credential a = t.investigator(IT);
            KeyPair kp = t.federation.pki().suite().keyFor(CertificateProfile.INVESTIGATOR).generate();
            Instant now = Instant.now();
            Credential b = Credential.create(kp.getPrivate(), t.federation.pki().authority(IT).ca().issue(new CertificateAuthority.Request(
                    "CN=IT-DNA investigator B, OU=IT-DNA", kp.getPublic(), CertificateProfile.INVESTIGATOR, now.minusSeconds(60),
                    now.plus(Duration.ofDays(1)), List.of(), List.of(), -1)));

            RawPeer.Response first = submit(it, a, "case-7", RawPeer.manifest(a, IT, List.of(AL), Set.of()), RawPeer.PAYLOAD);
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            String aId = new ObjectMapper().readTree(first.body()).path("messageId").asText();

            // B posts garbage with A's key: refused before any lookup, and nothing is recorded as accepted for B.
            RawPeer.Response garbage = submit(it, b, "case-7", "garbage".getBytes(StandardCharsets.UTF_8), new byte[0]);
            assertThat(garbage.status()).isEqualTo(400);
            assertThat(garbage.body()).doesNotContain(aId);
            assertThat(audit.events()).noneMatch(e -> e.type().equals("submit-accepted") && !e.actor().equals(
                    "SHA256:" + Fingerprint.of(a.certificate()).hex()));

            // B's own package with the same key string is B's: a new message.
            RawPeer.Response bs = submit(it, b, "case-7", RawPeer.manifest(b, IT, List.of(AL), Set.of()), RawPeer.PAYLOAD);
            assertThat(bs.status()).as(bs.body()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(bs.body()).path("messageId").asText()).isNotEqualTo(aId);

            // A re-runs the same package: the same message. A reuses the key for another package: 409.
            RawPeer.Response again = submit(it, a, "case-7", RawPeer.manifest(a, IT, List.of(AL), Set.of()), RawPeer.PAYLOAD);
            assertThat(new ObjectMapper().readTree(again.body()).path("messageId").asText()).isEqualTo(aId);
            RawPeer.Response other = submit(it, a, "case-7", RawPeer.manifest(a, IT, List.of(AL, TestNodes.US), Set.of()),
                    RawPeer.PAYLOAD);
            assertThat(other.status()).isEqualTo(409);
            assertThat(other.body()).contains(ErrorCode.IDEMPOTENCY_CONFLICT.code()).contains("case-7").contains(aId);
            assertThat(it.store().sent().all()).hasSize(2);

            // Need to know: each investigator follows their own messages only.
            String bId = new ObjectMapper().readTree(bs.body()).path("messageId").asText();
            assertThat(messages(it, a, LocalApi.MESSAGES).findValuesAsText("messageId")).containsExactly(aId);
            assertThat(messages(it, b, LocalApi.MESSAGES).findValuesAsText("messageId")).containsExactly(bId);
            try (SSLSocket s = RawPeer.connect(it.localPort(), HostileMemberTest.jdkKey(b), "TLSv1.3")) {
                RawPeer.Response notHers = RawPeer.request(s, "GET", LocalApi.MESSAGES + "/" + aId, "",
                        new byte[0]);
                assertThat(notHers.status()).isEqualTo(404);
            }
        }
    }
}
