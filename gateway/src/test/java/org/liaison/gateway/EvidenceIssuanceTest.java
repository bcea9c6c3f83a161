package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.evidence.EvidenceEvent;
import org.liaison.protocol.evidence.Evidences;

/**
 * Each node issues the evidence of its own acts: the sender's node the submission and the relay, the
 * recipient's node the delivery (with its receipt), the opening, the decision and the answer. Every
 * evidence verifies against its issuer's directory key, is stored per message, and is in its issuer's
 * audit log by digest at the index noted beside it.
 */
class EvidenceIssuanceTest {
    @TempDir
    Path dir;

    private static String submit(Path profile, Path file, String... more) {
        List<String> args = new ArrayList<>(List.of("--profile", profile.toString(), "submit", "--service", "mla-request", "--case",
                "OP-EVIDENCE", "--legal-basis", "UNTOC art. 18"));
        args.addAll(List.of(more));
        args.add(file.toString());
        BackupRestoreTest.Run r = BackupRestoreTest.cli(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    private static List<EvidenceEvent> events(GatewayNode node, String id) throws Exception {
        List<EvidenceEvent> out = new ArrayList<>();
        for (EvidenceIssuer.Stored s : node.evidence().of(UUID.fromString(id))) {
            out.add(Evidences.claimed(s.xml()).event());
        }
        return out;
    }

    /** What a request's life leaves at both nodes: its id and the reply's. */
    private record Life(String id, String reply) {}

    private Life requestLife(Path it, Path al, Path file, GatewayNode itNode, int evidencesAtItaly) throws Exception {
        String id = submit(it, file, "--to", "AL-PP", "--new");
        TestNodes.await("relayed", Duration.ofSeconds(20), () -> {
            try {
                return events(itNode, id).contains(EvidenceEvent.RELAYED);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertThat(BackupRestoreTest.cli("--profile", al.toString(), "fetch", id, "--out", dir.resolve("got").toString()).code()).isZero();
        BackupRestoreTest.Run decline = BackupRestoreTest.cli("--profile", al.toString(), "decline", id, "--reason", "dual-criminality",
                "--note", "not an offence here");
        assertThat(decline.code()).as(decline.err()).isZero();
        String reply = submit(al, file, "--to", "IT-DNA", "--in-reply-to", id);
        TestNodes.await("the answer and the notices at Italy", Duration.ofSeconds(20), () -> {
            try {
                return events(itNode, id).contains(EvidenceEvent.ANSWERED) && events(itNode, id).size() == evidencesAtItaly
                        && itNode.store().notices().stages(UUID.fromString(id), false).size() >= 3;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        return new Life(id, reply);
    }

    /**
     * Schema 1.4: the recipient's node answers with its delivered evidence (no receipt beside it) and sends its stages as
     * evidence (no notice beside them); the sender's node keeps them with its own evidence of the message, in its log by digest.
     */
    @Test
    void eachNodeIssuesSignsStoresAndLogsTheEvidenceOfItsActs() throws Exception {
        try (TwoNodes n = TwoNodes.start(dir)) {
            Life life = requestLife(n.it, n.al, n.file, n.itNode, 6);
            String id = life.id();

            assertThat(events(n.itNode, id)).containsExactlyInAnyOrder(EvidenceEvent.SUBMISSION_ACCEPTED, EvidenceEvent.DELIVERED,
                    EvidenceEvent.RELAYED, EvidenceEvent.OPENED, EvidenceEvent.DECLINED, EvidenceEvent.ANSWERED);
            assertThat(events(n.alNode, id)).containsExactly(EvidenceEvent.DELIVERED, EvidenceEvent.OPENED, EvidenceEvent.DECLINED,
                    EvidenceEvent.ANSWERED);
            assertThat(events(n.alNode, life.reply())).startsWith(EvidenceEvent.SUBMISSION_ACCEPTED);

            checkLogged(n.itNode, n.itAudit, id);
            checkLogged(n.alNode, n.alAudit, id);

            // One format: what travelled (the receipt and the notices the sender holds) is the recipient's evidence itself.
            byte[] receipt = n.itNode.store().deliveries().of(UUID.fromString(id)).get(0).receipt();
            Evidences.Verified delivered = Evidences.verify(receipt, n.itNode.trust(), n.itNode.clock().instant());
            assertThat(delivered.content().event()).isEqualTo(EvidenceEvent.DELIVERED);
            assertThat(delivered.content().issuer()).isEqualTo(AL);
            // (an in-memory log signs no checkpoint: WitnessedEvidenceTest checks the checkpoints a delivered evidence carries)
            assertThat(delivered.content().parts()).singleElement().extracting(Evidences.Part::ciphertextSha256).isNotNull();
            assertThat(n.alNode.store().inbox().received(UUID.fromString(id)).orElseThrow().receipt()).isEqualTo(receipt);
            assertThat(n.itNode.evidence().of(UUID.fromString(id))).extracting(EvidenceIssuer.Stored::xml).anyMatch(x -> Arrays.equals(x, receipt));
            for (var s : n.itNode.store().notices().stages(UUID.fromString(id), false)) {
                if (s.xml() != null) {
                    assertThat(Evidences.verify(s.xml(), n.itNode.trust(), n.itNode.clock().instant()).content().issuer()).isEqualTo(AL);
                }
            }
            Evidences.Content declined = Evidences.claimed(n.alNode.evidence().of(UUID.fromString(id)).get(2).xml());
            assertThat(declined.reasons()).containsExactly(new Evidences.Reason("dual-criminality", "not an offence here"));
            assertThat(declined.issuer()).isEqualTo(AL);
            assertThat(declined.related()).isEmpty();
            Evidences.Content answered = n.itNode.evidence().of(UUID.fromString(id)).stream().map(s -> {
                try {
                    return Evidences.claimed(s.xml());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }).filter(c -> c.event() == EvidenceEvent.ANSWERED).findFirst().orElseThrow();
            assertThat(answered.related()).singleElement().extracting(Evidences.Related::messageId).isEqualTo(UUID.fromString(life.reply()));
        }
    }

    /**
     * A federation upgrading node by node: a sender that announces no schema (a node before 1.4) gets a receipt and notices
     * as before, with the recipient's evidence issued beside them; a node that announces 1.4 gets evidence. Italy announces
     * nothing (as an old node): Albania answers its request with a receipt and sends notices; Albania announces 1.4: Italy
     * answers its reply with a delivered evidence.
     */
    @Test
    void aSenderBeforeSchema14GetsReceiptsAndNoticesAndOneAfterGetsEvidence() throws Exception {
        try (TwoNodes n = TwoNodes.start(dir)) {
            n.itNode.peerClient().announceSchema(null);
            Life life = requestLife(n.it, n.al, n.file, n.itNode, 3);
            String id = life.id();

            assertThat(events(n.itNode, id)).containsExactly(EvidenceEvent.SUBMISSION_ACCEPTED, EvidenceEvent.RELAYED, EvidenceEvent.ANSWERED);
            assertThat(events(n.alNode, id)).containsExactly(EvidenceEvent.DELIVERED, EvidenceEvent.OPENED, EvidenceEvent.DECLINED,
                    EvidenceEvent.ANSWERED);
            checkLogged(n.itNode, n.itAudit, id);
            checkLogged(n.alNode, n.alAudit, id);
            byte[] receipt = n.itNode.store().deliveries().of(UUID.fromString(id)).get(0).receipt();
            assertThat(new String(receipt, StandardCharsets.UTF_8)).contains("Receipt").doesNotContain("<Evidence");
            for (var s : n.itNode.store().notices().stages(UUID.fromString(id), false)) {
                if (s.xml() != null) {
                    assertThat(new String(s.xml(), StandardCharsets.UTF_8)).contains("Notice").doesNotContain("Evidence");
                }
            }
            Evidences.Content declined = Evidences.claimed(n.alNode.evidence().of(UUID.fromString(id)).get(2).xml());
            assertThat(declined.related()).singleElement().extracting(Evidences.Related::kind).isEqualTo("notice");
            assertThat(n.alNode.peerSchemas().readsEvidence(IT)).isFalse();
            assertThat(n.itNode.peerSchemas().readsEvidence(AL)).isTrue();

            // The other way, Albania announces 1.4: Italy answers the reply with its delivered evidence, which Albania keeps.
            TestNodes.await("the reply delivered", Duration.ofSeconds(20), () -> n.alNode.store().deliveries().of(UUID.fromString(life.reply()))
                    .stream().anyMatch(d -> d.receipt() != null));
            byte[] back = n.alNode.store().deliveries().of(UUID.fromString(life.reply())).get(0).receipt();
            assertThat(Evidences.verify(back, n.alNode.trust(), n.alNode.clock().instant()).content().event()).isEqualTo(EvidenceEvent.DELIVERED);
            assertThat(events(n.alNode, life.reply())).contains(EvidenceEvent.DELIVERED, EvidenceEvent.RELAYED);
        }
    }

    /** Each stored evidence verifies against its issuer's key and its digest is in the issuer's log at the index noted. */
    private static void checkLogged(GatewayNode node, MemoryAuditLog audit, String id) throws Exception {
        List<AuditEvent> events = audit.events();
        for (EvidenceIssuer.Stored s : node.evidence().of(UUID.fromString(id))) {
            Evidences.Verified v = Evidences.verify(s.xml(), node.trust(), node.clock().instant());
            assertThat(s.auditIndex()).isBetween(0L, (long) events.size() - 1);
            AuditEvent e = events.get((int) s.auditIndex());
            assertThat(e.type()).isEqualTo("evidence");
            if (!v.content().issuer().equals(node.me())) { // a peer's evidence: this node's log says it holds it
                assertThat(e.details()).containsEntry("evidenceIssuer", v.content().issuer().value());
            }
            assertThat(e.details()).containsEntry("evidenceSha256", Evidences.sha256(s.xml()))
                    .containsEntry("evidenceId", v.content().evidenceId().toString());
            assertThat(e.outcome()).isEqualTo(v.content().event().id());
        }
    }
}
