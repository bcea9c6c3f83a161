package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.TestNodes;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.tlog.WitnessPolicy;

/** A node holding a peer's checkpoints: consistent growth is accepted; forks, rewrites, other keys and origins are alarms. */
class PeerLogsTest {
    static final AuthorityId AL = AuthorityId.of("AL-PP");

    @TempDir
    Path dir;

    final MemoryAuditLog own = new MemoryAuditLog();
    final List<String> alarms = new ArrayList<>();
    final List<PeerLogs.Outcome> outcomes = new ArrayList<>();
    /** The log that answers proof requests "from AL-PP". */
    final AtomicReference<FileAuditLog> peer = new AtomicReference<>();

    PeerLogs peerLogs() throws Exception {
        return held((p, from, to) -> {
            assertThat(p).isEqualTo(AL);
            return new PeerLogs.Proof(peer.get().verifierKey(), peer.get().consistencyProof(from, to));
        }, Duration.ZERO);
    }

    /** Checkpoints held in {@code dir/held}, proven by {@code prover}; the alarms and outcomes are recorded here. */
    PeerLogs held(PeerLogs.Prover prover, Duration minInterval) throws Exception {
        return held(prover, minInterval, p -> List.of(), java.time.Clock.systemUTC());
    }

    /** As above, with the log keys the directory lists for a peer, and the node's clock. */
    PeerLogs held(PeerLogs.Prover prover, Duration minInterval, java.util.function.Function<AuthorityId, List<String>> listed,
            java.time.Clock clock) throws Exception {
        return new PeerLogs(dir.resolve("held"), own, prover, (p, reason) -> alarms.add(reason), (p, outcome) -> {
            synchronized (outcomes) {
                outcomes.add(outcome);
            }
        }, minInterval, listed, clock);
    }

    /** The peer's log with three events ({@code a0} to {@code a2}): its checkpoint. */
    String threeEvents(FileAuditLog log) throws Exception {
        peer.set(log);
        events(log, 3, "a");
        return log.checkpointNow();
    }

    static void events(FileAuditLog log, int n, String tag) {
        for (int i = 0; i < n; i++) {
            log.record(AuditEvent.of("receive", "IT-DNA", tag + i, "IT-DNA", "ok", null));
        }
    }

