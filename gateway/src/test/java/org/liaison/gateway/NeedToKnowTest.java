package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Pem;
import org.liaison.certs.Role;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.ErrorCode;

/**
 * Need to know: an investigator sees the messages they submitted, the replies to them, and the
 * messages of the cases an operator put them on; operators see metadata only and manage assignments
 * (audited); with caseAccess: assigned, a received case nobody is on is seen by no investigator.
 */
class NeedToKnowTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String submit(Path profile, Path file, String to, String caseRef, String... more) {
        List<String> args = new ArrayList<>(List.of("--profile", profile.toString(), "submit", "--to", to, "--service", "mla-request",
                "--case", caseRef, "--legal-basis", "UNTOC art. 18", "--new"));
        args.addAll(List.of(more));
        args.add(file.toString());
        BackupRestoreTest.Run r = BackupRestoreTest.cli(args.toArray(new String[0]));
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    private static List<String> inbox(Path profile) throws Exception {
        BackupRestoreTest.Run r = BackupRestoreTest.cli("--profile", profile.toString(), "inbox", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> ids = new ArrayList<>();
        JsonLines.of(r.out()).forEach(m -> ids.add(m.path("messageId").asText()));
        return ids;
    }

    private static List<String> sent(Path profile) throws Exception {
        List<String> ids = new ArrayList<>();
        JsonLines.of(BackupRestoreTest.cli("--profile", profile.toString(), "status", "--json").out())
                .forEach(m -> ids.add(m.path("messageId").asText()));
        return ids;
    }

    private static BackupRestoreTest.Run fetch(Path profile, String id, Path out) {
        return BackupRestoreTest.cli("--profile", profile.toString(), "fetch", id, "--out", out.toString());
    }

    @Test
    void investigatorsSeeTheirOwnAndTheirCasesOperatorsAssignAndSeeMetadata() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Files.writeString(t.config(AL), "caseAccess: assigned\n", StandardOpenOption.APPEND);
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path maria = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path ardit = ClearanceTest.colleague(t, "ardit", "minor-involved,victim-data,witness-protected");
        Path ops = t.federation.profiles().get(AL).get(Role.OPERATOR);
        String mariaSubject = Pem.readCertificate(maria.resolve("credential.pem")).getSubjectX500Principal().getName();
        String arditFingerprint = "SHA256:" + Fingerprint.of(Pem.readCertificate(ardit.resolve("credential.pem"))).hex();
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            String a = submit(it, file, "AL-PP", "OP-A");
            String b = submit(it, file, "AL-PP", "OP-B");
            TestNodes.await("two deliveries", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 2);

            // Nobody is on either case yet: no investigator sees them; the operator sees both, without content.
            assertThat(inbox(maria)).isEmpty();
            BackupRestoreTest.Run refused = fetch(maria, a, dir.resolve("a0"));
            assertThat(refused.code()).isNotZero();
            assertThat(refused.err()).contains(ErrorCode.NOT_ASSIGNED.code()).contains("cases assign");
            assertThat(alAudit.events()).anyMatch(e -> e.type().equals("fetch-refused") && a.equals(e.messageId())
                    && e.reason().contains(ErrorCode.NOT_ASSIGNED.code()));
            assertThat(inbox(ops)).containsExactlyInAnyOrder(a, b);
            assertThat(fetch(ops, a, dir.resolve("a1")).err()).contains(ErrorCode.UNAUTHORIZED.code());

            // Only an operator assigns; a person is named by subject or fingerprint, and a wrong name is a clear error.
            assertThat(BackupRestoreTest.cli("--profile", maria.toString(), "cases", "assign", "OP-A", mariaSubject).code()).isNotZero();
            BackupRestoreTest.Run badName = BackupRestoreTest.cli("--profile", ops.toString(), "cases", "assign", "OP-A", "maria");
            assertThat(badName.code()).isNotZero();
            assertThat(badName.err()).contains("subject");
            BackupRestoreTest.Run assigned = BackupRestoreTest.cli("--profile", ops.toString(), "cases", "assign", "OP-A", mariaSubject);
            assertThat(assigned.code()).as(assigned.err()).isZero();
            assertThat(assigned.out()).contains("is now on case OP-A");
            assertThat(BackupRestoreTest.cli("--profile", ops.toString(), "cases", "assign", "OP-B", arditFingerprint).code()).isZero();
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("case-assign")).hasSize(2);

            assertThat(inbox(maria)).containsExactly(a);
            assertThat(inbox(ardit)).containsExactly(b);
            assertThat(fetch(maria, a, dir.resolve("a2")).code()).isZero();
            assertThat(fetch(maria, b, dir.resolve("b2")).err()).contains(ErrorCode.NOT_ASSIGNED.code());
            assertThat(BackupRestoreTest.cli("--profile", maria.toString(), "decline", b, "--reason", "outside-jurisdiction").err())
                    .contains(ErrorCode.NOT_ASSIGNED.code());
            assertThat(BackupRestoreTest.cli("--profile", maria.toString(), "cases", "list").out()).contains("OP-A").doesNotContain("OP-B");
            assertThat(BackupRestoreTest.cli("--profile", ops.toString(), "cases", "list").out()).contains("OP-A").contains("OP-B");

