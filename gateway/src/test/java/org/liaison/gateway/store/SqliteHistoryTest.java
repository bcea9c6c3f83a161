package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@link HistoryContract} on SQLite. */
class SqliteHistoryTest extends HistoryContract {
    @Override
    MessageStore open() {
        return SqliteMessageStore.open(dir.resolve("messages.db"));
    }

    /**
     * A notice's attempts and state are kept with it: a restarted node goes on with its backoff (they lived in a
     * per-process map), and a notice it was sending when it stopped is due again at once (its lease was its own).
     */
    @Test
    void aNoticesAttemptsAndLeaseOutliveTheProcess() throws Exception {
        MessageStore.Stage notice = new MessageStore.Stage(UUID.randomUUID(), US, "opened", NOW, null, new byte[] {1});
        Instant now = Instant.now();
        try (MessageStore s = open()) {
            s.notices().recordStage(notice, true, now);
            assertThat(s.notices().notice(notice)).hasValueSatisfying(n -> assertThat(n.attempts()).isZero());
            for (int i = 1; i <= 2; i++) {
                MessageStore.State from = i == 1 ? MessageStore.State.QUEUED : MessageStore.State.RETRYING;
                assertThat(s.notices().transition(notice, from, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
                assertThat(s.notices().transition(notice, MessageStore.State.SENDING, new MessageStore.Retry(i, now.minusSeconds(1), "down")))
                        .isTrue();
            }
            assertThat(s.notices().transition(notice, MessageStore.State.RETRYING, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
        }
        try (MessageStore s = open()) {
            assertThat(s.notices().notice(notice)).hasValueSatisfying(n -> {
                assertThat(n.attempts()).isEqualTo(2);
                assertThat(n.state()).isEqualTo(MessageStore.State.SENDING);
            });
            assertThat(s.notices().due(now, 10)).isEmpty();
            assertThat(s.notices().recoverInterrupted(now)).isEqualTo(1);
            assertThat(s.notices().due(now, 10)).singleElement().satisfies(n -> {
                assertThat(n.state()).isEqualTo(MessageStore.State.RETRYING);
                assertThat(n.attempts()).isEqualTo(2);
            });
        }
    }

    /** A notice whose lease ended without an outcome is due again; one still in flight here is not touched. */
    @Test
    void aNoticesEndedLeaseMakesItDueAgain() throws Exception {
        MessageStore.Stage a = new MessageStore.Stage(UUID.randomUUID(), US, "opened", NOW, null, new byte[] {1});
        MessageStore.Stage b = new MessageStore.Stage(UUID.randomUUID(), US, "opened", NOW, null, new byte[] {1});
        Instant now = Instant.now();
        try (MessageStore s = open()) {
            for (MessageStore.Stage n : List.of(a, b)) {
                s.notices().recordStage(n, true, now);
                s.notices().transition(n, MessageStore.State.QUEUED, new MessageStore.Send(now.minusSeconds(1)));
            }
            String inFlight = s.notices().notice(b).orElseThrow().key();
            assertThat(s.notices().recoverExpiredLeases(now, java.util.Set.of(inFlight))).isEqualTo(1);
            assertThat(s.notices().due(now, 10)).singleElement().satisfies(n -> {
                assertThat(n.stage().messageId()).isEqualTo(a.messageId());
                assertThat(n.lastError()).contains("lease ended");
            });
        }
    }
}
