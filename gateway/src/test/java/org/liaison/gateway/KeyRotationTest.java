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
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Pem;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook's key rotation, under load: Albania replaces its TLS, signing and encryption keys
 * while messages flow both ways, with the commands an operator types (certs issue, directory edit,
 * directory sign) and without restarting a node. No message is lost or refused; what was sealed to
 * the old encryption key still opens.
 */
class KeyRotationTest {
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

    private void setUp() throws Exception {
        t = new TestNodes(dir.resolve("federation"));
        fed = t.federation.dir();
        al = fed.resolve(AL.value());
    }

    /** A new key and certificate of Albania's CA, its keystore under the current keystore's password. */
    private Path issue(String profile, String name, String current) {
        Path out = al.resolve(name + ".p12");
        List<String> args = new ArrayList<>(List.of("certs", "issue", "--ca", al.resolve("ca").toString(), "--ca-password-file",
                al.resolve("ca.password").toString(), "--profile", profile, "--subject", "CN=AL-PP " + name + ", O=PP, C=AL",
                "--out", out.toString(), "--password-file", al.resolve(current + ".password").toString()));
        if (profile.equals("gateway-tls")) {
            args.addAll(List.of("--ip", "127.0.0.1", "--dns", "localhost"));
        }
        cli(args.toArray(new String[0]));
        return out;
    }

