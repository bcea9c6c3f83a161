package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Suite;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;

/**
 * Issue 15: a dead peer costs its own delivery slots only. Four peers are black holes (they accept
 * TCP and never answer); while every attempt to them hangs, a message to a live peer is delivered
 * — before any of the hanging attempts has ended, so it waited for none of them.
 */
class DeadPeerIsolationTest {
    @TempDir
    Path dir;

    static final AuthorityId IT = AuthorityId.of("IT-DNA");
    static final AuthorityId AL = AuthorityId.of("AL-PP");
    static final List<AuthorityId> DEAD = List.of(AuthorityId.of("FR-DEAD"), AuthorityId.of("DE-DEAD"), AuthorityId.of("ES-DEAD"),
            AuthorityId.of("PT-DEAD"));

    /** Accepts connections on the dead peer's port and never reads or answers. */
    static ServerSocket blackHole(int port, List<Socket> held) throws Exception {
        ServerSocket s = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!s.isClosed()) {
                try {
                    held.add(s.accept());
                } catch (Exception e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return s;
    }

    @Test
    void fourDeadPeersDoNotDelayALiveOne() throws Exception {
        List<AuthorityId> all = new ArrayList<>(List.of(IT, AL));
        all.addAll(DEAD);
        FederationSetup.Result fed = FederationSetup.create(dir, all, Suite.MODERN, Instant.now().truncatedTo(ChronoUnit.SECONDS),
                Duration.ofDays(30));
        TestNodes t = new TestNodes(fed);
        List<ServerSocket> holes = new ArrayList<>();
        List<Socket> held = java.util.Collections.synchronizedList(new ArrayList<>());
        try (GatewayNode it = GatewayNode.start(t.config(IT), new MemoryAuditLog(), TestNodes.FAST);
                GatewayNode al = GatewayNode.start(t.config(AL), new MemoryAuditLog(), TestNodes.FAST)) {
            for (AuthorityId d : DEAD) {
                holes.add(blackHole(NodeConfig.load(t.config(d)).peer().port(), held));
            }
            List<UUID> stuck = new ArrayList<>();
            for (AuthorityId d : DEAD) {
                for (int i = 0; i < 4; i++) {
                    stuck.add(it.outbox().submit(t.submission(IT, List.of(d), null, null, TestNodes.text("to " + d + " #" + i))));
                }
            }
            TestNodes.await("every dead peer's slots taken", Duration.ofSeconds(20), () -> stuck.stream()
                    .allMatch(id -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.SENDING));

            UUID live = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("to the live peer")));
            TestNodes.await("delivery to the live peer", Duration.ofSeconds(30),
                    () -> it.store().deliveries().of(live).get(0).state() == MessageStore.State.DELIVERED);
            // It went while all sixteen attempts to the dead peers were still hanging: it waited for none of them.
            assertThat(stuck).allMatch(id -> it.store().deliveries().of(id).get(0).attempts() == 0
                    && it.store().deliveries().of(id).get(0).state() == MessageStore.State.SENDING);
        } finally {
            for (ServerSocket s : holes) {
                s.close();
            }
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
