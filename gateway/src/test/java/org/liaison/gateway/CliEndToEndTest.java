package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.cli.Main;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;

/** Investigators at work through the `liaison` command against running nodes. */
class CliEndToEndTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    static Run liaison(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    TestNodes t;

    String profile(AuthorityId id, String role) {
        return t.federation.dir().resolve(id.value()).resolve("users").resolve(role).toString();
    }

    static JsonNode json(Run r) throws Exception {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }

    /** A listing's --json output: one object per line. */
    static JsonNode lines(Run r) throws Exception {
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        return JsonLines.of(r.out());
    }

    void awaitDelivered(String profile, String id) throws Exception {
        TestNodes.await("delivery of " + id, Duration.ofSeconds(30), () -> {
            try {
                JsonNode m = json(liaison("--profile", profile, "status", id, "--json"));
                for (JsonNode d : m.path("deliveries")) {
                    if (!d.path("state").asText().equals("delivered")) {
                        return false;
                    }
                }
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void submitDeliverFetchVerifyReplyAndJit() throws Exception {
        t = new TestNodes(dir.resolve("fed"));
        Path evidence = Files.createDirectories(dir.resolve("evidence"));
        Files.writeString(evidence.resolve("bank-statement.txt"), "account 4711, March-June 2026");
        Files.write(evidence.resolve("photo.jpg"), new byte[300_000]);
        String it = profile(IT, "investigator");
        String al = profile(AL, "investigator");
        try (GatewayNode n1 = t.start(IT); GatewayNode n2 = t.start(AL); GatewayNode n3 = t.start(US)) {
            Run submit = liaison("--profile", it, "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "OP-CORRIDOR-2026",
                    "--legal-basis", "UNTOC art. 18", "--handling", "minor-involved", "--idempotency-key", "k-1",
                    evidence.resolve("bank-statement.txt").toString(), evidence.resolve("photo.jpg").toString());
            assertThat(submit.exit()).as(submit.err()).isZero();
            String id = submit.out().trim();
            awaitDelivered(it, id);

            // Re-running the same command with the same idempotency key creates no second message.
            Run again = liaison("--profile", it, "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "OP-CORRIDOR-2026",
                    "--legal-basis", "UNTOC art. 18", "--handling", "minor-involved", "--idempotency-key", "k-1",
                    evidence.resolve("bank-statement.txt").toString(), evidence.resolve("photo.jpg").toString());
            assertThat(again.out().trim()).as(again.err()).isEqualTo(id);
            // The same key for another package is refused, naming the key and the first message.
            Run other = liaison("--profile", it, "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "OP-CORRIDOR-2026",
                    "--legal-basis", "UNTOC art. 18", "--idempotency-key", "k-1", evidence.resolve("bank-statement.txt").toString());
            assertThat(other.exit()).isEqualTo(1);
            assertThat(other.err()).contains("LIAISON:0028").contains("k-1").contains(id);
            assertThat(lines(liaison("--profile", it, "status", "--json"))).hasSize(1);

            JsonNode inbox = lines(liaison("--profile", al, "inbox", "--json"));
            assertThat(inbox).hasSize(1);
            assertThat(inbox.get(0).path("case").asText()).isEqualTo("OP-CORRIDOR-2026");
            assertThat(inbox.get(0).path("handling").toString()).contains("minor-involved");

            Path out = dir.resolve("received");
            Run fetch = liaison("--profile", al, "fetch", id, "--out", out.toString());
            assertThat(fetch.exit()).as(fetch.out() + fetch.err()).isZero();
            assertThat(Files.readString(out.resolve("files/bank-statement.txt"))).isEqualTo("account 4711, March-June 2026");
            assertThat(Files.readAllBytes(out.resolve("files/photo.jpg"))).isEqualTo(new byte[300_000]);
            assertThat(liaison("--profile", al, "fetch", id, "--out", out.toString()).err()).contains("refuses to overwrite");
            Run verify = liaison("--profile", al, "verify", out.toString());
            assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();

            // Albania answers in the same conversation.
            Files.writeString(evidence.resolve("answer.txt"), "records attached");
            Run reply = liaison("--profile", al, "submit", "--in-reply-to", id, "--to", "IT-DNA", "--service", "mla-response",
                    "--case", "OP-CORRIDOR-2026", "--legal-basis", "UNTOC art. 18", evidence.resolve("answer.txt").toString());
            assertThat(reply.exit()).as(reply.err()).isZero();
            String replyId = reply.out().trim();
            awaitDelivered(al, replyId);
            JsonNode itInbox = lines(liaison("--profile", it, "inbox", "--json"));
            assertThat(itInbox.get(0).path("inReplyTo").asText()).isEqualTo(id);
            assertThat(itInbox.get(0).path("conversationId").asText()).isEqualTo(id);

            // A JIT file reaches every other member.
            Run jit = liaison("--profile", profile(US, "investigator"), "submit", "--jit", t.federation.jitId(), "--service",
                    "jit-file-share", "--case", "OP-CORRIDOR-2026", "--legal-basis", "UNTOC art. 19",
                    evidence.resolve("answer.txt").toString());
            assertThat(jit.exit()).as(jit.err()).isZero();
            awaitDelivered(profile(US, "investigator"), jit.out().trim());
            assertThat(lines(liaison("--profile", al, "inbox", "--json"))).hasSize(2);

            // Re-running the same command (no key given) is safe by default: the same message, and it says so.
            String[] sameJit = {"--profile", profile(US, "investigator"), "submit", "--jit", t.federation.jitId(), "--service",
                "jit-file-share", "--case", "OP-CORRIDOR-2026", "--legal-basis", "UNTOC art. 19", evidence.resolve("answer.txt").toString()};
            Run rerun = liaison(sameJit);
            assertThat(rerun.exit()).as(rerun.err()).isZero();
            assertThat(rerun.out().trim()).isEqualTo(jit.out().trim());
            assertThat(rerun.err()).contains("submitted the same package before").contains("--new");
            // --new sends it again as a new message.
            String[] fresh = java.util.Arrays.copyOf(sameJit, sameJit.length + 1);
            fresh[sameJit.length] = "--new";
            Run anew = liaison(fresh);
            assertThat(anew.exit()).as(anew.err()).isZero();
            assertThat(anew.out().trim()).isNotEqualTo(jit.out().trim());

            // Text output names the states.
            assertThat(liaison("--profile", it, "status").out()).contains("delivered").contains("receipt SHA-256");
        }
    }

    @Test
    void aPackageWithEmptyFilesIsFetchedWholeAndVerifies() throws Exception {
        t = new TestNodes(dir.resolve("fed"));
        Path evidence = Files.createDirectories(dir.resolve("evidence"));
        Files.write(evidence.resolve("empty-first.bin"), new byte[0]);
        Files.writeString(evidence.resolve("note.txt"), "between two empty files");
        Files.write(evidence.resolve("empty.bin"), new byte[0]);
        String it = profile(IT, "investigator");
        String al = profile(AL, "investigator");
        try (GatewayNode n1 = t.start(IT); GatewayNode n2 = t.start(AL)) {
            Run submit = liaison("--profile", it, "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "C-EMPTY",
                    "--legal-basis", "UNTOC art. 18", evidence.resolve("empty-first.bin").toString(),
                    evidence.resolve("note.txt").toString(), evidence.resolve("empty.bin").toString());
            assertThat(submit.exit()).as(submit.err()).isZero();
            String id = submit.out().trim();
            awaitDelivered(it, id);

            Path out = dir.resolve("received");
            Run fetch = liaison("--profile", al, "fetch", id, "--out", out.toString());
            assertThat(fetch.exit()).as(fetch.out() + fetch.err()).isZero();
            assertThat(out.resolve("files/empty-first.bin")).isRegularFile().isEmptyFile();
            assertThat(out.resolve("files/empty.bin")).isRegularFile().isEmptyFile();
            assertThat(Files.readString(out.resolve("files/note.txt"))).isEqualTo("between two empty files");
            Run verify = liaison("--profile", al, "verify", out.toString());
            assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();

            // A download that stopped after the last byte, before the trailing empty file was written, completes
            // without asking the gateway for a range past the end.
            Path again = dir.resolve("again");
            Path partial = dir.resolve(".again.partial");
            Files.createDirectories(partial.resolve("files"));
            Files.writeString(partial.resolve(".message-id"), id);
            Files.copy(out.resolve("manifest.xml"), partial.resolve("manifest.xml"));
            Files.copy(out.resolve("files/empty-first.bin"), partial.resolve("files/empty-first.bin"));
            Files.copy(out.resolve("files/note.txt"), partial.resolve("files/note.txt"));
            Run resumed = liaison("--profile", al, "fetch", id, "--out", again.toString());
            assertThat(resumed.exit()).as(resumed.out() + resumed.err()).isZero();
            assertThat(again.resolve("files/empty.bin")).isRegularFile().isEmptyFile();
        }
    }

    @Test
    void refusalsOnTheLocalApi() throws Exception {
        t = new TestNodes(dir.resolve("fed"));
        Path f = Files.writeString(dir.resolve("x.txt"), "x");
        try (GatewayNode n1 = t.start(IT); GatewayNode n2 = t.start(AL)) {
            // An auditor may not submit.
            Run auditor = liaison("--profile", profile(IT, "auditor"), "submit", "--to", "AL-PP", "--service", "mla-request", "--case",
                    "C-1", "--legal-basis", "UNTOC art. 18", f.toString());
            assertThat(auditor.exit()).isEqualTo(Main.FAILED);
            assertThat(auditor.err()).contains("has no role for this").contains("LIAISON:0018");

            // An Albanian investigator on Italy's gateway is refused in the TLS handshake.
            Path wrong = Files.createDirectories(dir.resolve("wrong-profile"));
            Path alUser = Path.of(profile(AL, "investigator"));
            for (String name : List.of("credential.p12", "credential.password")) {
                Files.copy(alUser.resolve(name), wrong.resolve(name));
            }
            String yaml = Files.readString(alUser.resolve("profile.yaml"))
                    .replace(String.valueOf(t.federation.nodes().get(AL).local().port()), String.valueOf(n1.localPort()))
                    .replace("../../ca/ca.pem", alUser.resolve("../../../IT-DNA/ca/ca.pem").normalize().toString())
                    .replace("federation: ../../..", "federation: " + t.federation.dir());
            Files.writeString(wrong.resolve("profile.yaml"), yaml);
            Run foreign = liaison("--profile", wrong.toString(), "inbox");
            assertThat(foreign.exit()).isEqualTo(Main.FAILED);
            assertThat(foreign.err()).contains("refused your certificate").doesNotContain("Exception");

            // A package whose files do not match its signed manifest is refused at submit, and nothing is queued.
            LocalClient client = new LocalClient(Path.of(profile(IT, "investigator")));
            var s = t.submission(IT, List.of(AL), null, null, TestNodes.text("original"));
            Path forged = Files.writeString(dir.resolve("forged.txt"), "0riginal");
            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
                    () -> client.submit(s.manifestXml(), List.of(forged), null, null));
            assertThat(refused).hasMessageContaining("does not match the size and SHA-256");
            assertThat(n1.store().sent().all()).isEmpty();

            // Fetching from a node that is not a recipient: nothing there.
            Run none = liaison("--profile", profile(IT, "investigator"), "fetch", java.util.UUID.randomUUID().toString(), "--out",
                    dir.resolve("nothing").toString());
            assertThat(none.exit()).isEqualTo(Main.FAILED);
            assertThat(none.err()).contains("no received message");
            assertThat(dir.resolve("nothing")).doesNotExist();

            // A revoked personal certificate is refused once the node has loaded the new CRL.
            var italy = t.federation.pki().authority(IT);
            italy.ca().revoke(t.investigator(IT).certificate().getSerialNumber(), java.security.cert.CRLReason.KEY_COMPROMISE,
                    java.time.Instant.now().minusSeconds(1));
            italy.ca().writeCrl(java.time.Instant.now().minusSeconds(1), Duration.ofDays(7));
            TestNodes.await("refusal of the revoked investigator", Duration.ofSeconds(10),
                    () -> liaison("--profile", profile(IT, "investigator"), "inbox").exit() == Main.FAILED);
            TestNodes.await("audit of the refusal", Duration.ofSeconds(5), () -> n1.audit() instanceof MemoryAuditLog m
                    && m.events().stream().anyMatch(e -> e.reason() != null && e.reason().contains("local API") && e.reason().contains("revoked")));

            Run noProfile = liaison("inbox");
            assertThat(noProfile.exit()).isEqualTo(Main.FAILED);
            assertThat(noProfile.err()).contains("no profile");
        }
        // The node stopped: the short commands say so (they use one blocking connection, no client thread).
        Run down = liaison("--profile", profile(AL, "investigator"), "status");
        assertThat(down.exit()).isEqualTo(Main.FAILED);
        assertThat(down.err()).contains("cannot reach your gateway").contains("is the node running");
    }
}
