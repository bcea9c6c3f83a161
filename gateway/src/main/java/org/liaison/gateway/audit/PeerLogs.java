package org.liaison.gateway.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.gateway.net.GracefulStop;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.WitnessPolicy;

/**
 * The checkpoints of peers' audit logs that this node holds, and the check that each newer one
 * extends the one before. Receipts bring a peer's checkpoint; for each peer the node keeps the
 * largest it has verified ({@code peers/ID.checkpoint}) and the peer's log key, pinned the first
 * time it asked for it ({@code peers/ID.vkey}). A checkpoint that is badly signed, names another
 * origin, forks (same size, other root) or has no valid consistency proof from the peer is an
 * alarm: an audit event, an error log line and a metric.
 *
 * <p>Checks run on one background thread, so deliveries never wait for a peer's proof, and at most
 * once per interval per peer (each asks the peer over a new TLS connection), always with the newest
 * checkpoint received — which covers the ones before it. A peer that cannot be asked (down,
 * refusing) is checked again after its next receipt; that is not an alarm, but it is counted, and
 * the third time in a row it is a warning ({@code peer-log-unproven}). Alarms mean tampering only.
 */
public final class PeerLogs implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(PeerLogs.class);

    /** Asks a peer for its log key and a consistency proof between two of its tree sizes. */
    public interface Prover {
        Proof prove(AuthorityId peer, long from, long to) throws ProtocolException;
    }

    /**
     * A peer's answer: its log key, the proof, and the latest checkpoint it holds with its witnesses' cosignatures
     * ({@code cosigned}, null when it sent none).
     */
    public record Proof(String verifierKey, List<byte[]> hashes, String cosigned) {
        public Proof(String verifierKey, List<byte[]> hashes) {
            this(verifierKey, hashes, null);
        }
    }

    /** What a check concluded. */
    /**
     * How a check ended. ALARM is evidence of tampering only; UNPROVEN is the third UNREACHABLE in a
     * row (a peer whose log nobody is checking: a warning, not an alarm).
     */
    public enum Outcome { FIRST, CONSISTENT, OLDER, ALARM, UNREACHABLE, UNPROVEN,
        /** A peer's checkpoint still lacked the witnesses' quorum the directory demands for its log after the grace period: an alarm. */
        UNWITNESSED }

    private final Path dir;
    private final Function<AuthorityId, List<String>> listedKeys;
    private final AuditLog audit;
    private final Prover prover;
    private final BiConsumer<AuthorityId, String> alarm;
    private final BiConsumer<AuthorityId, Outcome> checked;
    private final Map<AuthorityId, String> pending = new LinkedHashMap<>();
    private final Map<AuthorityId, Long> lastCheck = new HashMap<>();
    private final Set<AuthorityId> scheduled = new HashSet<>();
    private final long minIntervalNanos;
    private final Clock clock;
    private final ScheduledExecutorService checker = GracefulStop.scheduler("liaison-peer-logs");

    /**
     * @param alarm called with the peer and the reason after an alarm is audited
     * @param checked called with the outcome of every check (metrics: a peer that stays UNREACHABLE is unchecked)
     * @param minInterval the least time between two checks of one peer (each asks the peer over a new TLS
     *     connection); checkpoints arriving meanwhile are not lost: the newest is checked, which covers the others
     */
    public PeerLogs(Path dir, AuditLog audit, Prover prover, BiConsumer<AuthorityId, String> alarm,
            BiConsumer<AuthorityId, Outcome> checked, Duration minInterval) throws IOException {
        this(dir, audit, prover, alarm, checked, minInterval, peer -> List.of());
    }

    /**
     * As above; {@code listedKeys} gives the audit log keys the current directory lists for a peer:
     * when it lists any, a checkpoint must be signed by one of them (nothing is pinned from the peer).
     */
    public PeerLogs(Path dir, AuditLog audit, Prover prover, BiConsumer<AuthorityId, String> alarm,
            BiConsumer<AuthorityId, Outcome> checked, Duration minInterval,
            Function<AuthorityId, List<String>> listedKeys) throws IOException {
        this(dir, audit, prover, alarm, checked, minInterval, listedKeys, Clock.systemUTC());
    }

    /** As above; {@code clock}: the node's, for the times of the audit entries. */
    public PeerLogs(Path dir, AuditLog audit, Prover prover, BiConsumer<AuthorityId, String> alarm,
            BiConsumer<AuthorityId, Outcome> checked, Duration minInterval,
            Function<AuthorityId, List<String>> listedKeys, Clock clock) throws IOException {
        this.clock = clock;
        this.listedKeys = listedKeys;
        this.dir = dir;
        this.audit = audit;
        this.prover = prover;
        this.alarm = alarm;
        this.checked = checked;
        this.minIntervalNanos = minInterval.toNanos();
        Files.createDirectories(dir);
    }

    /** Queues {@code note} (a peer's signed checkpoint from a verified receipt) for checking; returns at once. */
    public void observe(AuthorityId peer, String note) {
        long wait;
        synchronized (pending) {
            String queued = pending.get(peer);
            if (queued == null || size(note) >= size(queued)) {
                pending.put(peer, note);
            }
            if (!scheduled.add(peer)) {
                return; // a check of this peer is due already; it takes the newest note
            }
            Long last = lastCheck.get(peer);
            wait = last == null ? 0 : Math.max(0, last + minIntervalNanos - System.nanoTime());
        }
        try {
            checker.schedule(() -> checkPending(peer), wait, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            // closing: the next receipt after a restart brings a newer checkpoint
        }
    }

    private void checkPending(AuthorityId peer) {
        String n;
        synchronized (pending) {
            n = pending.remove(peer);
            scheduled.remove(peer);
            lastCheck.put(peer, System.nanoTime());
        }
        if (n != null) {
            check(peer, n);
        }
    }

    private static long size(String note) {
        try {
            return Checkpoint.parse(note).size();
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    /** The peer checkpoint this node holds, if any. */
    public Optional<String> stored(AuthorityId peer) throws IOException {
        Path f = dir.resolve(peer.value() + ".checkpoint");
        return Files.exists(f) ? Optional.of(Files.readString(f, StandardCharsets.UTF_8)) : Optional.empty();
    }

    /**
     * Checks in a row a peer may leave unproven. Its checkpoints come with its receipts, so the peer
     * is up; one that keeps not answering for its log is refusing to be checked.
     */
    static final int MAX_UNPROVEN = 3;
    private final Map<AuthorityId, Integer> unproven = new HashMap<>();

    /** Checks {@code note} against what is held for {@code peer} now (on the caller's thread). */
    public synchronized Outcome check(AuthorityId peer, String note) {
        Outcome o = evaluate(peer, note);
        if (o == Outcome.UNREACHABLE) {
            o = unreachable(peer);
        } else {
            unproven.remove(peer);
        }
        if (o == Outcome.FIRST || o == Outcome.CONSISTENT || o == Outcome.OLDER) {
            witnessing(peer, note);
        }
        checked.accept(peer, o);
        return o;
    }

    // ----- the witnesses' quorum (C2SP tlog-witness): a peer's checkpoint is not accepted silently without it -----

    private Function<AuthorityId, WitnessPolicy> policies = peer -> null;
    /**
     * How long a peer's checkpoint may lack its witnesses' quorum before it is an alarm: the peer submits its checkpoints
     * every 3 s (forty rounds), and its own node raises its alarm after as long ({@code Submitter.ALARM_AFTER}).
     */
    public static final Duration QUORUM_GRACE = Duration.ofMinutes(2);
    private Duration grace = QUORUM_GRACE;
    /** Per peer: the largest size held with its quorum. */
    private final Map<AuthorityId, Long> witnessedSize = new HashMap<>();
    /** Per peer: the first checkpoint size held without its quorum, since when, and whether that was alarmed. */
    private final Map<AuthorityId, Unwitnessed> unwitnessed = new HashMap<>();

    private record Unwitnessed(long size, long sinceNanos, boolean alarmed) {}

    /**
     * Demands of each peer's checkpoints the witness quorum the directory sets for its log ({@code policies}: its
     * policy, or null or quorum 0 for none). A checkpoint held without it is checked again after {@code grace} — the
     * peer's witnesses cosign within seconds (its submitter runs every 3 s) — asking the peer for its latest cosigned
     * checkpoint; one still not covered by a checkpoint with the quorum is an alarm ({@code peer-log-unwitnessed} audit
     * entry, error line, metric), once, until the peer's log is witnessed again.
     */
    public synchronized void requireQuorum(Function<AuthorityId, WitnessPolicy> policies,
            Duration grace) {
        this.policies = policies;
        this.grace = grace;
    }

    /**
     * A peer's checkpoint with the cosignatures it holds (from its delivered evidence): checked for consistency and for
     * the quorum, on the background thread; returns at once.
     */
    public void observeCosigned(AuthorityId peer, String note) {
        if (checkedAlready(peer, note)) {
            return;
        }
        try {
            checker.execute(() -> {
                if (checkedAlready(peer, note)) {
                    return;
                }
                Outcome o = check(peer, note);
                if (o == Outcome.FIRST || o == Outcome.CONSISTENT || o == Outcome.OLDER) {
                    cosignedChecked.put(peer, new Checked(note, listedKeys.apply(peer)));
                }
            });
        } catch (RejectedExecutionException closing) {
            // closing
        }
    }

    /**
     * Per peer: the last cosigned checkpoint that checked, and the log keys the directory listed then. A peer's receipts
     * carry its latest cosigned checkpoint, the same one for seconds (its witnesses cosign every few): that very note,
     * under the same listed keys, is not checked again — its signature verified, its cosignatures counted, and the log
     * held since only grew by proven extensions of it (each asks the peer for a proof over a new TLS connection).
     */
    private final Map<AuthorityId, Checked> cosignedChecked = new ConcurrentHashMap<>();

    private record Checked(String note, List<String> keys) {}

    private boolean checkedAlready(AuthorityId peer, String note) {
        Checked c = cosignedChecked.get(peer);
        return c != null && c.note().equals(note) && c.keys().equals(listedKeys.apply(peer));
    }

    /** Whether {@code peer}'s held checkpoint has its quorum (or none is demanded): for tests and the status. */
    public synchronized boolean witnessed(AuthorityId peer) {
        return !unwitnessed.containsKey(peer);
    }

    private void witnessing(AuthorityId peer, String note) {
        WitnessPolicy policy = policies.apply(peer);
        if (policy == null || policy.quorum() == 0) {
            unwitnessed.remove(peer);
            return;
        }
        long size = Checkpoint.ofNote(note).size();
        if (policy.check(note).satisfied()) {
            witnessedSize.merge(peer, size, Math::max);
            Unwitnessed u = unwitnessed.get(peer);
            if (u != null && u.size() <= witnessedSize.get(peer)) {
                unwitnessed.remove(peer);
                if (u.alarmed()) {
                    LOG.info("the audit log of {} is witnessed again: a checkpoint of size {} has its quorum", peer, size);
                }
            }
            return;
        }
        if (size <= witnessedSize.getOrDefault(peer, -1L) || unwitnessed.containsKey(peer)) {
            return; // covered by a checkpoint with its quorum, or already waiting for one
        }
        unwitnessed.put(peer, new Unwitnessed(size, System.nanoTime(), false));
        scheduleQuorumCheck(peer, grace.toNanos());
    }

    private void scheduleQuorumCheck(AuthorityId peer, long nanos) {
        try {
            checker.schedule(() -> quorumCheck(peer), nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            // closing: the next receipt after a restart brings a newer checkpoint
        }
    }

    /**
     * Whether {@code u} has waited less than the grace: a check scheduled for an earlier checkpoint (witnessed since) finds
     * a later one waiting; it must not alarm it before its own grace is over (ClusterFailoverTest saw alarms 0–8 s after
     * reception, with a 2 minute grace, under load).
     */
    private boolean young(Unwitnessed u) {
        return System.nanoTime() - u.sinceNanos() < grace.toNanos();
    }

    /** The grace period is over: asks the peer for its latest cosigned checkpoint; without the quorum still, an alarm. */
    private void quorumCheck(AuthorityId peer) {
        Unwitnessed u;
        synchronized (this) {
            u = unwitnessed.get(peer);
        }
        if (u == null || young(u)) {
            return; // witnessed meanwhile; or a later checkpoint waits now, whose own check is scheduled (this one is stale)
        }
        try {
            Optional<String> held = stored(peer);
            long size = held.isPresent() ? Checkpoint.ofNote(held.get()).size() : u.size();
            String cosigned = prover.prove(peer, size, size).cosigned();
            if (cosigned != null) {
                check(peer, cosigned);
            }
        } catch (ProtocolException | IOException | RuntimeException e) {
            LOG.warn("cannot ask {} for its cosigned checkpoint now: {}", peer, e.getMessage());
        }
        synchronized (this) {
            Unwitnessed now = unwitnessed.get(peer);
            if (now == null || young(now)) {
                return;
            }
            if (!now.alarmed()) {
                WitnessPolicy policy = policies.apply(peer);
                String reason = peer + " presented a checkpoint of its audit log (size " + now.size() + ") that lacks the quorum of "
                        + (policy == null ? "?" : policy.quorum() + " of " + policy.witnesses().size()) + " witnesses the directory demands, "
                        + (System.nanoTime() - now.sinceNanos()) / 1_000_000_000L + " s after it was received: its log is not witnessed"
                        + " (a split view cannot be ruled out)";
                audit.record(AuditEvent.of(clock, "peer-log-unwitnessed", peer.value(), null, peer.value(), "alarm", reason));
                LOG.error("AUDIT ALARM: {}", reason);
                alarm.accept(peer, reason);
                checked.accept(peer, Outcome.UNWITNESSED);
                unwitnessed.put(peer, new Unwitnessed(now.size(), now.sinceNanos(), true));
            }
        }
        scheduleQuorumCheck(peer, grace.toNanos()); // checked again: it clears when a checkpoint with the quorum comes
    }

    private Outcome unreachable(AuthorityId peer) {
        Outcome o = Outcome.UNREACHABLE;
        {
            int n = unproven.merge(peer, 1, Integer::sum);
            if (n == MAX_UNPROVEN) {
                // Not an alarm: a peer that crashes and restarts (or is cut off) right after its receipts looks the
                // same, and an alarm must mean evidence of tampering. A warning, an audit entry and a metric.
                String reason = peer + " sent checkpoints with its receipts but no proof for them " + n
                        + " times in a row: its log is not being checked";
                audit.append(AuditEvent.of(clock, "peer-log-unproven", peer.value(), null, peer.value(), "unproven", reason));
                LOG.warn("AUDIT WARNING: {}", reason);
                o = Outcome.UNPROVEN;
            }
        }
        return o;
    }

    private Outcome evaluate(AuthorityId peer, String note) {
        try {
            Checkpoint c;
            try {
                c = Checkpoint.ofNote(note);
            } catch (IllegalArgumentException e) {
                return raise(peer, "a malformed checkpoint: " + e.getMessage());
            }
            String expectedOrigin = LogOrigin.of(peer);
            if (!c.origin().equals(expectedOrigin)) {
                return raise(peer, "a checkpoint of log " + c.origin() + " (expected " + expectedOrigin + ")");
            }
            List<String> listed = listedKeys.apply(peer);
            if (!listed.isEmpty()) {
                boolean signed = false;
                for (String k : listed) {
                    try {
                        SignedNote.open(note, k);
                        signed = true;
                        break;
                    } catch (GeneralSecurityException | IllegalArgumentException e) {
                        // the next listed key
                    }
                }
                if (!signed) {
                    return raise(peer, "a checkpoint not signed by a log key the directory lists for " + peer);
                }
                return extends_(peer, c, note);
            }
            Path keyFile = dir.resolve(peer.value() + ".vkey");
            if (!Files.exists(keyFile)) {
                String key = prover.prove(peer, c.size(), c.size()).verifierKey();
                SecureFiles.writeAtomically(keyFile, (key + "\n").getBytes(StandardCharsets.UTF_8), false);
                LOG.info("pinned the audit log key of {}: {}", peer, key);
            }
            String key = Files.readString(keyFile, StandardCharsets.UTF_8).strip();
            try {
                SignedNote.open(note, key);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                return raise(peer, "a checkpoint not signed by its pinned log key " + key + " (" + e.getMessage() + ")");
            }
            return extends_(peer, c, note);
        } catch (ProtocolException e) {
            LOG.warn("cannot check the audit checkpoint of {} now: {} [{}]", peer, e.getMessage(), e.code().code());
            return Outcome.UNREACHABLE;
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot check the audit checkpoint of {}: {}", peer, e.toString());
            return Outcome.UNREACHABLE;
        }
    }

    /** A checkpoint signed as it must be: the first held, or one that extends (or is extended by) the one held. */
    private Outcome extends_(AuthorityId peer, Checkpoint c, String note) throws IOException, ProtocolException {
        Optional<String> held = stored(peer);
        if (held.isEmpty()) {
            store(peer, note);
            return Outcome.FIRST;
        }
        Checkpoint old = Checkpoint.ofNote(held.get());
        if (old.size() == c.size()) {
            return Arrays.equals(old.rootHash(), c.rootHash()) ? Outcome.CONSISTENT
                    : raise(peer, "two different logs of size " + c.size() + " (a fork): the checkpoint held and the one received");
        }
        boolean growing = old.size() < c.size();
        Checkpoint a = growing ? old : c;
        Checkpoint b = growing ? c : old;
        Proof proof = prover.prove(peer, a.size(), b.size());
        if (!Merkle.verifyConsistency(a.size(), b.size(), a.rootHash(), b.rootHash(), proof.hashes())) {
            return raise(peer, "a log of size " + b.size() + " that does not extend its log of size " + a.size()
                    + " (the consistency proof fails): entries were changed or removed");
        }
        if (growing) {
            store(peer, note);
            return Outcome.CONSISTENT;
        }
        return Outcome.OLDER;
    }

    private void store(AuthorityId peer, String note) throws IOException {
        SecureFiles.writeAtomically(dir.resolve(peer.value() + ".checkpoint"), note.getBytes(StandardCharsets.UTF_8), false);
    }

    private Outcome raise(AuthorityId peer, String what) {
        String reason = peer + " presented " + what;
        audit.record(AuditEvent.of(clock, "peer-log-alarm", peer.value(), null, peer.value(), "alarm", reason));
        LOG.error("AUDIT ALARM: {}", reason);
        alarm.accept(peer, reason);
        return Outcome.ALARM;
    }

    /** Checks every queued checkpoint now, whatever the interval, and waits for it (tests). */
    public void drain() throws InterruptedException {
        Future<?> f = checker.submit(() -> {
            List<AuthorityId> peers;
            synchronized (pending) {
                peers = List.copyOf(pending.keySet());
            }
            peers.forEach(this::checkPending);
        });
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        GracefulStop.stop(checker, "peer logs"); // a check in flight records its outcome before the audit log closes
    }
}
