package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.cli.UserException;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Stages;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.Notices;

/**
 * The life of a request after its delivery: the recipient's node tells the sender that the request was
 * opened (not by whom), acknowledged or declined with a reason; its reply marks it answered. Both
 * audit logs record each stage; status shows them per recipient. A notice from an authority the message
 * was not sent to, or about a message that does not exist, is refused and audited.
 */
class StageTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String submit(Path profile, Path file, String to) {
        BackupRestoreTest.Run r = BackupRestoreTest.cli("--profile", profile.toString(), "submit", "--to", to, "--service", "mla-request",
                "--case", "OP-STAGES", "--legal-basis", "UNTOC art. 18", "--new", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    private static JsonNode delivery(Path profile, String id, String recipient) throws Exception {
        JsonNode status = JSON.readTree(BackupRestoreTest.cli("--profile", profile.toString(), "status", id, "--json").out());
        for (JsonNode d : status.path("deliveries")) {
            if (d.path("recipient").asText().equals(recipient)) {
                return d;
            }
        }
        throw new AssertionError("no delivery to " + recipient + " in " + status);
    }

    private static boolean hasStage(Path profile, String id, String recipient, String stage) {
        try {
            for (JsonNode s : delivery(profile, id, recipient).path("stages")) {
                if (s.path("stage").asText().equals(stage)) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void openedDeclinedAcknowledgedAndAnsweredReachTheSenderAndBothLogs() throws Exception {
        try (TwoNodes n = TwoNodes.start(dir)) {
            String declined = submit(n.it, n.file, "AL-PP");
            String accepted = submit(n.it, n.file, "AL-PP");
            TestNodes.await("two deliveries", Duration.ofSeconds(20), () -> n.alNode.store().inbox().all().size() == 2);
            assertThat(delivery(n.it, declined, "AL-PP").path("stages")).isEmpty();

            // Albania's investigator opens the first: Italy learns it was opened, not by whom.
            BackupRestoreTest.Run fetch = BackupRestoreTest.cli("--profile", n.al.toString(), "fetch", declined, "--out",
                    dir.resolve("got").toString());
            assertThat(fetch.code()).as(fetch.err()).isZero();
            TestNodes.await("the opened notice at Italy", Duration.ofSeconds(20), () -> hasStage(n.it, declined, "AL-PP", Stages.OPENED));
            BackupRestoreTest.cli("--profile", n.al.toString(), "fetch", declined, "--out", dir.resolve("again").toString());

            // A decline needs a known reason code; then it travels with its note.
            BackupRestoreTest.Run noReason = BackupRestoreTest.cli("--profile", n.al.toString(), "decline", declined, "--reason", "because");
            assertThat(noReason.code()).isNotZero();
            assertThat(noReason.err()).contains("dual-criminality");
            BackupRestoreTest.Run decline = BackupRestoreTest.cli("--profile", n.al.toString(), "decline", declined, "--reason",
                    "dual-criminality", "--note", "the conduct is not an offence under Albanian law");
            assertThat(decline.code()).as(decline.err()).isZero();
            assertThat(decline.out()).contains("declined (dual-criminality)");
            assertThat(BackupRestoreTest.cli("--profile", n.al.toString(), "decline", declined, "--reason", "dual-criminality").out())
                    .contains("already");
            TestNodes.await("the decline at Italy", Duration.ofSeconds(20), () -> hasStage(n.it, declined, "AL-PP", Stages.DECLINED));
            String text = BackupRestoreTest.cli("--profile", n.it.toString(), "status", declined).out();
            assertThat(text).contains("opened").contains("declined").contains("reason: dual-criminality")
                    .contains("not an offence under Albanian law");
            // Each note is kept beside its verified notice: a listing shows it without parsing the notice ("": none).
            assertThat(n.itNode.store().notices().stages(UUID.fromString(declined), false)).extracting(MessageStore.Stage::note)
                    .containsExactly("", "the conduct is not an offence under Albanian law");

            // The second is acknowledged, then answered by a reply.
            assertThat(BackupRestoreTest.cli("--profile", n.al.toString(), "acknowledge", accepted).code()).isZero();
            BackupRestoreTest.Run reply = BackupRestoreTest.cli("--profile", n.al.toString(), "submit", "--in-reply-to", accepted, "--to",
                    "IT-DNA", "--service", "mla-response", "--case", "OP-STAGES", "--legal-basis", "UNTOC art. 18", n.file.toString());
            assertThat(reply.code()).as(reply.err()).isZero();
            TestNodes.await("acknowledged and answered at Italy", Duration.ofSeconds(20),
                    () -> hasStage(n.it, accepted, "AL-PP", Stages.ACKNOWLEDGED) && hasStage(n.it, accepted, "AL-PP", Stages.ANSWERED));
            assertThat(hasStage(n.it, accepted, "AL-PP", Stages.OPENED)).isFalse(); // nobody fetched it
            assertThat(BackupRestoreTest.cli("--profile", n.al.toString(), "inbox").out()).contains("DECLINED").contains("ACKNOWLEDGED");

            // Each stage is in both logs, once; the opened notice does not name the person who opened it.
            TestNodes.await("the notices delivered", Duration.ofSeconds(20), () -> n.alAudit.events().stream()
                    .filter(e -> e.type().equals("notice-delivered")).count() == 3);
            assertThat(stages(n.itAudit, declined)).containsExactly("opened", "declined");
            assertThat(stages(n.alAudit, declined)).containsExactly("opened", "declined");
            assertThat(stages(n.itAudit, accepted)).containsExactlyInAnyOrder("acknowledged", "answered");
            assertThat(stages(n.alAudit, accepted)).containsExactlyInAnyOrder("acknowledged", "answered");
            assertThat(n.itAudit.events()).filteredOn(e -> e.type().equals("stage") && "declined".equals(e.outcome()))
                    .allMatch(e -> "dual-criminality".equals(e.reason()));
            byte[] notice = n.alNode.store().notices().stages(UUID.fromString(declined), true).stream()
                    .filter(s -> s.stage().equals(Stages.OPENED)).findFirst().orElseThrow().xml();
            String investigator = n.alAudit.events().stream().filter(e -> e.type().equals("fetch")).findFirst().orElseThrow().actor();
            assertThat(new String(notice, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain(investigator.substring(7, 23));
        }
    }

    /**
     * A reply goes to the sender of the request it answers (others may be added): one addressed only to
     * another authority is refused (LIAISON:0036), audited, and marks nothing answered on either side.
     */
    @Test
    void aReplyThatDoesNotGoToTheRequestsSenderIsRefused() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path al = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "please send the records of account 4711");
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            BackupRestoreTest.Run asked = BackupRestoreTest.cli("--profile", it.toString(), "submit", "--to", "AL-PP", "--service",
                    "mla-request", "--case", "OP-STAGES", "--legal-basis", "UNTOC art. 18", "--respond-by", "P14D", file.toString());
            assertThat(asked.code()).as(asked.err()).isZero();
            String request = asked.out().strip();
            TestNodes.await("the delivery", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 1);

            // A large answer: the gateway refuses it while the CLI still uploads, and the CLI still says why.
            Path large = dir.resolve("records.bin");
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(large.toFile(), "rw")) {
                f.setLength(96L << 20);
            }
            BackupRestoreTest.Run elsewhere = BackupRestoreTest.cli("--profile", al.toString(), "submit", "--in-reply-to", request, "--to",
                    "US-OIA", "--service", "mla-response", "--case", "OP-STAGES", "--legal-basis", "UNTOC art. 18", large.toString());
            assertThat(NeedToKnowTest.refusal(elsewhere, "LIAISON:0036")).contains("IT-DNA").contains("message " + request);
            assertThat(alAudit.events()).filteredOn(e -> e.type().equals("submit-refused")).singleElement()
                    .satisfies(e -> assertThat(e.reason()).contains("LIAISON:0036"));
            assertThat(alNode.store().sent().all()).isEmpty();
            assertThat(alNode.isAnswered(UUID.fromString(request))).isFalse();
            assertThat(stages(alAudit, request)).isEmpty();
            assertThat(alAudit.events()).noneMatch(e -> e.type().equals("seal"));
            JsonNode owed = JsonLines.of(BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--json").out()).get(0);
            assertThat(owed.path("answered").asBoolean()).isFalse();

            // To Italy and, besides, to the United States: a reply.
            BackupRestoreTest.Run both = BackupRestoreTest.cli("--profile", al.toString(), "submit", "--in-reply-to", request, "--to",
                    "US-OIA,IT-DNA", "--service", "mla-response", "--case", "OP-STAGES", "--legal-basis", "UNTOC art. 18", file.toString());
            assertThat(both.code()).as(both.err()).isZero();
            assertThat(alNode.isAnswered(UUID.fromString(request))).isTrue();
            TestNodes.await("answered at Italy", Duration.ofSeconds(20), () -> hasStage(it, request, "AL-PP", Stages.ANSWERED));
        }
    }

    private static java.util.List<String> stages(MemoryAuditLog log, String id) {
        return log.events().stream().filter(e -> e.type().equals("stage") && id.equals(e.messageId())).map(AuditEvent::outcome).toList();
    }

    @Test
    void aNoticeFromAnAuthorityTheMessageWasNotSentToIsRefusedAndAudited() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        MemoryAuditLog itAudit = new MemoryAuditLog();
        try (GatewayNode itNode = GatewayNode.start(t.config(IT), itAudit, TestNodes.FAST); GatewayNode alNode = t.start(AL);
                GatewayNode usNode = t.start(US)) {
            String id = submit(it, file, "AL-PP");
            TestNodes.await("the delivery", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 1);
            var env = alNode.store().inbox().received(UUID.fromString(id)).orElseThrow();
            UUID conversation = Envelopes.readStored(env.envelope(), env.envelopeSha256()).header()
                    .conversationId();
            URI italy = URI.create(itNode.trust().directory().require(IT).endpoints().get(0));
            // The United States claim to have declined a message sent to Albania only.
            byte[] meddling = Notices.create(new Notices.Content(UUID.randomUUID(), UUID.fromString(id), conversation, IT, US,
                    "declined", Instant.now(), "essential-interests", null), usNode.signing());
            ProtocolException refused = org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
                    () -> usNode.peerClient().post(IT, italy, ReceiveHandler.NOTICE_PATH, Stages.NOTICE_TYPE, meddling));
            assertThat(refused.code()).isEqualTo(ErrorCode.NOT_A_RECIPIENT);
            // Albania about a message that does not exist.
            byte[] unknown = Notices.create(new Notices.Content(UUID.randomUUID(), UUID.randomUUID(), conversation, IT, AL, "opened",
                    Instant.now(), null, null), alNode.signing());
            assertThat(org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
                    () -> alNode.peerClient().post(IT, italy, ReceiveHandler.NOTICE_PATH, Stages.NOTICE_TYPE, unknown)).code())
                    .isEqualTo(ErrorCode.NOT_FOUND);
            // Albania in another conversation than the message's.
            byte[] elsewhere = Notices.create(new Notices.Content(UUID.randomUUID(), UUID.fromString(id), UUID.randomUUID(), IT, AL,
                    "opened", Instant.now(), null, null), alNode.signing());
            assertThat(org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
                    () -> alNode.peerClient().post(IT, italy, ReceiveHandler.NOTICE_PATH, Stages.NOTICE_TYPE, elsewhere)).getMessage())
                    .contains("another conversation");
            assertThat(itNode.store().notices().stages(UUID.fromString(id), false)).isEmpty();
            TestNodes.await("the refusals audited", Duration.ofSeconds(10), () -> itAudit.events().stream()
                    .filter(e -> e.type().equals("reject")).count() >= 3);
            assertThat(itAudit.events()).filteredOn(e -> e.type().equals("reject") && "US-OIA".equals(e.actor()))
                    .anyMatch(e -> e.reason().contains(ErrorCode.NOT_A_RECIPIENT.code()));
        }
    }

    interface Call {
        void run() throws Exception;
    }

    /** The gateway's refusal of a local request, as the CLI reports it. */
    private static String refusal(Call call) {
        try {
            call.run();
        } catch (UserException e) {
            return e.getMessage();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("accepted");
    }

    /**
     * What a user may put in the headers of the new local requests, and a peer in a notice's size or date:
     * each refused with a clear error, nothing recorded or sent.
     */
    @Test
    void hostileHeadersAndNoticesAreRefusedAndChangeNothing() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path al = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path ops = t.federation.profiles().get(AL).get(Role.OPERATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "records");
        try (GatewayNode itNode = t.start(IT); GatewayNode alNode = t.start(AL)) {
            String id = submit(it, file, "AL-PP");
            TestNodes.await("the delivery", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 1);
            LocalClient alClient = new LocalClient(al);
            String inbox = LocalApi.INBOX + "/" + id;
            // A reason code the schema does not have, a reason on an acknowledgement, a decline without one.
            assertThat(refusal(() -> alClient.post(inbox + LocalApi.DECLINE,
                    LocalApi.REASON_CODE, "because-we-can"))).contains("no reason code").contains("dual-criminality");
            assertThat(refusal(() -> alClient.post(inbox + LocalApi.ACKNOWLEDGE,
                    LocalApi.REASON_CODE, "dual-criminality"))).contains("no reason code");
            assertThat(refusal(() -> alClient.post(inbox + LocalApi.DECLINE))).contains("needs a reason code");
            // A note with control characters, one too long, one not URL-encoded.
            assertThat(refusal(() -> alClient.post(inbox + LocalApi.ACKNOWLEDGE,
                    LocalApi.NOTE, "a%07bell"))).contains("control characters");
            assertThat(refusal(() -> alClient.post(inbox + LocalApi.ACKNOWLEDGE,
                    LocalApi.NOTE, "x".repeat(4097)))).contains("4096");
            assertThat(refusal(() -> alClient.post(inbox + LocalApi.ACKNOWLEDGE,
                    LocalApi.NOTE, "%zz"))).contains("not URL-encoded");
            // A case reference with a path in it, a reason spanning lines: refused before anything is deleted.
            LocalClient opsClient = new LocalClient(ops);
            assertThat(refusal(() -> opsClient.post(LocalApi.CASE_DELETE,
                    LocalApi.CASE, "..%2F..%2Fetc", LocalApi.REASON, "x")))
                    .contains("case reference");
            assertThat(refusal(() -> opsClient.post(LocalApi.CASE_DELETE,
                    LocalApi.CASE, "OP-STAGES", LocalApi.REASON, "one%0Atwo")))
                    .contains("one line");
            assertThat(alNode.store().inbox().all()).hasSize(1);
            assertThat(alNode.store().notices().stages(UUID.fromString(id), true)).isEmpty();

            // A notice over 32 KiB, and one dated before the message was sent: refused by Italy, nothing recorded.
            URI italy = URI.create(itNode.trust().directory().require(IT).endpoints().get(0));
            ProtocolException big = org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class, () -> alNode.peerClient()
                    .post(IT, italy, ReceiveHandler.NOTICE_PATH, Stages.NOTICE_TYPE, new byte[Notices.MAX_BYTES + 1]));
            assertThat(big.code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
            var env = alNode.store().inbox().received(UUID.fromString(id)).orElseThrow();
            UUID conversation = Envelopes.readStored(env.envelope(), env.envelopeSha256()).header()
                    .conversationId();
            byte[] backdated = Notices.create(new Notices.Content(UUID.randomUUID(), UUID.fromString(id), conversation, IT, AL, "opened",
                    Instant.now().minus(Duration.ofDays(2)), null, null), alNode.signing());
            assertThat(org.junit.jupiter.api.Assertions.assertThrows(ProtocolException.class,
                    () -> alNode.peerClient().post(IT, italy, ReceiveHandler.NOTICE_PATH, Stages.NOTICE_TYPE, backdated)).getMessage())
                    .contains("before the message was sent");
            assertThat(itNode.store().notices().stages(UUID.fromString(id), false)).isEmpty();
        }
    }
}
