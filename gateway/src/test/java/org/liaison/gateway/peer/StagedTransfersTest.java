package org.liaison.gateway.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

class StagedTransfersTest {
    @TempDir
    Path dir;

    /** What the transfers reported dropped: "SENDER/ID why bytes". */
    final java.util.List<String> drops = new java.util.ArrayList<>();

    void dropped(AuthorityId sender, UUID id, long bytes, String why) {
        drops.add(sender + "/" + id + " " + why + " " + bytes);
    }

    @Test
    void aTransferUnusedForAWeekGoesAtStartAndOneStillGrowingStays() throws Exception {
        StagedTransfers t = new StagedTransfers(dir, this::dropped);
        AuthorityId it = AuthorityId.of("IT-DNA");
        UUID old = UUID.randomUUID();
        UUID growing = UUID.randomUUID();
        Instant now = Instant.now();
        FileTime longAgo = FileTime.from(now.minus(StagedTransfers.KEEP).minus(Duration.ofHours(1)));
        for (UUID id : new UUID[] {old, growing}) {
            Path d = t.start(it, id, "<Envelope/>".getBytes());
            Files.write(d.resolve("payload-0"), new byte[100]);
            for (Path f : new Path[] {d.resolve("envelope"), d.resolve("payload-0"), d}) {
                Files.setLastModifiedTime(f, longAgo);
            }
        }
        // The growing transfer's payload was appended to recently; its folder's own time did not change.
        Files.setLastModifiedTime(t.dir(it, growing).resolve("payload-0"), FileTime.from(now.minus(Duration.ofHours(1))));

        t.removeAbandoned(now);

        assertThat(t.dir(it, old)).doesNotExist();
        assertThat(drops).containsExactly(it + "/" + old + " abandoned " + ("<Envelope/>".length() + 100));
        assertThat(t.dir(it, growing).resolve("payload-0")).exists();
        assertThat(t.stagedEnvelope(it, growing)).isEqualTo("<Envelope/>".getBytes());
    }

    /**
     * Seen under load (MessageBenchmark): making room for a new transfer listed the sender's staged folders
     * while another of its transfers completed and moved away; the vanished folder failed the new message
     * ("could not check the message", LIAISON:0022) instead of being passed over.
     */
    @Test
    void aTransferFolderThatGoesWhileRoomIsMadeIsPassedOver() throws Exception {
        StagedTransfers t = new StagedTransfers(dir, this::dropped);
        AuthorityId it = AuthorityId.of("IT-DNA");
        Path d = t.start(it, UUID.randomUUID(), "<Envelope/>".getBytes());
        assertThat(StagedTransfers.lastWritten(d)).isPresent();
        SecureFiles.deleteTree(d); // completed: its files moved into the store
        assertThat(StagedTransfers.lastWritten(d)).isEmpty();
        assertThat(t.start(it, UUID.randomUUID(), "<Envelope/>".getBytes())).exists();
    }

    @Test
    void oneRequestAtATimeHoldsAMessagesFolder() throws Exception {
        StagedTransfers t = new StagedTransfers(dir, this::dropped);
        AuthorityId it = AuthorityId.of("IT-DNA");
        AuthorityId us = AuthorityId.of("US-OIA");
        UUID id = UUID.randomUUID();
        assertThat(t.claim(it, id)).isTrue();
        assertThat(t.claim(it, id)).isFalse();
        assertThat(t.claim(us, id)).isTrue(); // ids are scoped to their sender
        t.release(it, id);
        assertThat(t.claim(it, id)).isTrue();
    }

    @Test
    void aPeerStagesWithinItsBudgetAndWhatIsPushedOutIsItsOwnOldestReported() throws Exception {
        StagedTransfers t = new StagedTransfers(dir, this::dropped);
        AuthorityId it = AuthorityId.of("IT-DNA");
        AuthorityId us = AuthorityId.of("US-OIA");
        UUID theirs = UUID.randomUUID();
        t.start(us, theirs, "<Envelope/>".getBytes());
        Instant start = Instant.now().minus(Duration.ofHours(1));
        java.util.List<UUID> cut = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) { // a peer that cuts 40 deliveries after their first bytes
            UUID id = UUID.randomUUID();
            Path d = t.start(it, id, "<Envelope/>".getBytes());
            Files.write(d.resolve("payload-0"), new byte[128]);
            for (Path f : new Path[] {d.resolve("envelope"), d.resolve("payload-0"), d}) {
                Files.setLastModifiedTime(f, FileTime.from(start.plusSeconds(i)));
            }
            cut.add(id);
        }
        try (var staged = Files.list(dir.resolve(it.value()))) {
            assertThat(staged.count()).isEqualTo(StagedTransfers.MAX_PER_PEER);
        }
        for (UUID id : cut.subList(40 - StagedTransfers.MAX_PER_PEER, 40)) {
            assertThat(t.stagedEnvelope(it, id)).isNotNull(); // the most recent stay
        }
        assertThat(t.stagedEnvelope(us, theirs)).isNotNull(); // another peer's budget is its own
        assertThat(drops).hasSize(40 - StagedTransfers.MAX_PER_PEER).allMatch(d -> d.startsWith(it + "/") && d.contains(" budget "));
        assertThat(drops.get(0)).isEqualTo(it + "/" + cut.get(0) + " budget " + ("<Envelope/>".length() + 128));
        assertThat(t.stagedCountAndBytes()).containsExactly(StagedTransfers.MAX_PER_PEER + 1,
                StagedTransfers.MAX_PER_PEER * ("<Envelope/>".length() + 128L) + "<Envelope/>".length());

        // Transfers being received now are never pushed out: past the budget with all of them held, a new one waits.
        for (UUID id : cut.subList(40 - StagedTransfers.MAX_PER_PEER, 40)) {
            assertThat(t.claim(it, id)).isTrue();
        }
        UUID more = UUID.randomUUID();
        ProtocolException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> t.start(it, more, "<Envelope/>".getBytes()), ProtocolException.class);
        assertThat(refused.code()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(t.stagedEnvelope(it, more)).isNull();
        assertThat(drops).hasSize(40 - StagedTransfers.MAX_PER_PEER);
    }
}