    /** Edits the directory in force, signs the draft and publishes it where every node reads it. */
    private void publish(String... edits) throws Exception {
        Path draft = Files.createTempFile(dir, "draft", ".xml");
        Files.delete(draft);
        List<String> args = new ArrayList<>(List.of("directory", "edit", fed.resolve("directory.xml").toString(), "--authority",
                AL.value(), "--out", draft.toString()));
        args.addAll(List.of(edits));
        cli(args.toArray(new String[0]));
        Path signed = dir.resolve("signed-" + UUID.randomUUID() + ".xml");
        cli("directory", "sign", draft.toString(), "--key", fed.resolve("operator/directory-signing.p12").toString(),
                "--password-file", fed.resolve("operator/directory-signing.password").toString(), "--out", signed.toString());
        Files.move(signed, fed.resolve("directory.xml"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String pem(Path p12) {
        return p12.resolveSibling(p12.getFileName().toString().replace(".p12", ".pem")).toString();
    }

    private static String sha(Path p12) throws Exception {
        return Fingerprint.of(Pem.readCertificate(Path.of(pem(p12)))).hex();
    }

    private static boolean delivered(GatewayNode node, UUID id) {
        List<MessageStore.Delivery> ds = node.store().deliveries().of(id);
        return !ds.isEmpty() && ds.stream().allMatch(d -> d.state() == MessageStore.State.DELIVERED);
    }

    @Test
    void albaniaRotatesEveryKeyUnderLoadAndNothingIsLostOrRefused() throws Exception {
        setUp();
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode it = GatewayNode.start(t.config(IT), new MemoryAuditLog(), TestNodes.FAST);
                GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            String oldTls = alNode.keys().tls().fingerprint().hex();
            String oldSigning = alNode.keys().signing().fingerprint().hex();
            String oldEncryption = alNode.keys().encryption().fingerprint().hex();

            // Load: Italy and Albania send each other a message every 40 ms for the whole rotation.
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
            UUID sealedToOldKey = toAl.get(0);

            // 1. Albania's operator makes the new keys (same password files: the node.yaml entries stay as they are).
            Path tls2 = issue("gateway-tls", "gateway-tls-2", "gateway-tls");
            Path signing2 = issue("envelope-signing", "envelope-signing-2", "envelope-signing");
            Path encryption2 = issue("encryption", "encryption-2", "encryption");
            // A keystore put in place before the directory lists it is refused; the keys in use stay.
            Files.copy(al.resolve("envelope-signing.p12"), al.resolve("envelope-signing-1.p12"));
            Files.copy(signing2, al.resolve("envelope-signing-next.p12"));
            Files.move(al.resolve("envelope-signing-next.p12"), al.resolve("envelope-signing.p12"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            TestNodes.await("the refusal", Duration.ofSeconds(10), () -> has(alAudit, "keys-refused"));
            assertThat(alNode.keys().signing().fingerprint().hex()).isEqualTo(oldSigning);
            Files.move(al.resolve("envelope-signing-1.p12"), al.resolve("envelope-signing.p12"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);

            // 2. The federation operator announces them: listed after the ones in use.
            publish("--add", "tls=" + pem(tls2), "--add", "signing=" + pem(signing2), "--add", "encryption=" + pem(encryption2));
            TestNodes.await("directory #2 on both nodes", Duration.ofSeconds(10),
                    () -> it.trust().directory().sequence() == 2 && alNode.trust().directory().sequence() == 2);

            // 3. Albania's node switches to them: the old encryption key is kept for what was sealed to it.
            Files.copy(al.resolve("encryption.p12"), al.resolve("encryption-1.p12"));
            for (String name : List.of("gateway-tls", "envelope-signing", "encryption")) {
                Files.move(al.resolve(name + "-2.p12"), al.resolve(name + ".p12"), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
            // All three: each move may start a reload, and one may read the files between two moves (then the next one
            // takes the rest): waiting on two of them let the third be checked before its reload.
            TestNodes.await("Albania's node on its new keys", Duration.ofSeconds(10),
                    () -> !alNode.keys().tls().fingerprint().hex().equals(oldTls)
                            && !alNode.keys().signing().fingerprint().hex().equals(oldSigning)
                            && !alNode.keys().encryption().fingerprint().hex().equals(oldEncryption));
            assertThat(alNode.keys().tls().fingerprint().hex()).isEqualTo(sha(tls2));
            assertThat(alNode.keys().signing().fingerprint().hex()).isEqualTo(sha(signing2));
            assertThat(alNode.keys().previousEncryption()).extracting(c -> c.fingerprint().hex()).containsExactly(oldEncryption);
            assertThat(has(alAudit, "keys-change")).isTrue();
            int before = toAl.size();
            TestNodes.await("messages on the new keys", Duration.ofSeconds(30),
                    () -> toAl.size() > before + 5 && delivered(it, toAl.get(before + 3)));

            // 4. Senders seal to the new encryption key; the old certificates are withdrawn.
            publish("--use", "encryption=" + pem(encryption2), "--remove", "tls=" + oldTls,
                    "--remove", "signing=" + oldSigning, "--remove", "encryption=" + oldEncryption);
            TestNodes.await("directory #3 on both nodes", Duration.ofSeconds(10),
                    () -> it.trust().directory().sequence() == 3 && alNode.trust().directory().sequence() == 3);
            int after = toAl.size();
            TestNodes.await("messages after the old keys were withdrawn", Duration.ofSeconds(30),
                    () -> toAl.size() > after + 5 && delivered(it, toAl.get(after + 3)) && delivered(alNode, toIt.get(after + 3)));
            stop.set(true);
            load.join();
            assertThat(failed.get()).isNull();

            // Every message, both ways, delivered once with a receipt; none refused.
            try {
                TestNodes.await("every message delivered", Duration.ofSeconds(60),
                        () -> toAl.stream().allMatch(id -> delivered(it, id)) && toIt.stream().allMatch(id -> delivered(alNode, id)));
            } catch (AssertionError e) {
                List<String> stuck = new ArrayList<>();
                toAl.stream().filter(id -> !delivered(it, id)).forEach(id -> stuck.add("to AL " + it.store().deliveries().of(id)));
                toIt.stream().filter(id -> !delivered(alNode, id)).forEach(id -> stuck.add("to IT " + alNode.store().deliveries().of(id)));
                throw new AssertionError(e.getMessage() + ": " + stuck, e);
            }
            assertThat(alNode.store().inbox().all()).hasSize(toAl.size());
            assertThat(it.store().inbox().all()).hasSize(toIt.size());
            assertThat(has(alAudit, "keys-unlisted")).isFalse();

            // What was sealed to the old encryption key opens with the keys the node holds, not with the new key alone.
            MessageStore.Received first = alNode.store().inbox().all().stream().filter(r -> r.messageId().equals(sealedToOldKey))
                    .findFirst().orElseThrow();
            Envelopes.Verified v = Envelopes.verify(first.envelope(), alNode.trust(), Instant.now(), IT, AL);
            assertThat(Envelopes.open(v, AL, alNode.decryptionKeys()).manifestXml()).isNotEmpty();
            assertThatThrownBy(() -> Envelopes.open(v, AL, alNode.keys().encryption().privateKey()))
                    .isInstanceOf(ProtocolException.class);
        }

        // After a restart the old key comes from node.yaml's previousEncryption, as the runbook says to add it.
        Path config = t.config(AL);
        Files.writeString(config, Files.readString(config, StandardCharsets.UTF_8)
                + "previousEncryption:\n- keystore: encryption-1.p12\n  passwordFile: encryption.password\n");
        try (GatewayNode alNode = GatewayNode.start(config, new MemoryAuditLog(), TestNodes.FAST)) {
            assertThat(alNode.decryptionKeys()).hasSize(2);
        }
    }

    /** Keys put in place too early are refused, and taken up as soon as a directory lists them (no need to touch the files again). */
    @Test
    void aKeyPutInPlaceBeforeTheDirectoryListsItIsUsedOnceItDoes() throws Exception {
        setUp();
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            String old = alNode.keys().tls().fingerprint().hex();
            Path tls2 = issue("gateway-tls", "gateway-tls-2", "gateway-tls");
            String next = sha(tls2);
            Files.move(tls2, al.resolve("gateway-tls.p12"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            TestNodes.await("the refusal", Duration.ofSeconds(10), () -> has(alAudit, "keys-refused"));
            assertThat(alNode.keys().tls().fingerprint().hex()).isEqualTo(old);
            publish("--add", "tls=" + pem(tls2));
            TestNodes.await("the new key in use", Duration.ofSeconds(10), () -> alNode.keys().tls().fingerprint().hex().equals(next));
        }
    }

    @Test
    void aNodeDoesNotStartWithAKeyTheDirectoryDoesNotList() throws Exception {
        setUp();
        Path tls2 = issue("gateway-tls", "gateway-tls-2", "gateway-tls");
        Files.move(tls2, al.resolve("gateway-tls.p12"), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> GatewayNode.start(t.config(AL), new MemoryAuditLog(), TestNodes.FAST))
                .hasMessageContaining("TLS certificate").hasMessageContaining("is not a gateway certificate directory #1 lists");
    }

    private static boolean has(MemoryAuditLog log, String type) {
        return log.events().stream().map(AuditEvent::type).anyMatch(type::equals);
    }
}
