package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Credential;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.HybridPrivateKey;
import org.liaison.certs.Keystores;
import org.liaison.certs.Passwords;
import org.liaison.certs.Pem;
import org.liaison.certs.Suite;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.xenc.HybridKem;

/**
 * A modern federation moves Albania to pq-hybrid while messages flow both ways, with the commands an
 * operator types (certs issue --suite pq-hybrid, directory edit --add kem= / --use / --suite, directory
 * sign) and the key-rotation path that exists: no restart, nothing lost or refused, what was sealed
 * to the old X25519 key still opens, and what is sealed afterwards uses the hybrid KEM.
 */
class PqHybridRotationTest {
    @TempDir
    Path dir;

    private TestNodes t;
    private Path fed;
    private Path al;

    private static String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        assertThat(code).as(String.join(" ", args) + "\n" + err).isZero();
        return out.toString();
    }

    private void publish(String... edits) throws Exception {
        Path draft = dir.resolve("draft-" + UUID.randomUUID() + ".xml");
        List<String> args = new ArrayList<>(List.of("directory", "edit", fed.resolve("directory.xml").toString(), "--authority",
                AL.value(), "--out", draft.toString()));
        args.addAll(List.of(edits));
        cli(args.toArray(new String[0]));
        Path signed = dir.resolve("signed-" + UUID.randomUUID() + ".xml");
        cli("directory", "sign", draft.toString(), "--key", fed.resolve("operator/directory-signing.p12").toString(),
                "--password-file", fed.resolve("operator/directory-signing.password").toString(), "--out", signed.toString());
        Files.move(signed, fed.resolve("directory.xml"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean delivered(GatewayNode node, UUID id) {
        List<MessageStore.Delivery> ds = node.store().deliveries().of(id);
        return !ds.isEmpty() && ds.stream().allMatch(d -> d.state() == MessageStore.State.DELIVERED);
    }

    private static MessageStore.Received received(GatewayNode node, UUID id) {
        return node.store().inbox().all().stream().filter(r -> r.messageId().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void albaniaMovesToPqHybridUnderLoadAndOldEnvelopesStayReadable() throws Exception {
        t = new TestNodes(dir.resolve("federation"));
        fed = t.federation.dir();
        al = fed.resolve(AL.value());
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode it = GatewayNode.start(t.config(IT), new MemoryAuditLog(), TestNodes.FAST);
                GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            String oldEncryption = alNode.keys().encryption().fingerprint().hex();
            List<UUID> toAl = Collections.synchronizedList(new ArrayList<>());
            List<UUID> toIt = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread load = new Thread(() -> {
                try {
                    for (int i = 0; !stop.get(); i++) {
                        toAl.add(it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("to AL " + i))));
                        toIt.add(alNode.outbox().submit(t.submission(AL, List.of(IT), null, null, TestNodes.text("to IT " + i))));
                        Thread.sleep(40);
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            }, "load");
            load.start();
            TestNodes.await("first messages delivered", Duration.ofSeconds(30), () -> toAl.size() > 5 && delivered(it, toAl.get(0)));
            UUID sealedClassically = toAl.get(0);

            // 1. Albania's operator makes the hybrid encryption key: an X25519 and an ML-KEM-768 certificate, one keystore.
            String issued = cli("certs", "issue", "--ca", al.resolve("ca").toString(), "--ca-password-file",
                    al.resolve("ca.password").toString(), "--profile", "encryption", "--suite", "pq-hybrid", "--subject",
                    "CN=AL-PP encryption 2, O=PP, C=AL", "--out", al.resolve("encryption-2.p12").toString(), "--password-file",
                    al.resolve("encryption.password").toString());
            assertThat(issued).contains("ML-KEM-768 certificate");
            Path pem = al.resolve("encryption-2.pem");
            Path kemPem = al.resolve("encryption-2-kem.pem");
            String next = Fingerprint.of(Pem.readCertificate(pem)).hex();

            // 2. The federation operator announces both halves (listed after the key in use: nobody seals to them yet).
            publish("--add", "encryption=" + pem, "--add", "kem=" + kemPem);
            TestNodes.await("directory #2 on both nodes", Duration.ofSeconds(10),
                    () -> it.trust().directory().sequence() == 2 && alNode.trust().directory().sequence() == 2);

            // 3. Albania's node takes up the hybrid key; the old X25519 key is kept for what was sealed to it.
            Files.copy(al.resolve("encryption.p12"), al.resolve("encryption-1.p12"));
            Files.move(al.resolve("encryption-2.p12"), al.resolve("encryption.p12"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            TestNodes.await("Albania's node on its hybrid key", Duration.ofSeconds(10),
                    () -> alNode.keys().encryption().fingerprint().hex().equals(next));
            assertThat(alNode.keys().encryption().kemCertificate()).isPresent();
            assertThat(alNode.decryptionKeys().get(0)).isInstanceOf(HybridPrivateKey.class);
            assertThat(alNode.keys().previousEncryption()).extracting(c -> c.fingerprint().hex()).containsExactly(oldEncryption);
            int before = toAl.size();
            TestNodes.await("messages after the switch", Duration.ofSeconds(30),
                    () -> toAl.size() > before + 5 && delivered(it, toAl.get(before + 3)));

            // 4. Senders seal with the hybrid KEM from now on; Albania announces the suite; the old certificate goes.
            publish("--use", "encryption=" + pem, "--suite", "pq-hybrid", "--remove", "encryption=" + oldEncryption);
            TestNodes.await("directory #3 on both nodes", Duration.ofSeconds(10),
                    () -> it.trust().directory().sequence() == 3 && alNode.trust().directory().sequence() == 3);
            assertThat(it.trust().directory().require(AL).suites()).containsExactly(Suite.PQ_HYBRID);
            int after = toAl.size();
            TestNodes.await("messages sealed with the hybrid KEM", Duration.ofSeconds(30),
                    () -> toAl.size() > after + 5 && delivered(it, toAl.get(after + 3)) && delivered(alNode, toIt.get(after + 3)));
            UUID sealedHybrid = toAl.get(after + 3);
            stop.set(true);
            load.join();
            assertThat(failed.get()).isNull();

            TestNodes.await("every message delivered", Duration.ofSeconds(60),
                    () -> toAl.stream().allMatch(id -> delivered(it, id)) && toIt.stream().allMatch(id -> delivered(alNode, id)));
            assertThat(alNode.store().inbox().all()).hasSize(toAl.size());
            assertThat(it.store().inbox().all()).hasSize(toIt.size());
            assertThat(alAudit.events().stream().map(AuditEvent::type)).doesNotContain("keys-unlisted", "keys-refused");

            // The first message: classical, opens with the old key the node holds, not with the hybrid key.
            MessageStore.Received first = received(alNode, sealedClassically);
            assertThat(new String(first.envelope(), StandardCharsets.UTF_8)).doesNotContain(HybridKem.ALGORITHM);
            Envelopes.Verified v1 = Envelopes.verify(first.envelope(), alNode.trust(), Instant.now(), IT, AL);
            assertThat(Envelopes.open(v1, AL, alNode.decryptionKeys()).manifestXml()).isNotEmpty();
            assertThat(((ProtocolException) org.assertj.core.api.Assertions.catchThrowable(
                    () -> Envelopes.open(v1, AL, alNode.decryptionKeys().get(0)))).code()).isEqualTo(ErrorCode.ALGORITHM_REJECTED);
            // A message after step 4: sealed with the hybrid KEM, opens with the hybrid key, not with the old one.
            MessageStore.Received late = received(alNode, sealedHybrid);
            assertThat(new String(late.envelope(), StandardCharsets.UTF_8)).contains(HybridKem.ALGORITHM);
            Envelopes.Verified v2 = Envelopes.verify(late.envelope(), alNode.trust(), Instant.now(), IT, AL);
            assertThat(Envelopes.open(v2, AL, alNode.decryptionKeys().get(0)).manifestXml()).isNotEmpty();
            assertThatThrownBy(() -> Envelopes.open(v2, AL, alNode.keys().previousEncryption().get(0).decryptionKey()))
                    .isInstanceOf(ProtocolException.class);
        }

        // After a restart: the hybrid keystore loads, the old key from previousEncryption.
        Path config = t.config(AL);
        Files.writeString(config, Files.readString(config, StandardCharsets.UTF_8)
                + "previousEncryption:\n- keystore: encryption-1.p12\n  passwordFile: encryption.password\n");
        try (GatewayNode alNode = GatewayNode.start(config, new MemoryAuditLog(), TestNodes.FAST)) {
            assertThat(alNode.decryptionKeys()).hasSize(2);
            assertThat(alNode.decryptionKeys().get(0)).isInstanceOf(HybridPrivateKey.class);
        }
    }

    private Path issueHybrid(String name) {
        cli("certs", "issue", "--ca", al.resolve("ca").toString(), "--ca-password-file", al.resolve("ca.password").toString(),
                "--profile", "encryption", "--suite", "pq-hybrid", "--subject", "CN=AL-PP " + name + ", O=PP, C=AL",
                "--out", al.resolve(name + ".p12").toString(), "--password-file", al.resolve("encryption.password").toString());
        return al.resolve(name + ".p12");
    }

    /** Senders would seal classically to a node that holds the X25519 key only inside its hybrid key: refused at start. */
    @Test
    void aNodeDoesNotStartWithAnMlKemKeyTheDirectoryDoesNotList() throws Exception {
        t = new TestNodes(dir.resolve("federation"));
        fed = t.federation.dir();
        al = fed.resolve(AL.value());
        Path enc2 = issueHybrid("encryption-2");
        publish("--add", "encryption=" + al.resolve("encryption-2.pem"), "--use", "encryption=" + al.resolve("encryption-2.pem"));
        Files.move(enc2, al.resolve("encryption.p12"), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> GatewayNode.start(t.config(AL), new MemoryAuditLog(), TestNodes.FAST))
                .hasMessageContaining("holds an ML-KEM-768 certificate").hasMessageContaining("does not list for AL-PP");
    }

    /** Senders would seal with the hybrid KEM to a node that holds no ML-KEM key: refused at start. */
    @Test
    void aNodeDoesNotStartWithoutTheMlKemKeyTheDirectoryLists() throws Exception {
        t = new TestNodes(dir.resolve("federation"));
        fed = t.federation.dir();
        al = fed.resolve(AL.value());
        Path enc2 = issueHybrid("encryption-2");
        publish("--add", "encryption=" + al.resolve("encryption-2.pem"), "--add", "kem=" + al.resolve("encryption-2-kem.pem"),
                "--use", "encryption=" + al.resolve("encryption-2.pem"));
        char[] pw = Passwords.fromFile(al.resolve("encryption.password"));
        Credential hybrid = Keystores.load(enc2, pw);
        Keystores.save(Credential.create(hybrid.privateKey(), hybrid.chain()),
                al.resolve("encryption-x25519-only.p12"), pw);
        Files.move(al.resolve("encryption-x25519-only.p12"), al.resolve("encryption.p12"), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> GatewayNode.start(t.config(AL), new MemoryAuditLog(), TestNodes.FAST))
                .hasMessageContaining("lists an ML-KEM-768 certificate").hasMessageContaining("holds no ML-KEM-768 key");
    }
}
