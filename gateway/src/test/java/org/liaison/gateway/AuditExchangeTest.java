package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.audit.PeerLogs;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.directory.DirectoryEdits;
import org.liaison.protocol.directory.DirectorySigner;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.Receipts;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;

/** Three nodes with their real audit logs: the logs verify, and the peer checkpoints each holds are consistent. */
class AuditExchangeTest {
    @TempDir
    Path dir;

    @Test
    void threeNodesExchangeAndEachHoldsConsistentCheckpointsOfTheOthers() throws Exception {
        TestNodes t = new TestNodes(dir);
        List<AuthorityId> ids = List.of(IT, AL, US);
        Map<AuthorityId, String> keys = new LinkedHashMap<>();
        Map<AuthorityId, List<UUID>> sent = new LinkedHashMap<>();
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL); GatewayNode us = t.startLogged(US)) {
            Map<AuthorityId, GatewayNode> nodes = Map.of(IT, it, AL, al, US, us);
            for (int round = 0; round < 3; round++) {
                for (AuthorityId from : ids) {
                    List<AuthorityId> to = ids.stream().filter(x -> !x.equals(from)).toList();
                    sent.computeIfAbsent(from, k -> new ArrayList<>()).add(nodes.get(from).outbox()
                            .submit(t.submission(from, to, null, null, TestNodes.text("round " + round))));
                }
            }
            for (AuthorityId from : ids) {
                for (UUID id : sent.get(from)) {
                    TestNodes.await("delivery of " + id, Duration.ofSeconds(30), () -> NodeExchangeTest.delivered(nodes.get(from), id));
                }
                keys.put(from, nodes.get(from).audit().verifierKey());
            }
            for (GatewayNode n : nodes.values()) {
                n.peerLogs().drain();
            }

            // Each receipt's checkpoint already covers the receiver's "receive" entry for that message.
            UUID first = sent.get(IT).get(0);
            MessageStore.Outgoing m = it.store().sent().outgoing(first).orElseThrow();
            MessageStore.Delivery d = it.store().deliveries().of(first).stream().filter(x -> x.recipient().equals(AL)).findFirst().orElseThrow();
            Receipts.Verified r = Receipts.verify(d.receipt(), it.trust(), Instant.now(), AL, first, m.envelope(),
                    Envelopes.readStored(m.envelope(), m.recordedEnvelopeSha256()).payloads());
            long receiveIndex = indexOf(AuditLogVerifier.entries(t.auditDir(AL)), "\"type\":\"receive\"", first.toString());
            assertThat(Checkpoint.parse(SignedNote.open(r.checkpoint(), keys.get(AL))).size()).isGreaterThan(receiveIndex);

            for (AuthorityId holder : ids) {
                assertThat(nodes.get(holder).metrics().scrape()).doesNotContain("liaison_audit_peer_alarms")
                        .contains("liaison_audit_peer_checks_total{outcome=\"first\"");
                for (AuthorityId peer : ids) {
                    if (peer.equals(holder)) {
                        continue;
                    }
                    String note = nodes.get(holder).peerLogs().stored(peer).orElseThrow(() -> new AssertionError(holder + " holds no checkpoint of " + peer));
                    // Independently: signed by the peer's log key, and the root of the peer's first entries.
                    Checkpoint c = Checkpoint.parse(SignedNote.open(note, keys.get(peer)));
                    List<byte[]> leaves = AuditLogVerifier.entries(t.auditDir(peer)).stream().map(Merkle::leafHash).toList();
                    assertThat(c.size()).isPositive().isLessThanOrEqualTo(leaves.size());
                    assertThat(c.rootHash()).as(holder + "'s checkpoint of " + peer).isEqualTo(Merkle.root(leaves.subList(0, (int) c.size())));
                }
            }
        }
        for (AuthorityId id : ids) {
            AuditLogVerifier.Report report = AuditLogVerifier.verify(t.auditDir(id), keys.get(id));
            assertThat(report.problems()).as(id.value()).isEmpty();
            assertThat(report.valid()).isTrue();
            assertThat(report.verifiedSize()).isEqualTo(report.entries());
        }
    }

    @Test
    void anAuditorPullsTheLogOverTheLocalApiAndAnInvestigatorCannot() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("for the record")));
            TestNodes.await("delivery", Duration.ofSeconds(30), () -> NodeExchangeTest.delivered(it, id));
            String auditor = t.federation.profiles().get(AL).get(Role.AUDITOR).toString();
            String investigator = t.federation.profiles().get(AL).get(Role.INVESTIGATOR).toString();
            Path copy = dir.resolve("al-audit");

            CliEndToEndTest.Run refused = CliEndToEndTest.liaison("--profile", investigator, "audit", "pull", "--out", copy.toString());
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("has no role for this").contains("auditor");
            assertThat(copy).doesNotExist();

            CliEndToEndTest.Run pulled = CliEndToEndTest.liaison("--profile", auditor, "audit", "pull", "--out", copy.toString());
            assertThat(pulled.exit()).as(pulled.err()).isZero();
            assertThat(pulled.out()).contains("VALID").contains(al.audit().verifierKey()).contains("latest.checkpoint");
            // Italy holds a checkpoint of Albania's log from its receipt; the auditor's copy must extend it.
            it.peerLogs().drain();
            Path fromItaly = dir.resolve("from-italy.checkpoint");
            java.nio.file.Files.writeString(fromItaly, it.peerLogs().stored(AL).orElseThrow());
            CliEndToEndTest.Run held = CliEndToEndTest.liaison("audit", "verify", copy.toString(), "--key", al.audit().verifierKey(),
                    "--held", fromItaly.toString(), "--held", copy.resolve("latest.checkpoint").toString());
            assertThat(held.exit()).as(held.out() + held.err()).isZero();
            assertThat(held.out()).contains("it extends the 2 held checkpoint(s)");
            CliEndToEndTest.Run query = CliEndToEndTest.liaison("audit", "query", copy.toString(), "--key", al.audit().verifierKey(),
                    "--message", id.toString(), "--json");
            assertThat(query.exit()).as(query.err()).isZero();
            assertThat(query.out()).contains("\"type\" : \"receive\"");
        }
        // The node recorded who copied its log.
        assertThat(AuditLogVerifier.entries(t.auditDir(AL)).stream().map(b -> new String(b, StandardCharsets.UTF_8)))
                .anyMatch(e -> e.contains("\"type\":\"audit-copy\""));
    }

    /**
     * Issue 25, item 15: a peer lists two endpoints (the nodes of a cluster) and the first is down. Its
     * consistency proofs are asked at the next endpoint, as its deliveries are: the log is checked.
     */
    @Test
    void aPeersLogIsCheckedThroughItsSecondEndpointWhileTheFirstIsDown() throws Exception {
        TestNodes t = new TestNodes(dir);
        Path file = t.federation.dir().resolve(FederationSetup.DIRECTORY);
        Directory d = DirectoryEdits.read(java.nio.file.Files.readAllBytes(file));
        d.getAuthority().stream().filter(a -> a.getId().equals(AL.value())).findFirst().orElseThrow().getEndpoint()
                .add(0, "https://127.0.0.1:" + TestCluster.freePort()); // nothing listens there
        DirectoryEdits.nextEdition(d, Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        java.nio.file.Files.write(file, DirectorySigner.sign(d, t.federation.pki().directorySigning()));
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            assertThat(it.trust().directory().require(AL).endpoints()).hasSize(2);
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("through the second node")));
            TestNodes.await("delivery", Duration.ofSeconds(30), () -> NodeExchangeTest.delivered(it, id));
            // The receipt's checkpoint is checked after the delivery is marked: wait for that check, not just the queue.
            TestNodes.await("Italy to check Albania's first checkpoint", Duration.ofSeconds(30), () -> {
                try {
                    it.peerLogs().drain();
                    return it.peerLogs().stored(AL).isPresent();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Checkpoint held = Checkpoint.ofNote(it.peerLogs().stored(AL).orElseThrow());
            long next = al.audit().record(AuditEvent.of("fetch", "AL-PP", id.toString(), null, "ok", null));
            String newer = al.audit().checkpointCovering(next);
            assertThat(Checkpoint.ofNote(newer).size()).isGreaterThan(held.size());
            // A larger checkpoint needs a consistency proof from Albania: asked at its second endpoint.
            assertThat(it.peerLogs().check(AL, newer)).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            assertThat(it.peerLogs().stored(AL)).contains(newer);
        }
    }

    static long indexOf(List<byte[]> entries, String... parts) {
        for (int i = 0; i < entries.size(); i++) {
            String e = new String(entries.get(i), StandardCharsets.UTF_8);
            if (java.util.Arrays.stream(parts).allMatch(e::contains)) {
                return i;
            }
        }
        throw new AssertionError("no entry with " + List.of(parts));
    }
}
