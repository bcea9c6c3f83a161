package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.liaison.gateway.store.MessageStore.State;

/** The delivery state machine's table (each store enforces it: see {@link MessageStoreContract}). */
class DeliveryStateTest {
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
}
