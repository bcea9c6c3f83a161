package org.liaison.gateway.witness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.gateway.TestNodes;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.WitnessPolicy;

/**
 * The delivered evidence a recipient's node answers with carries its signed checkpoint covering the reception and the
 * latest checkpoint it holds with its witnesses' cosignatures; the sender's node demands the quorum the directory sets for
 * the recipient's log, and raises an alarm when the recipient's checkpoints lack it beyond the grace period.
 */
class WitnessedEvidenceTest {
    @TempDir
    Path dir;

    private static boolean audited(TestNodes t, AuthorityId node, String type) {
        try {
            return AuditLogVerifier.entries(t.auditDir(node)).stream().map(e -> new String(e, StandardCharsets.UTF_8))
                    .anyMatch(e -> e.contains("\"type\":\"" + type + "\""));
        } catch (Exception e) {
            return false;
        }
    }

    private static UUID deliver(TestNodes t, GatewayNode it, String text) throws Exception {
        UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text(text)));
        TestNodes.await("delivered", Duration.ofSeconds(30), () -> it.store().deliveries().of(id).stream().anyMatch(d -> d.receipt() != null));
        return id;
    }

    @Test
    void theDeliveredEvidenceCarriesCosignedCheckpointsAndTheSenderDemandsTheQuorum() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL)) {
            GatewayNode us = t.startLogged(US);
            try {
                it.peerLogs().requireQuorum(p -> it.trust().directory().witnessing().policy(p), Duration.ofSeconds(8));
                TestNodes.await("Albania's quorum", Duration.ofSeconds(30),
                        () -> al.audit().checkpoint() != null && al.submitter().round().map(WitnessPolicy.Result::satisfied).orElse(false));

                UUID id = deliver(t, it, "one");
                byte[] receipt = it.store().deliveries().of(id).get(0).receipt();
                Evidences.Content delivered = Evidences.verify(receipt, it.trust(), it.clock().instant()).content();
                assertThat(delivered.event()).isEqualTo(EvidenceEvent.DELIVERED);
                Checkpoint covering = Checkpoint.ofNote(delivered.checkpoint());
                assertThat(covering.origin()).isEqualTo("liaison/AL-PP");
                assertThat(delivered.cosignedCheckpoint()).isNotNull();
                WitnessPolicy alPolicy = it.trust().directory().witnessing().policy(AL);
                assertThat(alPolicy.check(delivered.cosignedCheckpoint()).satisfied()).isTrue();

                // Albania's witnesses cosign its newer checkpoint within seconds: the sender finds the quorum, no alarm.
                TestNodes.await("Albania's log witnessed at the sender", Duration.ofSeconds(40), () -> {
                    try {
                        it.peerLogs().drain();
                        return it.peerLogs().witnessed(AL) && it.peerLogs().stored(AL).map(n -> Checkpoint.ofNote(n).size()).orElse(0L)
                                >= covering.size();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                assertThat(audited(t, IT, "peer-log-unwitnessed")).isFalse();

                // An auditor's pull copies the node's cosigned checkpoint and checks the quorum; consistency checks it on both ends.
                Path copy = dir.resolve("al-copy");
                Path auditor = t.federation.profiles().get(AL).get(Role.AUDITOR);
                String[] pulled = WitnessNodesTest.cli("--profile", auditor.toString(), "audit", "pull", "--out", copy.toString());
                assertThat(pulled[0]).as(pulled[1] + pulled[2]).isEqualTo("0");
                assertThat(copy.resolve("cosigned.note")).exists();
                assertThat(pulled[1]).contains("witnesses: cosigned checkpoint of size").contains(": met").contains("VALID");
                // Monitoring: each witness of Albania's log was asked (through the node) for the latest it cosigned; the
                // pull keeps those and checks them against the copy (another history at a size the copy covers: a split view).
                assertThat(copy.resolve("witness-IT-DNA.note")).exists();
                assertThat(copy.resolve("witness-US-OIA.note")).exists();
                assertThat(pulled[1]).contains("witnesses: witness IT-DNA's latest: cosigned checkpoint of size")
                        .contains("witnesses: witness US-OIA's latest: cosigned checkpoint of size").doesNotContain("split view");
                assertThat(audited(t, AL, "audit-witnesses")).isTrue();
                String key = Files.readString(copy.resolve("log.vkey")).strip();
                long quorumSize = Checkpoint.ofNote(Files.readString(copy.resolve("cosigned.note"))).size();
                List<Checkpoint> cps = AuditLogVerifier.checkpoints(copy, key);
                int k = 0;
                for (int i = 0; i < cps.size(); i++) {
                    if (cps.get(i).size() <= quorumSize) {
                        k = i;
                    }
                }
                Path fed = t.federation.dir();
                String[] both = WitnessNodesTest.cli("audit", "consistency", copy.toString(), "--key", key, "--from", "0", "--to",
                        Integer.toString(k), "--federation", fed.toString());
                assertThat(both[0]).as(both[1] + both[2]).isEqualTo("0");
                assertThat(both[1]).contains("witnessed: cosigned at size " + quorumSize);
                // Checkpoints without cosignatures witness nothing: the same proof without the quorum fails.
                String[] unwitnessed = WitnessNodesTest.cli("audit", "consistency", copy.toString(), "--key", key, "--from", "0", "--to",
                        Integer.toString(k), "--federation", fed.toString(), "--cosigned", copy.resolve("latest.checkpoint").toString());
                assertThat(unwitnessed[0]).as(unwitnessed[1] + unwitnessed[2]).isEqualTo("1");
                assertThat(unwitnessed[1]).contains("NOT witnessed");
            } finally {
                us.close();
            }

            // One of Albania's two witnesses is gone: its new checkpoints cannot get their quorum (2 of 2), and the sender
            // does not accept that silently: after the grace period, an alarm (audit entry, metric).
            it.peerLogs().requireQuorum(p -> it.trust().directory().witnessing().policy(p), Duration.ofSeconds(2));
            deliver(t, it, "two");
            TestNodes.await("the unwitnessed alarm", Duration.ofSeconds(40), () -> audited(t, IT, "peer-log-unwitnessed"));
            assertThat(it.peerLogs().witnessed(AL)).isFalse();
            assertThat(it.metrics().scrape()).contains("outcome=\"unwitnessed\"").contains("liaison_audit_peer_alarms_total{peer=\"AL-PP\"}");
        }
    }
}
