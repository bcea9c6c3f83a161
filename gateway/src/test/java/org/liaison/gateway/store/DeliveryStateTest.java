package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.State;

/** The delivery state machine: the allowed transitions, enforced by the store, and the sweeper's leases. */
class DeliveryStateTest {
    @TempDir
    Path dir;

    static final AuthorityId AL = AuthorityId.of("AL-PP");

    @Test
    void theTransitionTableIsTheDocumentedOne() {
        assertThat(State.QUEUED.next()).containsExactlyInAnyOrder(State.SENDING, State.FAILED, State.EXPIRED);
        assertThat(State.SENDING.next()).containsExactlyInAnyOrder(State.DELIVERED, State.RETRYING, State.FAILED, State.EXPIRED);
        assertThat(State.RETRYING.next()).containsExactlyInAnyOrder(State.SENDING, State.FAILED, State.EXPIRED);
        for (State s : EnumSet.of(State.DELIVERED, State.FAILED, State.EXPIRED)) {
            assertThat(s.isFinal()).isTrue();
            assertThat(s.next()).isEmpty();
        }
    }

    MessageStore store() {
        return SqliteMessageStore.open(dir.resolve("messages.db"));
    }

    UUID queued(MessageStore s) {
        UUID id = UUID.randomUUID();
        s.storeOutgoing(new MessageStore.Outgoing(id, Instant.now(), Instant.now().plus(Duration.ofDays(1)), new byte[] {1}, null,
                dir.resolve("b"), null, null, null), List.of(AL), Instant.now());
        return id;
    }

    State state(MessageStore s, UUID id) {
        return s.deliveries(id).get(0).state();
    }

    @Test
    void everyStateMovesOnlyWhereTheTableAllowsAndNothingLeavesDelivered() {
        try (MessageStore s = store()) {
            MessageStore.Transition[] all = {new MessageStore.Send(Instant.now()), new MessageStore.Deliver(1, new byte[] {1},
                Instant.now()), new MessageStore.Retry(1, Instant.now(), "x"), new MessageStore.Fail(1, "x"), new MessageStore.Expire(1, "x")};
            for (State from : State.values()) {
                for (MessageStore.Transition t : all) {
                    if (from.next().contains(t.to())) {
                        continue;
                    }
                    UUID id = queued(s);
                    assertThatThrownBy(() -> s.transition(id, AL, from, t)).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining(from + " may not go to " + t.to());
                    assertThat(state(s, id)).isEqualTo(State.QUEUED);
                }
            }
            UUID id = queued(s);
            assertThat(s.transition(id, AL, State.QUEUED, new MessageStore.Send(Instant.now().plusSeconds(60)))).isTrue();
            assertThat(s.transition(id, AL, State.SENDING, new MessageStore.Deliver(1, new byte[] {7}, Instant.now()))).isTrue();
            assertThat(state(s, id)).isEqualTo(State.DELIVERED);
            assertThat(s.deliveries(id).get(0).receipt()).containsExactly(7);
            // Compare and set: a transition from a state the delivery is no longer in changes nothing.
            assertThat(s.transition(id, AL, State.SENDING, new MessageStore.Retry(2, Instant.now(), "late"))).isFalse();
            assertThat(state(s, id)).isEqualTo(State.DELIVERED);
            assertThat(s.recoverInterrupted(Instant.now())).isZero();
            assertThat(state(s, id)).isEqualTo(State.DELIVERED);
        }
    }

    @Test
    void theSweeperTakesBackOnlyExpiredLeasesNotRunningAttempts() {
        try (MessageStore s = store()) {
            UUID lost = queued(s);
            UUID running = queued(s);
            UUID fresh = queued(s);
            Instant now = Instant.now();
            s.transition(lost, AL, State.QUEUED, new MessageStore.Send(now.minusSeconds(1)));
            s.transition(running, AL, State.QUEUED, new MessageStore.Send(now.minusSeconds(1)));
            s.transition(fresh, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(300)));
            assertThat(s.recoverExpiredLeases(now, Set.of(running + "/" + AL))).isEqualTo(1);
            assertThat(state(s, lost)).isEqualTo(State.RETRYING);
            assertThat(state(s, running)).isEqualTo(State.SENDING);
            assertThat(state(s, fresh)).isEqualTo(State.SENDING);
            s.renewLeases(Set.of(running + "/" + AL), now.plusSeconds(300));
            assertThat(s.recoverExpiredLeases(now, Set.of())).isZero();
        }
    }
}
