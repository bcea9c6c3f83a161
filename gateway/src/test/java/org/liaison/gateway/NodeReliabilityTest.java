package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.delivery.Backoff;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.directory.DirectoryDrafts;
import org.liaison.protocol.directory.DirectorySigner;

class NodeReliabilityTest {
    @TempDir
    Path dir;

    @Test
    void theSameMessageTwiceGetsTheSameReceiptBytesAndIsStoredOnce() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode al = t.start(AL)) {
            var it = t.federation.pki().authority(IT);
            byte[] body = RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL), it.envelopeSigning());
            RawPeer.Response first;
            try (SSLSocket s = RawPeer.connect(al.peerPort(), it.gatewayTls(), "TLSv1.3")) {
                first = RawPeer.post(s, "", body);
            }
            // The answer was "lost": the sender tries again, on a new connection.
            RawPeer.Response second;
            try (SSLSocket s = RawPeer.connect(al.peerPort(), it.gatewayTls(), "TLSv1.3")) {
                second = RawPeer.post(s, "", body);
            }
            assertThat(first.status()).isEqualTo(200);
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.body()).isEqualTo(first.body());
            assertThat(al.store().inbox().all()).hasSize(1);
        }
        // Also after a restart of the receiver.
        try (GatewayNode al = t.start(AL)) {
            assertThat(al.store().inbox().all()).hasSize(1);
        }
    }

    @Test
    void aPeerBackFromAnOutageGetsItsWaitingDeliveriesWithinSecondsNotAtTheNextBackoff() throws Exception {
        TestNodes t = new TestNodes(dir);
        GatewayNode.Tuning slowBackoff = TestNodes.FAST.toBuilder()
                .backoff(new Backoff(Duration.ofMinutes(5), Duration.ofMinutes(10))).build();
        try (GatewayNode it = GatewayNode.start(t.config(IT), new MemoryAuditLog(), slowBackoff)) {
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("while AL is down")));
            TestNodes.await("a failed attempt", Duration.ofSeconds(20),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.RETRYING);
            assertThat(it.store().deliveries().of(id).get(0).nextAttemptAt()).isAfter(Instant.now().plus(Duration.ofMinutes(2)));
            try (GatewayNode al = t.start(AL)) {
                // The probe finds AL up and the delivery goes at once, minutes before its backoff ends.
                TestNodes.await("delivery after AL is back", Duration.ofSeconds(20),
                        () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
                assertThat(al.store().inbox().all()).hasSize(1);
            }
        }
    }

    @Test
    void closeReleasesEverythingEvenWhenAPartFails() throws Exception {
        TestNodes t = new TestNodes(dir);
        AuditLog failing = new MemoryAuditLog() {
            @Override
            public long record(AuditEvent e) {
                if (e.type().equals("stop")) {
                    throw new IllegalStateException("the audit log broke while stopping");
                }
                return super.record(e);
            }


            @Override
            public void close() {
                throw new IllegalStateException("and could not be closed");
            }
        };
        GatewayNode al = GatewayNode.start(t.config(AL), failing, TestNodes.FAST);
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(al::close);
        assertThat(thrown).hasMessageContaining("broke while stopping");
        assertThat(thrown.getSuppressed()).anyMatch(x -> x.getMessage().contains("could not be closed"));
        // The steps after the failing one ran: the store is closed.
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> al.store().inbox().all())).isNotNull();
        // Every port, thread and the store were released all the same: the node starts again on the same ports.
        try (GatewayNode again = t.start(AL)) {
            assertThat(again.peerPort()).isEqualTo(al.peerPort());
            assertThat(again.store().inbox().all()).isEmpty();
        }
    }

    @Test
    void anOpenedNodeBindsNothingUntilStartAndStartsOnce() throws Exception {
        TestNodes t = new TestNodes(dir);
        MemoryAuditLog audit = new MemoryAuditLog();
        GatewayNode al = GatewayNode.open(t.config(AL), audit, TestNodes.FAST);
        try {
            // Opened: the store and the checks are there, no port is bound, nothing is recorded as started.
            assertThat(al.store().inbox().all()).isEmpty();
            assertThat(org.assertj.core.api.Assertions.catchThrowable(al::peerPort))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not started");
            int peerPort = al.config().peer().port();
            try (java.net.ServerSocket probe = new java.net.ServerSocket(peerPort, 1, java.net.InetAddress.getByName(al.config().peer().host()))) {
                assertThat(probe.getLocalPort()).isEqualTo(peerPort); // free: the opened node did not take it
            }
            assertThat(audit.events()).noneMatch(e -> e.type().equals("start"));

            assertThat(al.start()).isSameAs(al);
            assertThat(al.peerPort()).isEqualTo(peerPort);
            assertThat(audit.events()).filteredOn(e -> e.type().equals("start")).hasSize(1);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(al::start))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("after a start");
        } finally {
            al.close();
        }
        al.close(); // a second close does nothing
        assertThat(audit.events()).filteredOn(e -> e.type().equals("stop")).hasSize(1);

        // Opened and closed without a start: no start or stop is recorded, and it cannot be started afterwards.
        MemoryAuditLog second = new MemoryAuditLog();
        GatewayNode unused = GatewayNode.open(t.config(AL), second, TestNodes.FAST);
        unused.close();
        assertThat(second.events()).noneMatch(e -> e.type().equals("start") || e.type().equals("stop"));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(unused::start)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aStartThatFailsOnATakenPortReleasesEverything() throws Exception {
        TestNodes t = new TestNodes(dir);
        GatewayNode al = GatewayNode.open(t.config(AL), new MemoryAuditLog(), TestNodes.FAST);
        int localPort = al.config().local().port();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(localPort, 1, java.net.InetAddress.getByName(al.config().local().host()))) {
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(al::start);
            assertThat(thrown).isInstanceOf(java.net.BindException.class);
            // Released: the store is closed, and the peer port bound before the failure is free again.
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> al.store().inbox().all())).isNotNull();
        }
        al.close(); // after the failed start released everything: nothing more to do, nothing thrown
        try (GatewayNode again = t.start(AL)) {
            assertThat(again.localPort()).isEqualTo(localPort);
        }
    }

    @Test
    void deliveryWhoseAnswerWasLostIsRetriedAndGetsTheStoredReceipt() throws Exception {
        TestNodes t = new TestNodes(dir);
        UUID id;
        byte[] receipt;
        try (GatewayNode al = t.start(AL)) {
            try (GatewayNode it = t.start(IT)) {
                id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("once")));
                TestNodes.await("delivery", Duration.ofSeconds(20), () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
                receipt = it.store().deliveries().of(id).get(0).receipt();
            }
            // As if the sender had crashed before it recorded the receipt: the delivery is left SENDING.
            java.nio.file.Path db = NodeConfig.resolve(t.config(IT),
                    NodeConfig.load(t.config(IT)).dataDir()).resolve("messages.db");
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
                    java.sql.Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE deliveries SET state = 'SENDING', receipt = NULL, delivered_at = NULL");
            }
            try (GatewayNode it = t.start(IT)) {
                TestNodes.await("redelivery", Duration.ofSeconds(20),
                        () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
                assertThat(it.store().deliveries().of(id).get(0).receipt()).isEqualTo(receipt);
                assertThat(al.store().inbox().all()).hasSize(1);
            }
        }
    }

    @Test
    void newerDirectoryIsLoadedWithoutRestartAndAnOlderOneIsRefused() throws Exception {
        TestNodes t = new TestNodes(dir);
        MemoryAuditLog audit = new MemoryAuditLog();
        try (GatewayNode al = GatewayNode.start(t.config(AL), audit, TestNodes.FAST)) {
            Path file = t.federation.dir().resolve(FederationSetup.DIRECTORY);
            byte[] v1 = Files.readAllBytes(file);
            var draft = DirectoryDrafts.draft(t.federation.pki(), "Liaison federation", java.util.Map.of(), 2, Instant.now(),
                    Instant.now().plus(Duration.ofDays(30)), List.of());
            Files.write(file, DirectorySigner.sign(draft, t.federation.pki().directorySigning()));
            TestNodes.await("directory #2", Duration.ofSeconds(5), () -> al.trust().directory().sequence() == 2);
            TestNodes.await("the directory change audited", Duration.ofSeconds(5),
                    () -> audit.events().stream().anyMatch(e -> e.type().equals("directory-change")));

            Files.write(file, v1);
            TestNodes.await("refusal of #1", Duration.ofSeconds(5), () -> audit.events().stream()
                    .anyMatch(e -> e.type().equals("directory-refused") && e.reason().contains("rollback")));
            assertThat(al.trust().directory().sequence()).isEqualTo(2);

            Files.writeString(file, "<Directory>not signed</Directory>", StandardCharsets.UTF_8);
            TestNodes.await("refusal of garbage", Duration.ofSeconds(5), () -> audit.events().stream()
                    .filter(e -> e.type().equals("directory-refused")).count() >= 2);
            assertThat(al.trust().directory().sequence()).isEqualTo(2);
        }
    }

    @Test
    void misconfiguredNodeRefusesToStartNamingTheCause() throws Exception {
        TestNodes t = new TestNodes(dir);
        Path config = t.config(AL);
        String yaml = Files.readString(config);
        Files.writeString(config, yaml.replace("port: " + t.federation.nodes().get(AL).admin().port(), "port: 70000"));
        Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> t.start(AL));
        assertThat(e).hasMessageContaining("admin.port: 70000 (expected: 0 to 65535)");
        Files.writeString(config, yaml.replace("gateway-tls.p12", "encryption.p12").replace("gateway-tls.password", "encryption.password"));
        Throwable wrongCert = org.assertj.core.api.Assertions.catchThrowable(() -> t.start(AL));
        assertThat(wrongCert).hasMessageContaining("is not a gateway certificate directory #1 lists");
    }

    @Test
    void aStartThatFailsOnATakenPortReleasesEverythingItOpened() throws Exception {
        TestNodes t = new TestNodes(dir);
        NodeConfig config = NodeConfig.load(t.config(IT));
        // Something else holds Italy's admin port, the last one the node binds.
        try (java.net.ServerSocket squatter = new java.net.ServerSocket()) {
            squatter.setReuseAddress(true);
            squatter.bind(new java.net.InetSocketAddress(config.admin().host(), config.admin().port()));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.start(IT)).isInstanceOf(java.net.BindException.class)
                    .hasMessageContaining("cannot listen on " + config.admin().host() + ":" + config.admin().port() + " for the admin");
        }
        // Had the failed start kept its peer and local ports or its store, this start would fail.
        try (GatewayNode it = t.start(IT)) {
            assertThat(it.trust()).isNotNull();
        }
    }
}
