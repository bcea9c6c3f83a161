package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;

/** {@link BulkLoad#inOneTransaction}: store calls committed together (a bulk load), or not at all; on each SQL store. */
abstract class BulkLoadContract {
    static final AuthorityId IT = AuthorityId.of("IT-DNA");

    @TempDir
    Path dir;

    /** The store; a second call opens the same database again. */
    abstract <S extends MessageStore & BulkLoad> S open() throws Exception;

    private MessageStore.Outgoing outgoing(UUID id, Instant now) {
        return new MessageStore.Outgoing(id, now, now.plusSeconds(60), new byte[] {1}, null, dir.resolve("o" + id), "p", "e", "me", null,
                "OP-1", new MessageStore.Sealed("mla-request", "[IT-DNA]", UUID.randomUUID(), null));
    }

    private MessageStore.Received received(UUID id, Instant now) {
        return new MessageStore.Received(IT, id, now, new byte[] {1}, "00", new byte[] {2}, dir.resolve("r" + id), null, "OP-1",
                new MessageStore.Listing("mla-request", "official", List.of(), 1, 1, null, null, UUID.randomUUID(), null));
    }

    @Test
    void callsThatOpenTheirOwnTransactionsJoinTheBatchAndAreCommittedWithIt() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        UUID sent = UUID.randomUUID();
        UUID got = UUID.randomUUID();
        try (var s = open()) {
            s.inOneTransaction(() -> {
                s.sent().storeOutgoing(outgoing(sent, now), List.of(IT), now); // commits on its own outside a batch
                assertThat(s.deliveries().transition(sent, IT, MessageStore.State.QUEUED, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
                s.inbox().storeReceived(received(got, now));
                s.sent().deadlinesAudited(List.of(sent), now);
                s.inOneTransaction(() -> s.inbox().storeReceived(received(UUID.randomUUID(), now))); // a batch in a batch: part of it
            });
            // After the batch, each call commits on its own again.
            s.inbox().storeReceived(received(UUID.randomUUID(), now));
        }
        try (var s = open()) {
            assertThat(s.sent().outgoing(sent)).isPresent();
            assertThat(s.deliveries().of(sent)).extracting(MessageStore.Delivery::state).containsExactly(MessageStore.State.SENDING);
            assertThat(s.inbox().received(got)).isPresent();
            assertThat(s.inbox().receivedAfter(null, 10)).hasSize(3);
        }
    }

    @Test
    void aFailureInsideRollsBackEveryCallOfTheBatch() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        UUID sent = UUID.randomUUID();
        UUID got = UUID.randomUUID();
        try (var s = open()) {
            assertThatThrownBy(() -> s.inOneTransaction(() -> {
                s.sent().storeOutgoing(outgoing(sent, now), List.of(IT), now);
                s.inbox().storeReceived(received(got, now));
                s.sent().storeOutgoing(outgoing(sent, now), List.of(IT), now); // the same id again: the insert fails
            })).isInstanceOf(StoreException.class);
            assertThat(s.sent().outgoing(sent)).isEmpty();
            assertThat(s.inbox().received(got)).isEmpty();
            // The store works on after it.
            s.inbox().storeReceived(received(got, now));
            assertThat(s.inbox().received(got)).isPresent();
        }
    }
}
