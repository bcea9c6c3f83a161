package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;

/**
 * A node stopped between a seal and storing it leaves the message's payload folder in the outbox with
 * no message to refer to it: the node removes such folders at start (and periodically), once older than
 * {@code Outbox.ORPHAN_GRACE}, audited and counted; a message's folder, a young one, and anything that
 * is not a message's folder stay.
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
        Path orphan = folder(outbox, crashed.toString(), old);
        Path young = folder(outbox, UUID.randomUUID().toString(), Instant.now());
        Path other = folder(outbox, "not-a-message", old);

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
}
