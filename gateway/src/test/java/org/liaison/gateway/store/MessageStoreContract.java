package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.MessageStore.State;

/**
 * The contract every {@link MessageStore} keeps, run against each implementation (SQLite here,
 * PostgreSQL in {@link PostgresMessageStoreTest}): duplicates and id conflicts, idempotency keys,
 * the delivery state machine as compare-and-set, leases and the sweeper, listings and counts.
 */
abstract class MessageStoreContract {
    static final AuthorityId IT = AuthorityId.of("IT-DNA");
    static final AuthorityId AL = AuthorityId.of("AL-PP");
    static final AuthorityId US = AuthorityId.of("US-OIA");

    @TempDir
    Path dir;

    /** A store of one node ({@code nodeId}); for a shared store, each call is another node on the same database. */
    abstract MessageStore open(String nodeId) throws Exception;

    MessageStore open() throws Exception {
        return open("node-a");
    }

    static MessageStore.Received received(AuthorityId from, UUID id, Path blobs, byte[] receipt) {
        return new MessageStore.Received(from, id, Instant.now().truncatedTo(ChronoUnit.MILLIS), new byte[] {1}, "00", receipt, blobs);
    }

    UUID queued(MessageStore s, String key, AuthorityId... to) {
        UUID id = UUID.randomUUID();
        Optional<MessageStore.Idempotent> earlier = s.sent().storeOutgoing(new MessageStore.Outgoing(id, Instant.now(),
                Instant.now().plus(Duration.ofDays(1)), new byte[] {1}, key, dir.resolve("blobs/outbox/" + id), "pkg", "env", "me"),
                List.of(to.length == 0 ? new AuthorityId[] {AL} : to), Instant.now());
        return earlier.map(MessageStore.Idempotent::messageId).orElse(id);
    }

    UUID inCase(MessageStore s, String key, String caseRef) {
        UUID id = UUID.randomUUID();
        s.sent().storeOutgoing(new MessageStore.Outgoing(id, Instant.now(), Instant.now().plus(Duration.ofDays(1)), new byte[] {1}, key,
                dir.resolve("blobs/outbox/" + id), "pkg", "env", "me", null, caseRef), List.of(AL), Instant.now());
        return id;
    }

    static State state(MessageStore s, UUID id) {
        return s.deliveries().of(id).get(0).state();
    }

    @Test
    void anIdIsHeldOnceWhateverItsSenderAndADuplicateGetsTheFirstReceipt() throws Exception {
        try (MessageStore s = open()) {
            UUID id = UUID.randomUUID();
            assertThat(s.inbox().storeReceived(received(IT, id, dir.resolve("blobs/x"), new byte[] {2}))).isEqualTo(MessageStore.Stored.STORED);
            assertThat(s.inbox().storeReceived(received(IT, id, dir.resolve("blobs/x2"), new byte[] {9}))).isEqualTo(MessageStore.Stored.DUPLICATE);
            assertThat(s.inbox().receiptFor(IT, id)).hasValueSatisfying(r -> assertThat(r).containsExactly(2));
            assertThat(s.inbox().holds(IT, id)).isTrue();
            assertThat(s.inbox().holds(US, id)).isFalse();
            assertThat(s.inbox().holds(IT, UUID.randomUUID())).isFalse();
            assertThat(s.inbox().storeReceived(received(US, id, dir.resolve("blobs/y"), new byte[] {3}))).isEqualTo(MessageStore.Stored.ID_CONFLICT);
            assertThat(s.inbox().all()).hasSize(1);
            assertThat(s.inbox().received(id).orElseThrow().blobs()).isEqualTo(dir.resolve("blobs/x"));
            assertThat(s.inbox().quarantine(id, "unreadable")).isTrue();
            assertThat(s.inbox().quarantine(id, "again")).isFalse();
            assertThat(s.inbox().received(id).orElseThrow().quarantine()).isEqualTo("unreadable");
            assertThat(s.inbox().received(UUID.randomUUID())).isEmpty();
        }
    }

