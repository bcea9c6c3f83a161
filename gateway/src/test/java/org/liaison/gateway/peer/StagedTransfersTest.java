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

class StagedTransfersTest {
    @TempDir
    Path dir;

    @Test
    void aTransferUnusedForAWeekGoesAtStartAndOneStillGrowingStays() throws Exception {
        StagedTransfers t = new StagedTransfers(dir);
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
        assertThat(t.dir(it, growing).resolve("payload-0")).exists();
        assertThat(t.stagedEnvelope(it, growing)).isEqualTo("<Envelope/>".getBytes());
    }

    @Test
    void oneRequestAtATimeHoldsAMessagesFolder() throws Exception {
        StagedTransfers t = new StagedTransfers(dir);
        AuthorityId it = AuthorityId.of("IT-DNA");
        AuthorityId us = AuthorityId.of("US-OIA");
        UUID id = UUID.randomUUID();
        assertThat(t.claim(it, id)).isTrue();
        assertThat(t.claim(it, id)).isFalse();
        assertThat(t.claim(us, id)).isTrue(); // ids are scoped to their sender
        t.release(it, id);
        assertThat(t.claim(it, id)).isTrue();
    }
}
