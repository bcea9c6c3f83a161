package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
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

    @Test
    void eachNodeIssuesSignsStoresAndLogsTheEvidenceOfItsActs() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path al = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "please send the records of account 4711");
        MemoryAuditLog itAudit = new MemoryAuditLog();
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode itNode = GatewayNode.start(t.config(IT), itAudit, TestNodes.FAST);
                GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
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
            TestNodes.await("the answer at Italy", Duration.ofSeconds(20), () -> {
                try {
                    return events(itNode, id).contains(EvidenceEvent.ANSWERED);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });

            assertThat(events(itNode, id)).containsExactly(EvidenceEvent.SUBMISSION_ACCEPTED, EvidenceEvent.RELAYED, EvidenceEvent.ANSWERED);
            assertThat(events(alNode, id)).containsExactly(EvidenceEvent.DELIVERED, EvidenceEvent.OPENED, EvidenceEvent.DECLINED,
                    EvidenceEvent.ANSWERED);
            assertThat(events(alNode, reply)).startsWith(EvidenceEvent.SUBMISSION_ACCEPTED);

            checkLogged(itNode, itAudit, id);
            checkLogged(alNode, alAudit, id);

            Evidences.Content submitted = Evidences.claimed(itNode.evidence().of(UUID.fromString(id)).get(0).xml());
            assertThat(submitted.parts()).hasSize(1);
            assertThat(submitted.parts().get(0).sha256()).matches("[0-9a-f]{64}");
            assertThat(submitted.parts().get(0).ciphertextSha256()).matches("[0-9a-f]{64}");
            Evidences.Content declined = Evidences.claimed(alNode.evidence().of(UUID.fromString(id)).get(2).xml());
            assertThat(declined.reasons()).containsExactly(new Evidences.Reason("dual-criminality", "not an offence here"));
            assertThat(declined.issuer()).isEqualTo(AL);
            assertThat(declined.related()).singleElement().extracting(Evidences.Related::kind).isEqualTo("notice");
            Evidences.Content answered = Evidences.claimed(itNode.evidence().of(UUID.fromString(id)).get(2).xml());
            assertThat(answered.related()).singleElement().extracting(Evidences.Related::messageId).isEqualTo(UUID.fromString(reply));
        }
    }

    /** Each stored evidence verifies against its issuer's key and its digest is in the issuer's log at the index noted. */
    private static void checkLogged(GatewayNode node, MemoryAuditLog audit, String id) throws Exception {
        List<AuditEvent> events = audit.events();
        for (EvidenceIssuer.Stored s : node.evidence().of(UUID.fromString(id))) {
            Evidences.Verified v = Evidences.verify(s.xml(), node.trust(), node.clock().instant());
            assertThat(v.content().issuer()).isEqualTo(node.me());
            assertThat(s.auditIndex()).isBetween(0L, (long) events.size() - 1);
            AuditEvent e = events.get((int) s.auditIndex());
            assertThat(e.type()).isEqualTo("evidence");
            assertThat(e.details()).containsEntry("evidenceSha256", Evidences.sha256(s.xml()))
                    .containsEntry("evidenceId", v.content().evidenceId().toString());
            assertThat(e.outcome()).isEqualTo(v.content().event().id());
        }
    }
}
