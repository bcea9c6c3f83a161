package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Outbox;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.pkg.Manifests;

/** Nodes from init-federation exchanging messages over mutual TLS on loopback, in one JVM. */
class NodeExchangeTest {
    @TempDir
    Path dir;

    static boolean delivered(GatewayNode node, UUID id) {
        List<MessageStore.Delivery> ds = node.store().deliveries().of(id);
        return !ds.isEmpty() && ds.stream().allMatch(d -> d.state() == MessageStore.State.DELIVERED);
    }

    @Test
    void messageFromItalyIsStoredByAlbaniaAndAReceiptComesBack() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("ledger", "statement")));
            TestNodes.await("delivery to AL-PP", Duration.ofSeconds(20), () -> delivered(it, id));

            MessageStore.Delivery d = it.store().deliveries().of(id).get(0);
            assertThat(d.receipt()).isNotNull();
            assertThat(d.attempts()).isEqualTo(1);
            List<MessageStore.Received> inbox = al.store().inbox().all();
            assertThat(inbox).hasSize(1);
            MessageStore.Received r = inbox.get(0);
            assertThat(r.messageId()).isEqualTo(id);
            assertThat(r.receipt()).isEqualTo(d.receipt());

            // Albania can open what it stored: the manifest verifies and the payloads decrypt to the originals.
            Envelopes.Verified env = Envelopes.verify(r.envelope(), al.trust(), Instant.now(), IT, AL);
            Envelopes.Opened o = Envelopes.open(env, AL, al.encryption().privateKey());
            assertThat(Manifests.verify(o.manifestXml(), al.trust(), Instant.now()).from()).isEqualTo(IT);
            byte[] plain = o.payloads().decrypt(1, java.nio.file.Files.newInputStream(
                    BlobStore.payload(r.blobs(), 1))).readAllBytes();
            assertThat(new String(plain)).isEqualTo("statement");
        }
    }

    @Test
    void jitMessageReachesEveryOtherMemberWithItsOwnReceipt() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL); GatewayNode us = t.start(US)) {
            UUID id = us.outbox().submit(t.submission(US, List.of(), t.federation.jitId(), null, TestNodes.text("ledger")));
            TestNodes.await("delivery to both JIT members", Duration.ofSeconds(20), () -> delivered(us, id));
            assertThat(us.store().deliveries().of(id)).extracting(MessageStore.Delivery::recipient).containsExactlyInAnyOrder(IT, AL);
            assertThat(it.store().inbox().all()).extracting(MessageStore.Received::messageId).containsExactly(id);
            assertThat(al.store().inbox().all()).extracting(MessageStore.Received::messageId).containsExactly(id);
        }
    }

    @Test
    void recipientDownAtFirstIsDeliveredOnceWhenItComesUp() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT)) {
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("late")));
            TestNodes.await("a failed attempt", Duration.ofSeconds(10),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.RETRYING);
            assertThat(it.store().deliveries().of(id).get(0).lastError()).contains("cannot connect");
            TestNodes.await("a second failed attempt", Duration.ofSeconds(20),
                    () -> it.store().deliveries().of(id).get(0).attempts() >= 2);
            assertThat(it.store().deliveries().of(id).get(0).state()).isEqualTo(MessageStore.State.RETRYING);
            try (GatewayNode al = t.start(AL)) {
                TestNodes.await("delivery after the recipient came up", Duration.ofSeconds(20), () -> delivered(it, id));
                assertThat(al.store().inbox().all()).hasSize(1);
                assertThat(it.store().deliveries().of(id).get(0).attempts()).isGreaterThan(2);
            }
        }
    }

    /** A peer address that accepts connections and drops them at once: each attempt fails cleanly and is retried. */
    @Test
    void aPeerThatDropsEveryConnectionFailsEachAttemptCleanly() throws Exception {
        TestNodes t = new TestNodes(dir);
        int[] ports = ResumeTest.behindRelay(t); // AL's published port is free for the slamming door below
        try (java.net.ServerSocket door = new java.net.ServerSocket(ports[0], 50, java.net.InetAddress.getLoopbackAddress());
                GatewayNode it = t.start(IT)) {
            Thread slam = new Thread(() -> {
                while (!door.isClosed()) {
                    try {
                        java.net.Socket s = door.accept();
                        s.setSoLinger(true, 0); // a reset at once: the client's channel is closed and torn down quickly
                        s.close();
                    } catch (java.io.IOException closed) {
                        // the test ended
                    }
                }
            });
            slam.setDaemon(true);
            slam.start();
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("to a slammed door")));
            TestNodes.await("eight failed attempts", Duration.ofSeconds(60), () -> it.store().deliveries().of(id).get(0).attempts() >= 8);
            MessageStore.Delivery d = it.store().deliveries().of(id).get(0);
            assertThat(d.state()).isEqualTo(MessageStore.State.RETRYING);
            assertThat(d.lastError()).doesNotContain("NullPointerException").doesNotContain("unexpected");
        }
    }

    @Test
    void messagesInARowReuseTheConnectionToAPeer() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            java.util.List<UUID> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("message " + i)));
                ids.add(id);
                TestNodes.await("delivery " + i, Duration.ofSeconds(20),
                        () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            }
            assertThat(al.store().inbox().all()).hasSize(12);
            // One handshake per message before; now a connection serves message after message.
            assertThat(it.peerClient().connectionsOpened()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void resubmittingWithTheSameIdempotencyKeyCreatesNoSecondMessage() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT)) {
            UUID first = it.outbox().submit(t.submission(IT, List.of(AL), null, "key-1", TestNodes.text("a")));
            UUID again = it.outbox().submit(t.submission(IT, List.of(AL), null, "key-1", TestNodes.text("a")));
            assertThat(again).isEqualTo(first);
        }
    }

    @Test
    void fileThatDoesNotMatchTheSignedManifestIsRefusedAndNothingIsQueued() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT)) {
            var s = t.submission(IT, List.of(AL), null, null, TestNodes.text("original"));
            var swapped = new Outbox.Submission(s.manifestXml(),
                    List.of(() -> new ByteArrayInputStream("0riginal".getBytes())), null, null, null, null);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> it.outbox().submit(swapped))
                    .hasMessageContaining("does not match the size and SHA-256");
            var shorter = new Outbox.Submission(s.manifestXml(),
                    List.of(() -> new ByteArrayInputStream("orig".getBytes())), null, null, null, null);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> it.outbox().submit(shorter))
                    .hasMessageContaining("the upload ended inside file 0");
            assertThat(it.store().deliveries().dueDeliveries(Instant.now().plusSeconds(3600), 10)).isEmpty();
        }
    }
}