    /** A listing's page reads the stages and deliveries of all its rows at once: the same as one message at a time. */
    @Test
    void stagesAndDeliveriesOfManyMessagesAreReadAtOnceAsEachAlone() throws Exception {
        try (MessageStore s = open()) {
            Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            UUID two = queued(s, null, AL, US);
            UUID one = queued(s, null, US);
            UUID none = UUID.randomUUID(); // not sent from here
            s.notices().recordStage(new MessageStore.Stage(two, US, "declined", at.plusSeconds(5), "why", null), false, at);
            s.notices().recordStage(new MessageStore.Stage(two, AL, "opened", at, null, new byte[] {4}), false, at);
            s.notices().recordStage(new MessageStore.Stage(one, US, "opened", at, null, null), false, at);
            s.notices().recordStage(new MessageStore.Stage(one, IT, "acknowledged", at, null, null), true, at); // to send: not asked for
            List<UUID> ids = List.of(two, one, none);

            Map<UUID, List<MessageStore.Stage>> stages = s.notices().stages(ids, false);
            assertThat(stages).containsOnlyKeys(two, one);
            for (UUID id : List.of(two, one)) {
                assertThat(stages.get(id)).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(s.notices().stages(id, false));
            }
            assertThat(stages.get(two)).extracting(MessageStore.Stage::stage).containsExactly("opened", "declined"); // oldest first
            assertThat(s.notices().stages(ids, true)).containsOnlyKeys(one);
            assertThat(s.notices().stages(List.of(), false)).isEmpty();

            Map<UUID, List<MessageStore.Delivery>> deliveries = s.deliveries().of(ids);
            assertThat(deliveries).containsOnlyKeys(two, one);
            assertThat(deliveries.get(two)).extracting(MessageStore.Delivery::recipient).containsExactly(AL, US);
            assertThat(deliveries.get(two)).usingRecursiveFieldByFieldElementComparator().containsExactlyElementsOf(s.deliveries().of(two));
            assertThat(deliveries.get(one)).extracting(MessageStore.Delivery::recipient).containsExactly(US);
            assertThat(s.deliveries().of(List.of())).isEmpty();
        }
    }