    static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        for (String f : List.of(FileAuditLog.ENTRIES, FileAuditLog.CHECKPOINTS, FileAuditLog.KEY)) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
    }

    @Test
    void growingCheckpointsAreConsistentAndAnOlderOneIsAcceptedWithoutGoingBack() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1))) {
            peer.set(log);
            PeerLogs held = peerLogs();
            events(log, 3, "a");
            String c3 = log.checkpointNow();
            events(log, 4, "b");
            String c7 = log.checkpointNow();
            assertThat(held.check(AL, c3)).isEqualTo(PeerLogs.Outcome.FIRST);
            assertThat(held.check(AL, c7)).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            assertThat(held.check(AL, c7)).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            assertThat(held.check(AL, c3)).isEqualTo(PeerLogs.Outcome.OLDER);
            assertThat(held.stored(AL)).contains(c7);
            assertThat(Files.readString(dir.resolve("held/AL-PP.vkey")).strip()).isEqualTo(log.verifierKey());
            assertThat(alarms).isEmpty();
            assertThat(own.events()).isEmpty();
            assertThat(outcomes).containsExactly(PeerLogs.Outcome.FIRST, PeerLogs.Outcome.CONSISTENT, PeerLogs.Outcome.CONSISTENT,
                    PeerLogs.Outcome.OLDER);
        }
    }

    /**
     * With the directory listing the peer's log key, a checkpoint signed by another key is an alarm
     * even when it is the first one seen (nothing is pinned from what the peer says), and the peer is
     * never asked for its key.
     */
    @Test
    void theKeyTheDirectoryListsDecidesNotTheOneThePeerPresents() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                FileAuditLog impostor = FileAuditLog.open(dir.resolve("other"), "liaison/AL-PP", Duration.ofHours(1))) {
            peer.set(log);
            AtomicReference<List<String>> listed = new AtomicReference<>(List.of(log.verifierKey()));
            PeerLogs held = held((p, from, to) -> {
                if (from == to) {
                    throw new AssertionError("the peer was asked for its key though the directory lists it");
                }
                return new PeerLogs.Proof(log.verifierKey(), log.consistencyProof(from, to));
            }, Duration.ZERO, p -> listed.get(), java.time.Clock.systemUTC());
            events(log, 3, "a");
            assertThat(held.check(AL, log.checkpointNow())).isEqualTo(PeerLogs.Outcome.FIRST);
            events(log, 2, "b");
            assertThat(held.check(AL, log.checkpointNow())).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            assertThat(dir.resolve("held/AL-PP.vkey")).doesNotExist();

            events(impostor, 9, "x");
            assertThat(held.check(AL, impostor.checkpointNow())).isEqualTo(PeerLogs.Outcome.ALARM);
            assertThat(alarms).singleElement().asString().contains("not signed by a log key the directory lists");

            // The directory withdraws the key the peer signs with: its next checkpoint is an alarm too.
            listed.set(List.of(impostor.verifierKey()));
            events(log, 1, "c");
            assertThat(held.check(AL, log.checkpointNow())).isEqualTo(PeerLogs.Outcome.ALARM);
        }
    }

    @Test
    void aRewrittenHistoryUnderTheSameKeyIsAnAlarm() throws Exception {
        Path original = dir.resolve("al");
        try (FileAuditLog log = FileAuditLog.open(original, "liaison/AL-PP", Duration.ofHours(1))) {
            events(log, 5, "a");
            log.checkpointNow();
        }
        // The operator keeps the key but replaces the history: a copy of the log before the first
        // checkpoint, with other events.
        Path forked = dir.resolve("forked");
        Files.createDirectories(forked);
        Files.copy(original.resolve(FileAuditLog.KEY), forked.resolve(FileAuditLog.KEY));
        try (FileAuditLog a = FileAuditLog.open(original, "liaison/AL-PP", Duration.ofHours(1));
                FileAuditLog b = FileAuditLog.open(forked, "liaison/AL-PP", Duration.ofHours(1))) {
            PeerLogs held = peerLogs();
            peer.set(a);
            assertThat(held.check(AL, a.checkpoint())).isEqualTo(PeerLogs.Outcome.FIRST);
            events(b, 5, "x");
            peer.set(b);
            assertThat(held.check(AL, b.checkpointNow())).as("same size, other root").isEqualTo(PeerLogs.Outcome.ALARM);
            events(b, 3, "y");
            assertThat(held.check(AL, b.checkpointNow())).as("larger, but not an extension").isEqualTo(PeerLogs.Outcome.ALARM);
            assertThat(held.stored(AL)).contains(a.checkpoint());
        }
        assertThat(alarms).hasSize(2);
        assertThat(alarms.get(0)).contains("fork");
        assertThat(alarms.get(1)).contains("does not extend");
        assertThat(own.events()).extracting(AuditEvent::type).containsExactly("peer-log-alarm", "peer-log-alarm");
        assertThat(own.events().get(0).counterpart()).isEqualTo("AL-PP");
    }

    @Test
    void anotherKeyOrAnotherOriginIsAnAlarm() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                FileAuditLog other = FileAuditLog.open(dir.resolve("other"), "liaison/AL-PP", Duration.ofHours(1));
                FileAuditLog us = FileAuditLog.open(dir.resolve("us"), "liaison/US-OIA", Duration.ofHours(1))) {
            peer.set(log);
            PeerLogs held = peerLogs();
            events(log, 2, "a");
            assertThat(held.check(AL, log.checkpointNow())).isEqualTo(PeerLogs.Outcome.FIRST);
            events(other, 4, "a");
            assertThat(held.check(AL, other.checkpointNow())).isEqualTo(PeerLogs.Outcome.ALARM);
            events(us, 4, "a");
            assertThat(held.check(AL, us.checkpointNow())).isEqualTo(PeerLogs.Outcome.ALARM);
            assertThat(held.check(AL, "not a checkpoint")).isEqualTo(PeerLogs.Outcome.ALARM);
        }
        assertThat(alarms).hasSize(3);
        assertThat(alarms.get(0)).contains("pinned log key");
        assertThat(alarms.get(1)).contains("liaison/US-OIA");
    }

    @Test
    void aPeerThatCannotBeAskedIsCheckedLaterNotAlarmed() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1))) {
            events(log, 2, "a");
            String c2 = log.checkpointNow();
            events(log, 2, "b");
            String c4 = log.checkpointNow();
            peer.set(log);
            PeerLogs held = peerLogs();
            assertThat(held.check(AL, c2)).isEqualTo(PeerLogs.Outcome.FIRST);
            PeerLogs down = held((p, f, t) -> {
                throw new ProtocolException(ErrorCode.UNAVAILABLE, "connection refused");
            }, Duration.ZERO);
            assertThat(down.check(AL, c4)).isEqualTo(PeerLogs.Outcome.UNREACHABLE);
            assertThat(down.stored(AL)).contains(c2);
            assertThat(held.check(AL, c4)).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            assertThat(alarms).isEmpty();
            // A peer that keeps sending checkpoints it will not prove is not being checked: a warning at the third,
            // not an alarm (a peer that crashed right after its receipts looks the same; alarms mean tampering only).
            List<PeerLogs.Outcome> seen = new ArrayList<>();
            for (int i = 0; i < PeerLogs.MAX_UNPROVEN + 2; i++) {
                events(log, 1, "c");
                seen.add(down.check(AL, log.checkpointNow()));
            }
            // (the check of c4 above was the first in a row)
            assertThat(seen).containsExactly(PeerLogs.Outcome.UNREACHABLE, PeerLogs.Outcome.UNPROVEN, PeerLogs.Outcome.UNREACHABLE,
                    PeerLogs.Outcome.UNREACHABLE, PeerLogs.Outcome.UNREACHABLE);
            assertThat(alarms).isEmpty();
            assertThat(own.events()).anyMatch(e -> e.type().equals("peer-log-unproven") && e.reason().contains("3 times in a row"));
        }
    }

    @Test
    void observedCheckpointsAreCheckedInTheBackgroundAtMostOncePerIntervalNewestFirst() throws Exception {
        List<long[]> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                PeerLogs held = held((p, from, to) -> {
                    asked.add(new long[] {from, to});
                    return new PeerLogs.Proof(log.verifierKey(), log.consistencyProof(from, to));
                }, Duration.ofHours(1))) {
            for (int i = 0; i < 20; i++) {
                events(log, 1, "e");
                held.observe(AL, log.checkpointNow());
            }
            held.drain();
            // One check at once, the rest wait for the interval; drain checks the newest of them.
            assertThat(outcomes).hasSizeBetween(1, 2).startsWith(PeerLogs.Outcome.FIRST);
            assertThat(asked).hasSizeLessThanOrEqualTo(2);
            assertThat(held.stored(AL)).contains(log.checkpoint());
            assertThat(alarms).isEmpty();
        }
    }

    // ----- the witnesses' quorum -----

    static final Cosignature.Cosigner US_WITNESS = Cosignature.Cosigner.of(
            "liaison-witness/US-OIA", new byte[32]);
    static final Cosignature.Cosigner STRANGER = Cosignature.Cosigner.of(
            "liaison-witness/US-OIA", java.util.Arrays.copyOf(new byte[] {7}, 32));
    static final WitnessPolicy ONE_OF_ONE = new WitnessPolicy(
            List.of(new WitnessPolicy.Witness("US-OIA", List.of(US_WITNESS.key()))), 1);

    static String cosigned(String note, Cosignature.Cosigner by) throws Exception {
        return Cosignature.withSignatures(note, List.of(Cosignature.sign(
                Cosignature.body(note), by, System.currentTimeMillis() / 1000)));
    }

    /** The peer's answer also carries its latest cosigned checkpoint (what the quorum check asks it for). */
    final AtomicReference<String> peerCosigned = new AtomicReference<>();

    PeerLogs quorumPeerLogs(Duration grace) throws Exception {
        PeerLogs p = held((x, from, to) -> new PeerLogs.Proof(peer.get().verifierKey(),
                peer.get().consistencyProof(from, to), peerCosigned.get()), Duration.ZERO);
        p.requireQuorum(x -> ONE_OF_ONE, grace);
        return p;
    }

    /** A checkpoint with its quorum is witnessed at once; one without it is, once the peer shows it cosigned within the grace. */
    @Test
    void aCheckpointWithoutItsQuorumIsWitnessedWhenThePeerShowsItCosigned() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                PeerLogs held = quorumPeerLogs(Duration.ofMillis(300))) {
            String c3 = threeEvents(log);
            assertThat(held.check(AL, cosigned(c3, US_WITNESS))).isEqualTo(PeerLogs.Outcome.FIRST);
            assertThat(held.witnessed(AL)).isTrue();
            events(log, 2, "b");
            String c5 = log.checkpointNow();
            assertThat(held.check(AL, c5)).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            assertThat(held.witnessed(AL)).isFalse(); // not accepted silently: waiting for its quorum
            peerCosigned.set(cosigned(c5, US_WITNESS)); // the peer's witness cosigns it
            TestNodes.await("witnessed", Duration.ofSeconds(10), () -> held.witnessed(AL));
            assertThat(alarms).isEmpty();
            assertThat(own.events()).isEmpty();
        }
    }

    /**
     * A peer whose checkpoints lack their quorum beyond the grace period is an alarm (audit entry, the alarm callback, the
     * UNWITNESSED outcome), once; a cosignature by a key the policy does not list does not count; the quorum clears it.
     */
    @Test
    void aCheckpointStillWithoutItsQuorumAfterTheGraceIsAnAlarm() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                PeerLogs held = quorumPeerLogs(Duration.ofMillis(200))) {
            String c3 = threeEvents(log);
            peerCosigned.set(cosigned(c3, STRANGER)); // cosigned, but not by the witness the directory lists
            assertThat(held.check(AL, c3)).isEqualTo(PeerLogs.Outcome.FIRST);
            TestNodes.await("the alarm", Duration.ofSeconds(10), () -> !alarms.isEmpty());
            assertThat(alarms).singleElement().asString().contains("lacks the quorum of 1 of 1 witnesses");
            assertThat(own.events()).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo("peer-log-unwitnessed");
                assertThat(e.outcome()).isEqualTo("alarm");
            });
            synchronized (outcomes) {
                assertThat(outcomes).contains(PeerLogs.Outcome.UNWITNESSED);
            }
            assertThat(held.witnessed(AL)).isFalse();
            Thread.sleep(600); // further rounds of the check (every grace): the alarm is not repeated
            assertThat(alarms).hasSize(1);

            assertThat(held.check(AL, cosigned(c3, US_WITNESS))).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            assertThat(held.witnessed(AL)).isTrue();
        }
    }

    /**
     * A check scheduled for a checkpoint witnessed since does not alarm a later one before that one's own grace is over
     * (it did: a peer whose checkpoints came and were cosigned in turn was alarmed seconds after one arrived).
     */
    @Test
    void aLaterCheckpointIsGivenItsOwnGrace() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                PeerLogs held = quorumPeerLogs(Duration.ofSeconds(2))) {
            String c3 = threeEvents(log);
            assertThat(held.check(AL, c3)).isEqualTo(PeerLogs.Outcome.FIRST); // waits for its quorum: a check in 2 s
            assertThat(held.check(AL, cosigned(c3, US_WITNESS))).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            assertThat(held.witnessed(AL)).isTrue();
            events(log, 2, "b");
            assertThat(held.check(AL, log.checkpointNow())).isEqualTo(PeerLogs.Outcome.CONSISTENT); // its own check in 2 s
            assertThat(held.witnessed(AL)).isFalse();
            TestNodes.await("the alarm", Duration.ofSeconds(20), () -> !alarms.isEmpty());
            // The alarm says how long the checkpoint waited: at least its grace (the stale check said 0 or 1 s).
            java.util.regex.Matcher waited = java.util.regex.Pattern.compile("(\\d+) s after it was received").matcher(alarms.get(0));
            assertThat(waited.find()).isTrue();
            assertThat(Integer.parseInt(waited.group(1))).as(alarms.get(0)).isGreaterThanOrEqualTo(2);
        }
    }

    /** With no quorum demanded (quorum 0, or a log the directory does not witness), nothing waits and nothing is alarmed. */
    @Test
    void noQuorumDemandedNoWait() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                PeerLogs held = quorumPeerLogs(Duration.ofMillis(100))) {
            held.requireQuorum(x -> null, Duration.ofMillis(100));
            assertThat(held.check(AL, threeEvents(log))).isEqualTo(PeerLogs.Outcome.FIRST);
            assertThat(held.witnessed(AL)).isTrue();
        }
    }

    /** An alarm's audit entry is at the node's time (a manual clock here), not the system's. */
    @Test
    void anAlarmIsAuditedAtTheNodesTime() throws Exception {
        Instant then = Instant.parse("2031-05-06T07:08:09Z");
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                FileAuditLog impostor = FileAuditLog.open(dir.resolve("other"), "liaison/AL-PP", Duration.ofHours(1))) {
            PeerLogs held = held((p, from, to) -> {
                throw new AssertionError("not asked: the directory lists the key");
            }, Duration.ZERO, p -> List.of(log.verifierKey()), java.time.Clock.fixed(then, java.time.ZoneOffset.UTC));
            events(impostor, 2, "x");
            assertThat(held.check(AL, impostor.checkpointNow())).isEqualTo(PeerLogs.Outcome.ALARM);
            assertThat(own.events()).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo("peer-log-alarm");
                assertThat(e.time()).isEqualTo(then);
            });
        }
    }

    /**
     * A peer's receipts carry its latest cosigned checkpoint, the same one for seconds: that note is checked once (its
     * signature, and a proof against what is held, asked of the peer each time), not once per receipt — but again when
     * the directory lists other log keys for the peer.
     */
    @Test
    void theSameCosignedCheckpointIsCheckedOnceUnderTheSameListedKeys() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir.resolve("al"), "liaison/AL-PP", Duration.ofHours(1));
                FileAuditLog other = FileAuditLog.open(dir.resolve("other"), "liaison/AL-PP", Duration.ofHours(1))) {
            AtomicReference<List<String>> listed = new AtomicReference<>(List.of(log.verifierKey()));
            java.util.concurrent.atomic.AtomicInteger proofs = new java.util.concurrent.atomic.AtomicInteger();
            PeerLogs held = new PeerLogs(dir.resolve("held"), own, (p, from, to) -> {
                proofs.incrementAndGet();
                return new PeerLogs.Proof(log.verifierKey(), log.consistencyProof(from, to));
            }, (p, reason) -> alarms.add(reason), (p, outcome) -> outcomes.add(outcome), Duration.ZERO, p -> listed.get());
            events(log, 3, "a");
            String c3 = log.checkpointNow();
            events(log, 4, "b");
            String c7 = log.checkpointNow();
            held.observeCosigned(AL, c3);
            held.drain();
            assertThat(held.check(AL, c7)).isEqualTo(PeerLogs.Outcome.CONSISTENT);
            for (int i = 0; i < 5; i++) {
                held.observeCosigned(AL, c3);
                held.drain();
            }
            assertThat(outcomes).containsExactly(PeerLogs.Outcome.FIRST, PeerLogs.Outcome.CONSISTENT);
            assertThat(proofs.get()).isEqualTo(1);

            // The directory now lists another key for the peer's log: the same note is checked again, and refused.
            listed.set(List.of(other.verifierKey()));
            held.observeCosigned(AL, c3);
            held.drain();
            assertThat(outcomes).last().isEqualTo(PeerLogs.Outcome.ALARM);
            assertThat(alarms).singleElement().asString().contains("not signed by a log key the directory lists");
            held.close();
        }
    }
}
