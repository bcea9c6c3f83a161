package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@link HistoryContract} on SQLite. */
class SqliteHistoryTest extends HistoryContract {
    @Override
    MessageStore open() {
        return SqliteMessageStore.open(dir.resolve("messages.db"));
    }

    /** A notice's attempts are kept with it: a restarted node goes on with its backoff (they lived in a per-process map). */
    @Test
    void aNoticesAttemptsOutliveTheProcess() throws Exception {
        MessageStore.Stage notice = new MessageStore.Stage(UUID.randomUUID(), US, "opened", NOW, null, new byte[] {1});
        try (MessageStore s = open()) {
            s.recordStage(notice, true);
            assertThat(s.noticeAttempts(notice)).isZero();
            s.noticeAttempted(notice, null, Instant.now().plusSeconds(60));
            s.noticeAttempted(notice, null, Instant.now().plusSeconds(60));
        }
        try (MessageStore s = open()) {
            assertThat(s.noticeAttempts(notice)).isEqualTo(2);
        }
    }
}
