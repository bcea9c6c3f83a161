package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;

/**
 * Issue 9, state at rest: stored evidence that no longer matches what was stored is named to the
 * user (which message, what is wrong), audited as a failed fetch, logged and counted for the
 * operator — and breaks nothing else.
 */
class StoredDataTest {
    @TempDir
    Path dir;

    static String profile(TestNodes t, AuthorityId id) {
        return t.federation.dir().resolve(id.value()).resolve("users").resolve("investigator").toString();
    }

    /** The profile folder of Albania's operator (init-federation makes one). */
    static Path operatorProfile(TestNodes t) {
        return t.federation.profiles().get(AL).get(Role.OPERATOR);
    }

    static void flip(Path file, long at) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 1);
        }
    }

    @Test
    void aChangedPayloadOrEnvelopeIsNamedAuditedAndCounted() throws Exception {
        TestNodes t = new TestNodes(dir);
        MemoryAuditLog audit = new MemoryAuditLog();
        byte[] big = new byte[300_000];
        new java.util.Random(3).nextBytes(big);
        try (GatewayNode it = t.start(IT); GatewayNode al = GatewayNode.start(t.config(AL), audit, TestNodes.FAST)) {
            UUID payloadHit = it.outbox().submit(t.submission(IT, List.of(AL), null, null, List.of(big)));
            UUID laterSegmentHit = it.outbox().submit(t.submission(IT, List.of(AL), null, null, List.of(big)));
            UUID envelopeHit = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("second")));
            UUID intact = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("third")));
            TestNodes.await("deliveries", Duration.ofSeconds(30), () -> al.store().inbox().all().size() == 4);

            // One byte of a stored payload flips (in its second segment), one byte of a stored envelope too.
            MessageStore.Received p = al.store().inbox().received(payloadHit).orElseThrow();
            flip(BlobStore.payload(p.blobs(), 0), 100_000); // in the first 256 KiB segment
            flip(BlobStore.payload(al.store().inbox().received(laterSegmentHit).orElseThrow().blobs(), 0), 290_000); // in the second
            Path db = NodeConfig.resolve(t.config(AL), al.config().dataDir()).resolve("messages.db");
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                    PreparedStatement u = c.prepareStatement("UPDATE inbox SET envelope = ? WHERE message_id = ?")) {
                byte[] env = al.store().inbox().received(envelopeHit).orElseThrow().envelope().clone();
                env[env.length / 2] ^= 1;
                u.setBytes(1, env);
                u.setString(2, envelopeHit.toString());
                assertThat(u.executeUpdate()).isEqualTo(1);
            }

            // The inbox still lists everything, from the listing fields kept at reception (it reads no envelope):
            // the damage shows when the package is fetched, below.
            JsonNode inbox = CliEndToEndTest.lines(CliEndToEndTest.liaison("--profile", profile(t, AL), "inbox", "--json"));
            assertThat(inbox).hasSize(4);
            assertThat(inbox.findValuesAsText("messageId")).contains(envelopeHit.toString());
            assertThat(inbox.toString()).doesNotContain("problem");

            CliEndToEndTest.Run badPayload = CliEndToEndTest.liaison("--profile", profile(t, AL), "fetch", payloadHit.toString(), "--out",
                    dir.resolve("p").toString());
            assertThat(badPayload.exit()).isEqualTo(1);
            assertThat(badPayload.err()).contains(payloadHit.toString()).contains("LIAISON:0030").contains("does not decrypt");
            assertThat(dir.resolve("p")).doesNotExist();

            // Damage further in shows only once bytes are on their way: the answer stops, and the user is told so.
            CliEndToEndTest.Run later = CliEndToEndTest.liaison("--profile", profile(t, AL), "fetch", laterSegmentHit.toString(),
                    "--out", dir.resolve("l").toString());
            assertThat(later.exit()).isEqualTo(1);
            // What arrived before the damage is kept for a resume, never as the package.
            assertThat(later.err()).contains(laterSegmentHit.toString()).contains("broke partway").contains("run the same command again");
            assertThat(dir.resolve("l")).doesNotExist();

            CliEndToEndTest.Run badEnvelope = CliEndToEndTest.liaison("--profile", profile(t, AL), "fetch", envelopeHit.toString(),
                    "--out", dir.resolve("e").toString());
            assertThat(badEnvelope.exit()).isEqualTo(1);
            assertThat(badEnvelope.err()).contains(envelopeHit.toString()).contains("LIAISON:0030").contains("SHA-256");

            TestNodes.await("audit of the failed fetches", Duration.ofSeconds(5), () -> audit.events().stream()
                    .filter(e -> e.type().equals("fetch-failed") && e.outcome().equals("failed")).count() == 3);
            assertThat(al.metrics().scrape()).contains("liaison_store_corrupt_total");

            CliEndToEndTest.Run good = CliEndToEndTest.liaison("--profile", profile(t, AL), "fetch", intact.toString(), "--out",
                    dir.resolve("ok").toString());
            assertThat(good.exit()).as(good.err()).isZero();

            // The operator sets the damaged message aside with `liaison quarantine`; investigators cannot.
            CliEndToEndTest.Run notAllowed = CliEndToEndTest.liaison("--profile", profile(t, AL), "quarantine", payloadHit.toString(),
                    "--reason", "x");
            assertThat(notAllowed.exit()).isEqualTo(1);
            assertThat(notAllowed.err()).contains("LIAISON:0018");
            Path ops = operatorProfile(t);
            CliEndToEndTest.Run q = CliEndToEndTest.liaison("--profile", ops.toString(), "quarantine", payloadHit.toString(), "--reason",
                    "payload damaged at rest — see ticket 4711");
            assertThat(q.exit()).as(q.err()).isZero();
            assertThat(CliEndToEndTest.liaison("--profile", profile(t, AL), "inbox").out())
                    .contains(payloadHit + "  from IT-DNA  QUARANTINED: payload damaged at rest — see ticket 4711");
            assertThat(audit.events()).anyMatch(e -> e.type().equals("quarantine") && payloadHit.toString().equals(e.messageId()));
        }
    }
}
