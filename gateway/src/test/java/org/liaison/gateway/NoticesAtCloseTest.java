package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SqliteMessageStore;

/**
 * A node that closes while it sends a notice to a peer that does not answer: the close takes no further
 * notice, waits for the one in flight to end (bounded by the client's timeout), and only then closes the
 * client and the store — no notice is left leased (SENDING), none recorded a closed client or store.
 */
class NoticesAtCloseTest {
    @TempDir
    Path dir;

    @Test
    void closingWaitsForTheNoticeInFlightAndTakesNoOther() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        NodeConfig.Listener peer = NodeConfig.load(t.config(IT)).peer();
        List<Socket> held = new CopyOnWriteArrayList<>();
        // Italy's peer port: connections accepted, never answered (not even the TLS handshake).
        try (ServerSocket blackHole = new ServerSocket(peer.port(), 50, InetAddress.getByName(peer.host()))) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(blackHole.accept());
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            }, "black-hole");
            acceptor.setDaemon(true);
            acceptor.start();

            GatewayNode al = GatewayNode.start(t.config(AL), new MemoryAuditLog(),
                    TestNodes.FAST.toBuilder().clientTimeout(Duration.ofSeconds(2)).build());
            List<MessageStore.Stage> notices = new ArrayList<>();
            try {
                Instant now = Instant.now();
                for (int i = 0; i < 5; i++) {
                    MessageStore.Stage s = new MessageStore.Stage(UUID.randomUUID(), IT, "opened", now, null,
                            ("<notice n='" + i + "'/>").getBytes(StandardCharsets.UTF_8));
                    assertThat(al.store().notices().recordStage(s, true, now)).isTrue();
                    notices.add(s);
                }
                al.stages().wake();
                TestNodes.await("a notice in flight to the silent peer", Duration.ofSeconds(10), () -> !held.isEmpty());
            } finally {
                al.close();
            }
            Path data = NodeConfig.resolve(t.config(AL), NodeConfig.load(t.config(AL)).dataDir());
            try (SqliteMessageStore store = SqliteMessageStore.open(data.resolve("messages.db"))) {
                List<MessageStore.Notice> after = notices.stream().map(s -> store.notices().notice(s).orElseThrow()).toList();
                assertThat(after).as("no notice left leased").noneMatch(n -> n.state() == MessageStore.State.SENDING);
                assertThat(after).as("the close took no notice after the one in flight").filteredOn(n -> n.attempts() > 0).hasSize(1);
                assertThat(after).allSatisfy(n -> assertThat(String.valueOf(n.lastError())).doesNotContain("database connection closed")
                        .doesNotContain("RejectedExecution").doesNotContain("interrupted"));
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