            // Maria answers under her own case reference: her message, not Ardit's; Italy's reply to it is hers to read.
            String answer = submit(maria, file, "IT-DNA", "AL-2026-7", "--in-reply-to", a);
            assertThat(sent(maria)).containsExactly(answer);
            assertThat(sent(ardit)).isEmpty();
            assertThat(sent(ops)).containsExactly(answer);
            TestNodes.await("Albania's answer at Italy", Duration.ofSeconds(20), () -> itNode.store().inbox().all().size() == 1);
            String followUp = submit(it, file, "AL-PP", "OP-A-FOLLOW-UP", "--in-reply-to", answer);
            TestNodes.await("the follow-up", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 3);
            assertThat(inbox(maria)).containsExactlyInAnyOrder(a, followUp);
            assertThat(inbox(ardit)).containsExactly(b);

            // Taken off the case, she no longer sees it.
            assertThat(BackupRestoreTest.cli("--profile", ops.toString(), "cases", "unassign", "OP-A", mariaSubject).out())
                    .contains("is no longer on case OP-A");
            assertThat(inbox(maria)).containsExactly(followUp);
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("case-unassign")).hasSize(1);
        }
    }

    /** The one line the CLI prints for a refusal: the gateway's reason and its code. */
    static String refusal(BackupRestoreTest.Run r, String code) {
        assertThat(r.code()).as(r.out()).isEqualTo(Main.FAILED);
        List<String> said = r.err().lines().filter(l -> l.startsWith("liaison: ")).toList();
        assertThat(said).as(r.err()).singleElement().satisfies(l -> assertThat(l).contains(code).endsWith("[" + code + "]"));
        return said.get(0);
    }

    /**
     * Answering a request needs the right to read it: a reply in-reply-to a message of a case the person
     * is not on is refused like a fetch of it (LIAISON:0035), audited as submit-refused, and changes
     * nothing — no message, no answered mark, nothing for the requesting authority.
     */
    @Test
    void aReplyNeedsTheRightToReadWhatItAnswers() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Files.writeString(t.config(AL), "caseAccess: assigned\n", StandardOpenOption.APPEND);
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path maria = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path ardit = ClearanceTest.colleague(t, "ardit", "minor-involved,victim-data,witness-protected");
        Path ops = t.federation.profiles().get(AL).get(Role.OPERATOR);
        String mariaSubject = Pem.readCertificate(maria.resolve("credential.pem")).getSubjectX500Principal().getName();
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            String a = submit(it, file, "AL-PP", "OP-A", "--respond-by", "P14D");
            TestNodes.await("the delivery", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 1);
            assertThat(BackupRestoreTest.cli("--profile", ops.toString(), "cases", "assign", "OP-A", mariaSubject).code()).isZero();
            assertThat(fetch(ardit, a, dir.resolve("a0")).err()).contains(ErrorCode.NOT_ASSIGNED.code());

            // Ardit is not on OP-A: he may not answer it either.
            BackupRestoreTest.Run reply = BackupRestoreTest.cli("--profile", ardit.toString(), "submit", "--to", "IT-DNA", "--service",
                    "mla-response", "--case", "OP-A", "--legal-basis", "UNTOC art. 18", "--in-reply-to", a, file.toString());
            assertThat(refusal(reply, ErrorCode.NOT_ASSIGNED.code())).contains("message " + a).contains("answer")
                    .contains("cases assign");
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("submit-refused")).singleElement()
                    .satisfies(e -> assertThat(e.messageId()).isEqualTo(a))
                    .satisfies(e -> assertThat(e.reason()).contains(ErrorCode.NOT_ASSIGNED.code()));
            assertThat(alNode.store().sent().all()).isEmpty();
            assertThat(alNode.isAnswered(java.util.UUID.fromString(a))).isFalse();
            assertThat(alAudit.events()).noneMatch(e -> e.type().equals("seal") || e.type().equals("stage"));
            JsonNode listed = JsonLines.of(BackupRestoreTest.cli("--profile", maria.toString(), "inbox", "--json").out()).get(0);
            assertThat(listed.path("answered").asBoolean()).isFalse();
            assertThat(sent(ardit)).isEmpty();

            // Maria, who is on the case, answers it.
            String answer = submit(maria, file, "IT-DNA", "OP-A", "--in-reply-to", a);
            assertThat(sent(maria)).containsExactly(answer);
            assertThat(alNode.isAnswered(java.util.UUID.fromString(a))).isTrue();
        }
    }

    @Test
    void inOpenModeACaseIsEveryonesUntilItHasATeam() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path maria = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path ardit = ClearanceTest.colleague(t, "ardit", "minor-involved,victim-data,witness-protected");
        Path ops = t.federation.profiles().get(AL).get(Role.OPERATOR);
        String mariaSubject = Pem.readCertificate(maria.resolve("credential.pem")).getSubjectX500Principal().getName();
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = t.start(AL)) {
            String a = submit(it, file, "AL-PP", "OP-A");
            String b = submit(it, file, "AL-PP", "OP-B");
            TestNodes.await("two deliveries", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 2);
            assertThat(inbox(ardit)).containsExactlyInAnyOrder(a, b);
            assertThat(BackupRestoreTest.cli("--profile", ops.toString(), "cases", "assign", "OP-A", mariaSubject).code()).isZero();
            assertThat(inbox(ardit)).containsExactly(b);
            assertThat(inbox(maria)).containsExactlyInAnyOrder(a, b);
            assertThat(fetch(ardit, a, dir.resolve("a")).err()).contains(ErrorCode.NOT_ASSIGNED.code());
        }
    }
}
