package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SqliteMessageStore;

/**
 * A node stopped between a seal and storing it leaves the message's payload folder in the outbox with
 * no message to refer to it, and its seal in the store: the node removes such folders at start (and
 * periodically), once sealed more than {@code Outbox.ORPHAN_GRACE} ago, audited and counted; a message's
 * folder, a young seal's, and anything that is not a message's folder stay. The sweep reads the seals left,
 * not the outbox folder (which holds a folder per message held): that is looked through once only, for a
 * store from before seals were kept.
 */
class OrphanPayloadsTest {
    @TempDir
    Path dir;

    private static double removedMetric(GatewayNode node) {
        for (String line : node.metrics().scrape().split("\n")) {
            if (line.startsWith("liaison_orphans_removed_total ")) {
                return Double.parseDouble(line.substring("liaison_orphans_removed_total ".length()).trim());
            }
        }
        return 0;
    }

    private static Path folder(Path outbox, String name, Instant modified) throws Exception {
        Path f = Files.createDirectories(outbox.resolve(name));
        Files.write(f.resolve("payload-0"), new byte[] {1, 2, 3});
        Files.setLastModifiedTime(f, FileTime.from(modified));
        return f;
    }

    @Test
    void aPayloadFolderNoMessageRefersToIsRemovedAtStartAndAudited() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path outbox = t.config(IT).resolveSibling("data").resolve("blobs").resolve("outbox");
        UUID queued;
        try (GatewayNode it = t.start(IT)) { // Albania is down: the message stays queued, its folder in the outbox
            queued = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("evidence")));
        }
        Instant old = Instant.now().minus(Duration.ofHours(2)); // past the grace period (Outbox.ORPHAN_GRACE, an hour)
        Files.setLastModifiedTime(outbox.resolve(queued.toString()), FileTime.from(old));
        UUID crashed = UUID.randomUUID();
        UUID sealing = UUID.randomUUID();
        Path orphan = folder(outbox, crashed.toString(), old);
        Path young = folder(outbox, sealing.toString(), Instant.now());
        Path other = folder(outbox, "not-a-message", old);
        try (MessageStore s = SqliteMessageStore.open(data(t).resolve("messages.db"))) { // as the seals were left
            s.sent().sealing(crashed, old);
            s.sent().sealing(sealing, Instant.now());
        }

        MemoryAuditLog audit = new MemoryAuditLog();
        try (GatewayNode it = GatewayNode.start(t.config(IT), audit, TestNodes.FAST)) {
            assertThat(orphan).doesNotExist();
            assertThat(outbox.resolve(queued.toString())).isDirectory();
            assertThat(young).isDirectory();
            assertThat(other).isDirectory();
            assertThat(it.store().sent().outgoing(queued)).isPresent();
            assertThat(audit.events()).filteredOn(e -> e.type().equals("orphan-removed")).singleElement()
                    .satisfies(e -> assertThat(e.messageId()).isEqualTo(crashed.toString()));
            assertThat(removedMetric(it)).isEqualTo(1.0);
        }
    }

    private static Path data(TestNodes t) {
        return t.config(IT).resolveSibling("data");
    }

    /**
     * A store from before seals were kept: its outbox folder is looked through once for orphans (as every sweep did
     * before); after that a sweep reads the seals left, so a folder without one (no seal of this version leaves
     * that) is not even seen — the hourly sweep costs the seals left, not the node's history.
     */
    @Test
    void theOutboxFolderIsLookedThroughOnceThenTheSweepReadsOnlyTheSealsLeft() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path outbox = data(t).resolve("blobs").resolve("outbox");
        UUID queued;
        try (GatewayNode it = t.start(IT)) {
            queued = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("evidence")));
        }
        Instant old = Instant.now().minus(Duration.ofHours(2));
        Path before = folder(outbox, UUID.randomUUID().toString(), old); // left by a version that kept no seals
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data(t).resolve("messages.db"));
                Statement st = c.createStatement()) {
            st.execute("INSERT INTO seals (message_id, started_ms) VALUES ('" + new UUID(0, 0) + "', 0)"); // as migration 11 puts it
        }
        MemoryAuditLog audit = new MemoryAuditLog();
        try (GatewayNode it = GatewayNode.start(t.config(IT), audit, TestNodes.FAST)) {
            assertThat(before).doesNotExist();
            assertThat(outbox.resolve(queued.toString())).isDirectory();
            assertThat(it.store().sent().outboxScanDue()).isFalse();
        }
        Path unseen = folder(outbox, UUID.randomUUID().toString(), old);
        try (GatewayNode it = GatewayNode.start(t.config(IT), new MemoryAuditLog(), TestNodes.FAST)) {
            assertThat(it.outbox().removeOrphans(Instant.now())).isZero();
            assertThat(unseen).isDirectory();
            assertThat(outbox.resolve(queued.toString())).isDirectory();
        }
        assertThat(audit.events()).filteredOn(e -> e.type().equals("orphan-removed")).singleElement()
                .satisfies(e -> assertThat(e.messageId()).isEqualTo(before.getFileName().toString()));
    }
}
