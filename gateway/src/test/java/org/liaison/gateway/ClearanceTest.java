package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Clearance;
import org.liaison.certs.Pem;
import org.liaison.certs.Role;
import org.liaison.cli.Main;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Outbox;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;

/**
 * Protection marks are enforced, not only displayed: a package marked {@code minor-involved} opens
 * only for a person whose certificate carries that clearance; anyone else of the authority sees
 * that it exists (sender, time, service, marks) but not its case or files, and the refusal is audited.
 */
class ClearanceTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A colleague at Albania's authority, with the given clearances (none: an empty list). */
    static Path colleague(TestNodes t, String name, String clearances) throws Exception {
        Path al = t.federation.dir().resolve(AL.value());
        Path profile = Files.createDirectories(al.resolve("users").resolve(name));
        List<String> args = new java.util.ArrayList<>(List.of("certs", "issue", "--ca", al.resolve("ca").toString(), "--ca-password-file",
                al.resolve("ca.password").toString(), "--profile", "investigator", "--subject", "CN=" + name + ", OU=AL-PP, O=PP, C=AL",
                "--out", profile.resolve("credential.p12").toString(), "--password-file", profile.resolve("credential.password").toString()));
        if (!clearances.isEmpty()) {
            args.addAll(List.of("--clearance", clearances));
        }
        assertThat(BackupRestoreTest.cli(args.toArray(new String[0])).code()).isZero();
        Files.copy(al.resolve("users/investigator/profile.yaml"), profile.resolve("profile.yaml"));
        return profile;
    }

    @Test
    void onlyAClearedPersonOpensAPackageMarkedForMinorsAndTheRefusalIsAudited() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        MemoryAuditLog alAudit = new MemoryAuditLog();
        Path cleared = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path uncleared = colleague(t, "no-clearance", "");
        Path otherClearance = colleague(t, "victim-data-only", "victim-data");
        assertThat(Clearance.of(Pem.readCertificate(cleared.resolve("credential.pem")))).containsExactlyInAnyOrder(Clearance.values());
        assertThat(Clearance.of(Pem.readCertificate(otherClearance.resolve("credential.pem")))).containsExactly(Clearance.VICTIM_DATA);
        try (GatewayNode it = t.start(IT); GatewayNode al = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            byte[] content = "interview of a minor".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            byte[] manifest = Manifests.sign(new ManifestSpec("OP-MINOR-1", Service.MLA_REQUEST, IT, List.of(AL), null, Instrument.UNTOC,
                    "18", "", Classification.RESTRICTED, Set.of(HandlingFlag.MINOR_INVOLVED), null),
                    List.of(new FileEntry("interview.txt", "text/plain", content.length, Envelopes.sha256(content),
                            List.of(new FileEntry.Custody("test", now, "test", "")))), t.investigator(IT), UUID.randomUUID(), now);
            UUID id = it.outbox().submit(new Outbox.Submission(manifest, List.of(() -> new ByteArrayInputStream(content)), null, null, null,
                    Duration.ofHours(1)));
            TestNodes.await("delivery", Duration.ofSeconds(20), () -> NodeExchangeTest.delivered(it, id));

            // The cleared investigator sees the case and fetches the package.
            JsonNode seen = JsonLines.of(BackupRestoreTest.cli("--profile", cleared.toString(), "inbox", "--json").out()).get(0);
            assertThat(seen.path("case").asText()).isEqualTo("OP-MINOR-1");
            assertThat(seen.has("clearanceRequired")).isFalse();
            BackupRestoreTest.Run ok = BackupRestoreTest.cli("--profile", cleared.toString(), "fetch", id.toString(), "--out",
                    dir.resolve("cleared").toString());
            assertThat(ok.code()).as(ok.err()).isZero();
            assertThat(dir.resolve("cleared/files/interview.txt")).hasContent("interview of a minor");

            // Without the clearance (or with another one): the message exists, its case and files are not shown, fetch is refused.
            for (Path person : List.of(uncleared, otherClearance)) {
                JsonNode listed = JsonLines.of(BackupRestoreTest.cli("--profile", person.toString(), "inbox", "--json").out()).get(0);
                assertThat(listed.path("messageId").asText()).isEqualTo(id.toString());
                assertThat(listed.path("clearanceRequired").toString()).isEqualTo("[\"minor-involved\"]");
                assertThat(listed.has("case")).isFalse();
                assertThat(listed.has("files")).isFalse();
                assertThat(BackupRestoreTest.cli("--profile", person.toString(), "inbox").out()).contains("NEEDS CLEARANCE: minor-involved")
                        .doesNotContain("OP-MINOR-1");
                Path out = dir.resolve("refused-" + person.getFileName());
                BackupRestoreTest.Run refused = BackupRestoreTest.cli("--profile", person.toString(), "fetch", id.toString(), "--out",
                        out.toString());
                assertThat(refused.code()).isEqualTo(Main.FAILED);
                assertThat(refused.err()).contains("marked minor-involved").contains("LIAISON:0033");
                assertThat(out).doesNotExist();
            }
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("fetch-refused")).hasSize(2)
                    .allSatisfy(e -> assertThat(e.reason()).contains("LIAISON:0033").contains("minor-involved"));
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("fetch")).hasSize(1);
        }
        // A clearance is for people, not gateways.
        Path al = t.federation.dir().resolve(AL.value());
        BackupRestoreTest.Run gateway = BackupRestoreTest.cli("certs", "issue", "--ca", al.resolve("ca").toString(), "--ca-password-file",
                al.resolve("ca.password").toString(), "--profile", "encryption", "--subject", "CN=x, O=PP, C=AL", "--clearance",
                "minor-involved", "--out", dir.resolve("x.p12").toString(), "--password-file", dir.resolve("x.pw").toString());
        assertThat(gateway.code()).isEqualTo(Main.FAILED);
        assertThat(gateway.err()).contains("--clearance is for personal certificates");
    }

    /**
     * Answering needs the same clearance as reading: a reply in-reply-to a package marked minor-involved by a
     * person without that clearance is refused (LIAISON:0033), audited as submit-refused, and changes nothing;
     * acknowledging it is refused alike. The cleared colleague answers it.
     */
    @Test
    void onlyAClearedPersonAnswersAPackageMarkedForMinors() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        MemoryAuditLog alAudit = new MemoryAuditLog();
        Path italy = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path cleared = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path uncleared = colleague(t, "no-clearance", "");
        Path file = Files.writeString(dir.resolve("interview.txt"), "interview of a minor");
        try (GatewayNode it = t.start(IT); GatewayNode al = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            BackupRestoreTest.Run sent = BackupRestoreTest.cli("--profile", italy.toString(), "submit", "--to", "AL-PP", "--service",
                    "mla-request", "--case", "OP-MINOR-2", "--legal-basis", "UNTOC art. 18", "--handling", "minor-involved",
                    "--respond-by", "P14D", file.toString());
            assertThat(sent.code()).as(sent.err()).isZero();
            String id = sent.out().strip();
            TestNodes.await("the delivery", Duration.ofSeconds(20), () -> al.store().inbox().all().size() == 1);

            BackupRestoreTest.Run reply = BackupRestoreTest.cli("--profile", uncleared.toString(), "submit", "--to", "IT-DNA", "--service",
                    "mla-response", "--case", "OP-MINOR-2", "--legal-basis", "UNTOC art. 18", "--in-reply-to", id, file.toString());
            assertThat(NeedToKnowTest.refusal(reply, "LIAISON:0033")).contains("marked minor-involved").contains("answer");
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("submit-refused")).singleElement()
                    .satisfies(e -> assertThat(e.messageId()).isEqualTo(id))
                    .satisfies(e -> assertThat(e.reason()).contains("LIAISON:0033").contains("minor-involved"));
            NeedToKnowTest.refusal(BackupRestoreTest.cli("--profile", uncleared.toString(), "acknowledge", id), "LIAISON:0033");
            assertThat(al.store().sent().all()).isEmpty();
            assertThat(al.isAnswered(UUID.fromString(id))).isFalse();
            assertThat(al.store().notices().stages(UUID.fromString(id), true)).isEmpty();
            assertThat(alAudit.events()).noneMatch(e -> e.type().equals("seal") || e.type().equals("stage"));

            BackupRestoreTest.Run answer = BackupRestoreTest.cli("--profile", cleared.toString(), "submit", "--to", "IT-DNA", "--service",
                    "mla-response", "--case", "OP-MINOR-2", "--legal-basis", "UNTOC art. 18", "--in-reply-to", id, file.toString());
            assertThat(answer.code()).as(answer.err()).isZero();
            assertThat(al.isAnswered(UUID.fromString(id))).isTrue();
        }
    }
}
