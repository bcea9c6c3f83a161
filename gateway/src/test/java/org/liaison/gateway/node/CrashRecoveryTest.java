package org.liaison.gateway.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.FileAuditLog;

/** The one pass over the audit log's tail at open: receptions cut by a crash, deadlines reported already. */
class CrashRecoveryTest {
    static final AuthorityId IT = AuthorityId.of("IT-DNA");
    static final AuthorityId US = AuthorityId.of("US-DOJ");

    @TempDir
    Path dir;

    /** The tail of a real log: a log written, closed and opened again, as a node restarted after a crash reads it. */
    List<byte[]> tail(AuditEvent... events) throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/AL-PP", Duration.ofHours(1))) {
            for (AuditEvent e : events) {
                log.record(e);
            }
        }
        try (FileAuditLog again = FileAuditLog.open(dir, "liaison/AL-PP", Duration.ofHours(1))) {
            return new ArrayList<>(again.recentAtOpen());
        }
    }

    @Test
    void aReceptionLoggedButNotStoredIsTheSameReceptionOnceAndAStoredOneIsNot() throws Exception {
        UUID cut = UUID.randomUUID();
        UUID stored = UUID.randomUUID();
        UUID otherSender = UUID.randomUUID();
        List<byte[]> tail = tail(AuditEvent.of("receive", "AL-PP", cut.toString(), IT.value(), "ok", null),
                AuditEvent.of("receive", "AL-PP", stored.toString(), IT.value(), "ok", null),
                AuditEvent.of("receive-refused", "AL-PP", otherSender.toString(), US.value(), "refused", "no"));
        Set<UUID> held = Set.of(stored);
        List<String> asked = new ArrayList<>();
        CrashRecovery r = CrashRecovery.read(tail, (from, id) -> {
            asked.add(from + "/" + id);
            return held.contains(id);
        });
        assertThat(asked).containsExactly(IT + "/" + cut, IT + "/" + stored); // receive entries only
        assertThat(r.receiveLoggedBeforeACrash(US, cut)).as("another sender's message").isFalse();
        assertThat(r.receiveLoggedBeforeACrash(IT, stored)).isFalse();
        assertThat(r.receiveLoggedBeforeACrash(IT, otherSender)).isFalse();
        assertThat(r.receiveLoggedBeforeACrash(IT, cut)).isTrue();
        assertThat(r.receiveLoggedBeforeACrash(IT, cut)).as("asked once, forgotten after").isFalse();
        r.receiveLoggedNotStored(IT, cut);
        assertThat(r.receiveLoggedBeforeACrash(IT, cut)).isTrue();
    }

    @Test
    void deadlinesReportedAlreadyAreReadAndEntriesThatDoNotParseArePassedOver() throws Exception {
        UUID passed = UUID.randomUUID();
        UUID cut = UUID.randomUUID();
        List<byte[]> tail = tail(AuditEvent.of("deadline-passed", "AL-PP", passed.toString(), US.value(), "ok", null),
                AuditEvent.of("receive", "AL-PP", cut.toString(), IT.value(), "ok", null),
                AuditEvent.of("deadline-passed", "AL-PP", null, US.value(), "ok", "no message"),
                AuditEvent.of("receive", "AL-PP", "not-a-uuid", IT.value(), "ok", null));
        tail.add(0, "{\"index\":0,\"type\":\"deadline-pas".getBytes(StandardCharsets.UTF_8)); // cut by the crash
        tail.add("not json at all".getBytes(StandardCharsets.UTF_8));
        tail.add(("{\"index\":99,\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"receive\",\"messageId\":\"" + UUID.randomUUID()
                + "\"}").getBytes(StandardCharsets.UTF_8)); // no sender: nothing to resume
        CrashRecovery r = CrashRecovery.read(tail, (from, id) -> false);
        assertThat(r.deadlinesPassed()).containsExactly(passed);
        assertThat(r.receiveLoggedBeforeACrash(IT, cut)).isTrue();
    }
}