    @Test
    void eachStageIsRecordedOnceAndANoticeIsSentUntilTaken() throws Exception {
        try (MessageStore s = open()) {
            UUID id = UUID.randomUUID();
            Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            assertThat(s.notices().recordStage(new MessageStore.Stage(id, AL, "opened", at, null, new byte[] {7}),
                    false, Instant.now())).isTrue();
            assertThat(s.notices().recordStage(new MessageStore.Stage(id, AL, "opened", at.plusSeconds(9), null, new byte[] {8}),
                    false, Instant.now())).isFalse();
            assertThat(s.notices().recordStage(new MessageStore.Stage(id, AL, "declined", at.plusSeconds(1), "dual-criminality", new byte[] {9}),
                    false, Instant.now())).isTrue();
            assertThat(s.notices().recordStage(new MessageStore.Stage(id, US, "opened", at.plusSeconds(2), null, null),
                    false, Instant.now())).isTrue();
            assertThat(s.notices().stages(id, false)).extracting(MessageStore.Stage::stage).containsExactly("opened", "declined", "opened");
            assertThat(s.notices().recordStage(new MessageStore.Stage(id, IT, "declined", at.plusSeconds(3), "other", new byte[] {9}, "which: this one"),
                    false, Instant.now())).isTrue();
            assertThat(s.notices().stages(id, false)).extracting(MessageStore.Stage::note).containsExactly(null, null, null,
                    "which: this one"); // kept as recorded (null: not kept)
            assertThat(s.notices().stages(id, false).get(0).xml()).containsExactly(7);
            assertThat(s.notices().stages(id, false).get(1).reason()).isEqualTo("dual-criminality");
            assertThat(s.notices().stages(id, true)).isEmpty();
            assertThat(s.notices().due(Instant.now().plusSeconds(60), 10)).isEmpty(); // received stages are not sent on

            MessageStore.Stage notice = new MessageStore.Stage(id, IT, "opened", at, null, new byte[] {1});
            Instant now = Instant.now();
            assertThat(s.notices().recordStage(notice, true, now)).isTrue();
            assertThat(s.notices().due(now.plusSeconds(1), 10)).singleElement().satisfies(n -> {
                assertThat(n.stage().messageId()).isEqualTo(id);
                assertThat(n.state()).isEqualTo(State.QUEUED);
                assertThat(n.attempts()).isZero();
            });
            // Claimed once (compare and set), as a delivery is; not due while it is being sent.
            assertThat(s.notices().transition(notice, State.QUEUED, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
            assertThat(s.notices().transition(notice, State.QUEUED, new MessageStore.Send(now.plusSeconds(60)))).isFalse();
            assertThat(s.notices().due(now.plusSeconds(1), 10)).isEmpty();
            assertThat(s.notices().transition(notice, State.SENDING, new MessageStore.Retry(1, now.plusSeconds(30), "down"))).isTrue();
            assertThat(s.notices().due(now.plusSeconds(1), 10)).isEmpty();
            assertThat(s.notices().due(now.plusSeconds(31), 10)).singleElement().satisfies(n -> {
                assertThat(n.state()).isEqualTo(State.RETRYING);
                assertThat(n.attempts()).isEqualTo(1);
                assertThat(n.lastError()).isEqualTo("down");
            });
            assertThat(s.notices().transition(notice, State.RETRYING, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
            assertThat(s.notices().transition(notice, State.SENDING, new MessageStore.Deliver(2, new byte[] {5}, now))).isTrue();
            assertThat(s.notices().due(now.plusSeconds(3600), 10)).isEmpty();
            assertThat(s.notices().notice(notice)).hasValueSatisfying(n -> {
                assertThat(n.state()).isEqualTo(State.DELIVERED);
                assertThat(n.attempts()).isEqualTo(2);
            });
            assertThatThrownBy(() -> s.notices().transition(notice, State.DELIVERED, new MessageStore.Send(now)))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(s.notices().stages(id, true).get(0).delivered()).isNotNull();
        }
    }

    @Test
    void aDeletedMessageKeepsItsDigestsOnlyAndItsWaitingDeliveriesFail() throws Exception {
        try (MessageStore s = open()) {
            UUID in = UUID.randomUUID();
            MessageStore.Received got = received(IT, in, dir.resolve("blobs/in"), new byte[] {2});
            s.inbox().storeReceived(new MessageStore.Received(got.sender(), in, got.receivedAt(), got.envelope(), got.envelopeSha256(),
                    got.receipt(), got.blobs(), null, "OP-A"));
            UUID out = inCase(s, "k", "OP-A");
            UUID other = inCase(s, null, "OP-B");
            UUID untagged = UUID.randomUUID();
            s.inbox().storeReceived(received(US, untagged, dir.resolve("blobs/u"), new byte[] {3}));
            assertThat(s.cases().messagesOfCase("OP-A", true, false)).containsExactly(in);
            assertThat(s.cases().messagesOfCase("OP-A", true, true)).containsExactlyInAnyOrder(in, untagged);
            assertThat(s.cases().messagesOfCase("OP-A", false, false)).containsExactly(out);
            assertThat(s.cases().caseOf(other, false)).contains("OP-B");
            assertThat(s.cases().caseOf(in, true)).contains("OP-A");

            assertThat(s.inbox().delete(in, Instant.now())).isTrue();
            assertThat(s.inbox().delete(in, Instant.now())).isFalse();
            assertThat(s.sent().delete(out, Instant.now())).isTrue();
            assertThat(s.sent().delete(UUID.randomUUID(), Instant.now())).isFalse();
            assertThat(s.inbox().all()).extracting(MessageStore.Received::messageId).containsExactly(untagged);
            assertThat(s.inbox().received(in)).isEmpty();
            assertThat(s.inbox().receiptFor(IT, in)).hasValueSatisfying(r -> assertThat(r).containsExactly(2));
            assertThat(s.inbox().storeReceived(received(IT, in, dir.resolve("blobs/again"), new byte[] {5}))).isEqualTo(MessageStore.Stored.DUPLICATE);
            assertThat(s.sent().outgoing(out)).isEmpty();
            assertThat(s.sent().all()).extracting(MessageStore.Outgoing::messageId).containsExactly(other);
            assertThat(s.deliveries().of(out)).allMatch(d -> d.state() == State.FAILED);
            assertThat(s.deliveries().dueDeliveries(Instant.now().plusSeconds(60), 10)).extracting(MessageStore.Delivery::messageId).containsExactly(other);
            assertThat(s.cases().messagesOfCase("OP-A", true, true)).containsExactly(untagged);
            assertThat(deletedBlobs(s)).containsExactlyInAnyOrder(dir.resolve("blobs/in"), dir.resolve("blobs/outbox/" + out));
        }
    }

    @Test
    void aQuarantinedMessageIsDeletedByItsSenderAndIdNotBesideAnotherSendersRow() throws Exception {
        try (MessageStore s = open()) {
            UUID id = UUID.randomUUID();
            s.inbox().storeReceived(received(IT, id, dir.resolve("blobs/it"), new byte[] {1}));
            assertThat(s.inbox().quarantine(id, "an incident")).isTrue();
            s.inbox().storeReceived(received(US, id, dir.resolve("blobs/us"), new byte[] {2})); // allowed beside a quarantined row
            assertThat(s.inbox().delete(AL, id, Instant.now())).isFalse();
            assertThat(s.inbox().delete(IT, id, Instant.now())).isTrue(); // the quarantined one, not the US's
            assertThat(s.inbox().delete(IT, id, Instant.now())).isFalse();
            assertThat(s.inbox().all()).singleElement().satisfies(r -> {
                assertThat(r.sender()).isEqualTo(US);
                assertThat(r.quarantine()).isNull();
            });
            assertThat(deletedBlobs(s)).containsExactly(dir.resolve("blobs/it"));
            assertThat(s.inbox().delete(US, id, Instant.now())).isTrue();
            assertThat(s.inbox().all()).isEmpty();
        }
    }

    @Test
    void dueDeliveriesAreReadPerRecipientOnlyAsManyAsAsked() throws Exception {
        try (MessageStore s = open()) {
            List<UUID> toAl = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                toAl.add(queued(s, null, AL));
            }
            UUID toUs = queued(s, null, US);
            Instant later = Instant.now().plusSeconds(1);
            assertThat(s.deliveries().recipientsDue(later)).containsExactlyInAnyOrder(AL, US);
            assertThat(s.deliveries().dueDeliveries(later, AL, 4)).hasSize(4).allMatch(d -> d.recipient().equals(AL))
                    .extracting(MessageStore.Delivery::messageId).isSubsetOf(toAl);
            assertThat(s.deliveries().dueDeliveries(later, US, 4)).extracting(MessageStore.Delivery::messageId).containsExactly(toUs);
            assertThat(s.deliveries().transition(toUs, US, State.QUEUED, new MessageStore.Send(later.plusSeconds(60)))).isTrue();
            assertThat(s.deliveries().recipientsDue(later)).containsExactly(AL);
            assertThat(s.deliveries().recipientsDue(Instant.now().minusSeconds(60))).isEmpty();
        }
    }

    @Test
    void aRecipientsDueDeliveriesComeLongestWaitingFirstWhateverTheirState() throws Exception {
        try (MessageStore s = open()) {
            UUID first = queued(s, null, AL);
            UUID second = queued(s, null, AL);
            UUID retried = queued(s, null, AL);
            Instant now = Instant.now();
            assertThat(s.deliveries().transition(retried, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
            // Due an hour ago: it waits longer than the two still queued.
            assertThat(s.deliveries().transition(retried, AL, State.SENDING, new MessageStore.Retry(1, now.minusSeconds(3600), "refused"))).isTrue();
            UUID later = queued(s, null, AL);
            assertThat(s.deliveries().transition(later, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
            assertThat(s.deliveries().transition(later, AL, State.SENDING, new MessageStore.Retry(1, now.plusSeconds(3600), "refused"))).isTrue();
            Instant at = Instant.now().plusSeconds(1);
            assertThat(s.deliveries().dueDeliveries(at, AL, 2)).extracting(MessageStore.Delivery::messageId).hasSize(2).startsWith(retried)
                    .isSubsetOf(retried, first, second);
            assertThat(s.deliveries().dueDeliveries(at, AL, 10)).extracting(MessageStore.Delivery::messageId)
                    .containsExactlyInAnyOrder(retried, first, second); // not the one due in an hour
            assertThat(s.deliveries().dueDeliveries(at, US, 10)).isEmpty();
            assertThat(s.deliveries().recipientsDue(at)).containsExactly(AL);
            assertThat(s.deliveries().recipientsDue(now.minusSeconds(7200))).isEmpty(); // nothing was due two hours ago
            assertThat(s.deliveries().recipientsDue(now.minusSeconds(1800))).containsExactly(AL); // only the retried one
            assertThat(s.deliveries().dueDeliveries(now.minusSeconds(1800), AL, 10)).extracting(MessageStore.Delivery::messageId).containsExactly(retried);
        }
    }

    @Test
    void theWholeInboxAndOutboxAreReadAPageAtATimeEachMessageOnce() throws Exception {
        try (MessageStore s = open()) {
            java.util.Set<UUID> in = new java.util.HashSet<>();
            int n = MessageStore.PAGE + 44; // more than one page
            for (int i = 0; i < n; i++) {
                UUID id = UUID.randomUUID();
                s.inbox().storeReceived(received(i % 3 == 0 ? IT : US, id, dir.resolve("blobs/in-" + i), new byte[] {2}));
                in.add(id);
            }
            UUID quarantined = in.iterator().next();
            assertThat(s.inbox().quarantine(quarantined, "an incident")).isTrue();
            UUID deleted = in.stream().filter(id -> !id.equals(quarantined)).findFirst().orElseThrow();
            assertThat(s.inbox().delete(deleted, Instant.now())).isTrue();
            in.remove(deleted);

            // Pages by key: no message twice, none missed, the deleted one not at all, the quarantined one marked.
            List<MessageStore.Received> paged = new java.util.ArrayList<>();
            List<MessageStore.Received> page = s.inbox().receivedAfter(null, 100);
            while (!page.isEmpty()) {
                assertThat(page.size()).isLessThanOrEqualTo(100);
                paged.addAll(page);
                page = s.inbox().receivedAfter(page.get(page.size() - 1), 100);
            }
            assertThat(paged).extracting(MessageStore.Received::messageId).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(in);
            assertThat(paged).filteredOn(r -> r.quarantine() != null).extracting(MessageStore.Received::messageId)
                    .containsExactly(quarantined);

            // Going through everything while deleting as it goes (as a retention sweep does) sees each message once.
            List<UUID> seen = new java.util.ArrayList<>();
            int removed = 0;
            for (MessageStore.Received r : s.inbox().eachReceived()) {
                seen.add(r.messageId());
                if (seen.size() % 2 == 0 && r.quarantine() == null) {
                    assertThat(s.inbox().delete(r.messageId(), Instant.now())).isTrue();
                    removed++;
                }
            }
            assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(in);
            assertThat(removed).isGreaterThan(MessageStore.PAGE / 2);
            assertThat(s.inbox().all()).hasSize(in.size() - removed).isSortedAccordingTo(
                    java.util.Comparator.comparing(MessageStore.Received::receivedAt));

            java.util.Set<UUID> out = new java.util.HashSet<>();
            for (int i = 0; i < n; i++) {
                out.add(queued(s, null, AL));
            }
            List<UUID> sent = new java.util.ArrayList<>();
            s.sent().eachSent().forEach(o -> sent.add(o.messageId()));
            assertThat(sent).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(out);
            assertThat(s.sent().sentAfter(null, 10)).hasSize(10);
            assertThat(s.sent().all()).hasSize(n).isSortedAccordingTo(java.util.Comparator.comparing(MessageStore.Outgoing::createdAt).reversed());
        }
    }

    @Test
    void anIdempotencyKeyNamesOneMessage() throws Exception {
        try (MessageStore s = open()) {
            UUID first = queued(s, "key-1");
            UUID again = queued(s, "key-1");
            assertThat(again).isEqualTo(first);
            assertThat(s.sent().messageForIdempotencyKey("key-1")).hasValueSatisfying(i -> {
                assertThat(i.messageId()).isEqualTo(first);
                assertThat(i.packageSha256()).isEqualTo("pkg");
            });
            assertThat(s.sent().all()).extracting(MessageStore.Outgoing::messageId).containsExactly(first);
            assertThat(s.sent().outgoing(first).orElseThrow().blobs()).isEqualTo(dir.resolve("blobs/outbox/" + first));
            assertThat(queued(s, null)).isNotEqualTo(queued(s, null)); // no key: two messages
            assertThat(s.sent().all()).hasSize(3);
        }
    }

    @Test
    void aRequestKeepsTheDateItAsksAnAnswerBy() throws Exception {
        try (MessageStore s = open()) {
            UUID id = UUID.randomUUID();
            Instant by = Instant.now().plus(Duration.ofDays(14)).truncatedTo(ChronoUnit.SECONDS);
            s.sent().storeOutgoing(new MessageStore.Outgoing(id, Instant.now(), Instant.now().plus(Duration.ofDays(30)), new byte[] {1}, null,
                    dir.resolve("b"), "pkg", "env", "me", by), List.of(AL), Instant.now());
            assertThat(s.sent().outgoing(id).orElseThrow().respondBy()).isEqualTo(by);
            assertThat(s.sent().all()).extracting(MessageStore.Outgoing::respondBy).containsExactly(by);
            UUID none = queued(s, null);
            assertThat(s.sent().outgoing(none).orElseThrow().respondBy()).isNull();
        }
    }

    @Test
    void everyStateMovesOnlyWhereTheTableAllowsAndNothingLeavesDelivered() throws Exception {
        try (MessageStore s = open()) {
            MessageStore.Transition[] all = {new MessageStore.Send(Instant.now()), new MessageStore.Deliver(1, new byte[] {1},
                Instant.now()), new MessageStore.Retry(1, Instant.now(), "x"), new MessageStore.Fail(1, "x"), new MessageStore.Expire(1, "x")};
            for (State from : State.values()) {
                for (MessageStore.Transition t : all) {
                    if (from.next().contains(t.to())) {
                        continue;
                    }
                    UUID id = queued(s, null);
                    assertThatThrownBy(() -> s.deliveries().transition(id, AL, from, t)).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining(from + " may not go to " + t.to());
                    assertThat(state(s, id)).isEqualTo(State.QUEUED);
                }
            }
            UUID id = queued(s, null);
            assertThat(s.deliveries().transition(id, AL, State.QUEUED, new MessageStore.Send(Instant.now().plusSeconds(60)))).isTrue();
            assertThat(s.deliveries().transition(id, AL, State.SENDING, new MessageStore.Deliver(1, new byte[] {7}, Instant.now()))).isTrue();
            assertThat(state(s, id)).isEqualTo(State.DELIVERED);
            assertThat(s.deliveries().of(id).get(0).receipt()).containsExactly(7);
            assertThat(s.deliveries().of(id).get(0).deliveredAt()).isNotNull();
            // Compare and set: a transition from a state the delivery is no longer in changes nothing.
            assertThat(s.deliveries().transition(id, AL, State.SENDING, new MessageStore.Retry(2, Instant.now(), "late"))).isFalse();
            assertThat(state(s, id)).isEqualTo(State.DELIVERED);
            assertThat(s.deliveries().recoverInterrupted(Instant.now())).isZero();
            assertThat(state(s, id)).isEqualTo(State.DELIVERED);
        }
    }

    @Test
    void dueDeliveriesRetriesAndCounts() throws Exception {
        try (MessageStore s = open()) {
            Instant now = Instant.now();
            UUID a = queued(s, null, AL, US);
            UUID b = queued(s, null, AL);
            assertThat(s.deliveries().dueDeliveries(now.plusSeconds(1), 10)).extracting(MessageStore.Delivery::messageId).contains(a, b).hasSize(3);
            assertThat(s.deliveries().dueDeliveries(now.plusSeconds(1), 2)).hasSize(2);
            assertThat(s.deliveries().transition(b, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
            assertThat(s.deliveries().transition(b, AL, State.SENDING, new MessageStore.Retry(1, now.plusSeconds(600), "down"))).isTrue();
            assertThat(s.deliveries().of(b).get(0).lastError()).isEqualTo("down");
            assertThat(s.deliveries().dueDeliveries(now.plusSeconds(1), 10)).extracting(MessageStore.Delivery::messageId).doesNotContain(b);
            assertThat(s.deliveries().recipientsWaiting(now)).containsExactly(AL);
            assertThat(s.deliveries().retryNow(AL, now.plusSeconds(1))).isEqualTo(1);
            assertThat(s.deliveries().dueDeliveries(now.plusSeconds(2), 10)).extracting(MessageStore.Delivery::messageId).contains(b);
            assertThat(s.deliveries().transition(a, US, State.QUEUED, new MessageStore.Fail(0, "refused"))).isTrue();
            assertThat(s.deliveries().countByState()).containsEntry(State.QUEUED, 1L).containsEntry(State.RETRYING, 1L)
                    .containsEntry(State.FAILED, 1L).doesNotContainKey(State.DELIVERED);
            assertThat(s.deliveries().of(a)).extracting(MessageStore.Delivery::recipient).containsExactly(AL, US);
        }
    }

    @Test
    void theSweeperTakesBackOnlyExpiredLeasesNotRunningAttempts() throws Exception {
        try (MessageStore s = open()) {
            UUID lost = queued(s, null);
            UUID running = queued(s, null);
            UUID fresh = queued(s, null);
            Instant now = Instant.now();
            s.deliveries().transition(lost, AL, State.QUEUED, new MessageStore.Send(now.minusSeconds(1)));
            s.deliveries().transition(running, AL, State.QUEUED, new MessageStore.Send(now.minusSeconds(1)));
            s.deliveries().transition(fresh, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(300)));
            assertThat(s.deliveries().recoverExpiredLeases(now, Set.of(running + "/" + AL))).isEqualTo(1);
            assertThat(state(s, lost)).isEqualTo(State.RETRYING);
            assertThat(state(s, running)).isEqualTo(State.SENDING);
            assertThat(state(s, fresh)).isEqualTo(State.SENDING);
            s.deliveries().renewLeases(Set.of(running + "/" + AL), now.plusSeconds(300));
            assertThat(s.deliveries().recoverExpiredLeases(now, Set.of())).isZero();
        }
    }

    @Test
    void concurrentSubmitsWithOneKeyMakeOneMessageAndConcurrentClaimsOneSender() throws Exception {
        try (MessageStore s = open()) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<UUID>> ids = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    ids.add(pool.submit(() -> queued(s, "same-key")));
                }
                Set<UUID> distinct = new java.util.HashSet<>();
                for (Future<UUID> f : ids) {
                    distinct.add(f.get());
                }
                assertThat(distinct).hasSize(1);
                assertThat(s.sent().all()).hasSize(1);
                UUID id = distinct.iterator().next();
                List<Future<Boolean>> claims = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    claims.add(pool.submit(() -> s.deliveries().transition(id, AL, State.QUEUED, new MessageStore.Send(Instant.now().plusSeconds(60)))));
                }
                int won = 0;
                for (Future<Boolean> f : claims) {
                    won += f.get() ? 1 : 0;
                }
                assertThat(won).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }
    static final MessageStore.Listing LISTING = new MessageStore.Listing("mla-request", "restricted",
            List.of("victim-data", "no-onward-transfer"), 3, 12_345_678_901L, Instant.parse("2031-02-03T04:05:06.789Z"), "urgent",
            UUID.randomUUID(), UUID.randomUUID());

    /** A received row reads back every field it declares: its case and listing too (issue 26, item 5). */
    @Test
    void aReceivedMessageReadsBackItsCaseAndListingAndAListingPageHasNoEnvelope() throws Exception {
        try (MessageStore s = open()) {
            UUID id = UUID.randomUUID();
            MessageStore.Received got = received(IT, id, dir.resolve("blobs/in"), new byte[] {2});
            s.inbox().storeReceived(new MessageStore.Received(got.sender(), id, got.receivedAt(), got.envelope(), got.envelopeSha256(),
                    got.receipt(), got.blobs(), null, "OP-A", LISTING));
            UUID bare = UUID.randomUUID();
            s.inbox().storeReceived(received(US, bare, dir.resolve("blobs/b"), new byte[] {3}));

            MessageStore.Received back = s.inbox().received(id).orElseThrow();
            assertThat(back.caseRef()).isEqualTo("OP-A");
            assertThat(back.listing()).isEqualTo(LISTING);
            assertThat(back.envelope()).containsExactly(1);
            assertThat(s.inbox().all()).filteredOn(r -> r.messageId().equals(id)).singleElement()
                    .satisfies(r -> assertThat(r.listing()).isEqualTo(LISTING));
            List<MessageStore.Received> listed = new ArrayList<>();
            s.inbox().eachListed().forEach(listed::add);
            assertThat(listed).extracting(MessageStore.Received::messageId).containsExactlyInAnyOrder(id, bare);
            assertThat(listed).allSatisfy(r -> assertThat(r.envelope()).isNull());
            assertThat(listed).filteredOn(r -> r.messageId().equals(id)).singleElement().satisfies(r -> {
                assertThat(r.listing()).isEqualTo(LISTING);
                assertThat(r.caseRef()).isEqualTo("OP-A");
                assertThat(r.receipt()).containsExactly(2);
            });
            assertThat(s.inbox().received(bare).orElseThrow().listing()).isNull(); // stored without one: marked so
        }
    }

    @Test
    void aRowStoredWithoutAListingGetsItRecordedAndKeepsACaseItHad() throws Exception {
        try (MessageStore s = open()) {
            UUID id = UUID.randomUUID();
            s.inbox().storeReceived(received(IT, id, dir.resolve("blobs/in"), new byte[] {2}));
            UUID tagged = UUID.randomUUID();
            MessageStore.Received t = received(US, tagged, dir.resolve("blobs/t"), new byte[] {3});
            s.inbox().storeReceived(new MessageStore.Received(t.sender(), tagged, t.receivedAt(), t.envelope(), t.envelopeSha256(), t.receipt(),
                    t.blobs(), null, "OP-KEPT"));
            MessageStore.Listing none = new MessageStore.Listing("notification", "official", List.of(), 0, 0, null, null,
                    UUID.randomUUID(), null);

            assertThat(s.inbox().recordListing(IT, id, "OP-NEW", LISTING)).isTrue();
            assertThat(s.inbox().recordListing(US, tagged, "OP-OTHER", none)).isTrue();
            assertThat(s.inbox().recordListing(AL, id, "OP-NEW", LISTING)).isFalse(); // no such sender's message

            assertThat(s.inbox().received(id).orElseThrow().listing()).isEqualTo(LISTING);
            assertThat(s.inbox().received(id).orElseThrow().caseRef()).isEqualTo("OP-NEW");
            assertThat(s.inbox().received(tagged).orElseThrow().listing()).isEqualTo(none);
            assertThat(s.inbox().received(tagged).orElseThrow().caseRef()).isEqualTo("OP-KEPT");
        }
    }
    /** A sent row reads back its case and listing fields; one stored without them gets them recorded. */
    @Test
    void aSentMessageReadsBackItsCaseAndListingFields() throws Exception {
        try (MessageStore s = open()) {
            UUID id = UUID.randomUUID();
            MessageStore.Sealed sealed = new MessageStore.Sealed("mla-request", "[AL-PP, US-OIA]", UUID.randomUUID(), UUID.randomUUID());
            s.sent().storeOutgoing(new MessageStore.Outgoing(id, Instant.now(), Instant.now().plus(Duration.ofDays(1)), new byte[] {1}, null,
                    dir.resolve("blobs/outbox/" + id), "pkg", "env", "me", null, "OP-S", sealed), List.of(AL), Instant.now());
            UUID bare = inCase(s, null, "OP-T");

            assertThat(s.sent().outgoing(id).orElseThrow().sealed()).isEqualTo(sealed);
            assertThat(s.sent().outgoing(id).orElseThrow().caseRef()).isEqualTo("OP-S");
            assertThat(s.sent().all()).filteredOn(o -> o.messageId().equals(id)).singleElement()
                    .satisfies(o -> assertThat(o.sealed()).isEqualTo(sealed));
            assertThat(s.sent().outgoing(bare).orElseThrow().sealed()).isNull();
            assertThat(s.sent().outgoing(bare).orElseThrow().caseRef()).isEqualTo("OP-T");

            MessageStore.Sealed jit = new MessageStore.Sealed("jit-notification", "JIT-7", UUID.randomUUID(), null);
            assertThat(s.sent().recordSealed(bare, jit)).isTrue();
            assertThat(s.sent().recordSealed(UUID.randomUUID(), jit)).isFalse();
            assertThat(s.sent().outgoing(bare).orElseThrow().sealed()).isEqualTo(jit);
        }
    }

    /**
     * Orphan outbox folders are found from the seals left behind (Outbox.removeOrphans): a seal is recorded before
     * its folder is in place, storing its message ends it in the same transaction, a discarded one ends it; what is
     * left and old enough is read from an index, whatever the outbox holds.
     */
    @Test
    void aSealLeftBehindIsFoundByItsIndexAndStoringItsMessageEndsIt() throws Exception {
        try (MessageStore s = open()) {
            Instant now = Instant.now();
            Instant old = now.minus(Duration.ofHours(2));
            UUID stored = UUID.randomUUID();
            UUID crashed = UUID.randomUUID();
            UUID discarded = UUID.randomUUID();
            UUID young = UUID.randomUUID();
            for (UUID id : List.of(stored, crashed, discarded)) {
                s.sent().sealing(id, old);
            }
            s.sent().sealing(young, now);
            s.sent().storeOutgoing(new MessageStore.Outgoing(stored, old, now.plus(Duration.ofDays(1)), new byte[] {1}, null,
                    dir.resolve("blobs/outbox/" + stored), "pkg", "env", "me"), List.of(AL), now);
            s.sent().sealEnded(discarded);
            assertThat(s.sent().unfinishedSeals(now.minus(Duration.ofHours(1)), 10)).containsExactly(crashed);
            assertThat(s.sent().unfinishedSeals(now.plusSeconds(1), 10)).containsExactly(crashed, young);
            // The outbox folder itself is looked through once (a store from before seals were kept), then never.
            assertThat(s.sent().outboxScanDue()).isTrue();
            s.sent().outboxScanned();
            assertThat(s.sent().outboxScanDue()).isFalse();
        }
    }

    /** {@code liaison.deliveries{state}} as a scrape shows them, by state id. */
    static java.util.Map<String, Double> deliveryGauges(org.liaison.gateway.admin.NodeMetrics m) {
        java.util.Map<String, Double> out = new java.util.TreeMap<>();
        for (String line : m.scrape().split("\n")) {
            java.util.regex.Matcher g = java.util.regex.Pattern.compile("liaison_deliveries\\{state=\"(\\w+)\"\\} (\\S+)").matcher(line);
            if (g.matches()) {
                out.put(g.group(1), Double.parseDouble(g.group(2)));
            }
        }
        return out;
    }

    /** Every state's gauge: the given ones, the others 0. */
    static java.util.Map<String, Double> gauges(Object... stateAndCount) {
        java.util.Map<String, Double> out = new java.util.TreeMap<>();
        for (State st : State.values()) {
            out.put(st.id(), 0.0);
        }
        for (int i = 0; i < stateAndCount.length; i += 2) {
            out.put(((State) stateAndCount[i]).id(), ((Integer) stateAndCount[i + 1]).doubleValue());
        }
        return out;
    }

    @Test
    void theDeliveriesByStateGaugesFollowEveryInsertTransitionRetryAndDeletion() throws Exception {
        try (MessageStore s = open()) {
            org.liaison.gateway.admin.NodeMetrics m = new org.liaison.gateway.admin.NodeMetrics();
            m.bindStore(s.deliveries()::countByState, () -> 0);
            assertThat(deliveryGauges(m)).isEqualTo(gauges());
            Instant now = Instant.now();
            UUID a = queued(s, null, AL, US);
            UUID b = queued(s, null, AL);
            UUID c = queued(s, null, US);
            assertThat(deliveryGauges(m)).as("inserted").isEqualTo(gauges(State.QUEUED, 4));
            assertThat(s.deliveries().transition(a, AL, State.QUEUED, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
            assertThat(deliveryGauges(m)).as("sending").isEqualTo(gauges(State.QUEUED, 3, State.SENDING, 1));
            assertThat(s.deliveries().transition(a, AL, State.SENDING, new MessageStore.Retry(1, now.plusSeconds(30), "down"))).isTrue();
            assertThat(deliveryGauges(m)).as("a retry").isEqualTo(gauges(State.QUEUED, 3, State.RETRYING, 1));
            assertThat(s.deliveries().retryNow(AL, now)).isEqualTo(1);
            assertThat(deliveryGauges(m)).as("retried now: no state changed").isEqualTo(gauges(State.QUEUED, 3, State.RETRYING, 1));
            assertThat(s.deliveries().transition(a, AL, State.RETRYING, new MessageStore.Send(now.plusSeconds(60)))).isTrue();
            assertThat(s.deliveries().transition(a, AL, State.SENDING, new MessageStore.Deliver(2, new byte[] {7}, now))).isTrue();
            assertThat(deliveryGauges(m)).as("delivered").isEqualTo(gauges(State.QUEUED, 3, State.DELIVERED, 1));
            assertThat(s.deliveries().transition(a, AL, State.SENDING, new MessageStore.Deliver(2, new byte[] {7}, now)))
                    .as("a transition that lost its compare and set").isFalse();
            assertThat(s.deliveries().transition(a, US, State.QUEUED, new MessageStore.Expire(0, "expired"))).isTrue();
            assertThat(s.deliveries().transition(c, US, State.QUEUED, new MessageStore.Fail(0, "refused"))).isTrue();
            assertThat(deliveryGauges(m)).as("expired, failed").isEqualTo(gauges(State.QUEUED, 1, State.DELIVERED, 1, State.EXPIRED, 1,
                    State.FAILED, 1));
            assertThat(s.deliveries().transition(b, AL, State.QUEUED, new MessageStore.Send(now.minusSeconds(1)))).isTrue();
            assertThat(s.deliveries().recoverExpiredLeases(now, Set.of())).isEqualTo(1);
            assertThat(deliveryGauges(m)).as("a lease recovered").isEqualTo(gauges(State.RETRYING, 1, State.DELIVERED, 1, State.EXPIRED, 1,
                    State.FAILED, 1));
            assertThat(s.sent().delete(b, now)).isTrue(); // the retention sweep's deletion: what still waits fails
            assertThat(deliveryGauges(m)).as("deleted").isEqualTo(gauges(State.DELIVERED, 1, State.EXPIRED, 1, State.FAILED, 2));
            assertThat(s.deliveries().countByState()).isEqualTo(java.util.Map.of(State.DELIVERED, 1L, State.EXPIRED, 1L, State.FAILED, 2L));
        }
    }

    /** The blob folders of deleted messages, received and sent. */
    static List<Path> deletedBlobs(MessageStore s) {
        return java.util.stream.Stream.concat(s.inbox().deletedBlobs().stream(), s.sent().deletedBlobs().stream()).toList();
    }
}
