package org.liaison.gateway.witness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.audit.LogOrigin;
import org.liaison.protocol.UntrustedText;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.tlog.AddCheckpoint;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;

/**
 * This node as a C2SP tlog-witness for the audit logs the directory tells it to witness. For each
 * such log it holds one thing: the latest checkpoint it cosigned ({@code dataDir/witness/HASH.checkpoint},
 * HASH the SHA-256 of the log's origin, with the log's signature and this witness's cosignature). A
 * submitted checkpoint is cosigned only when it is signed by a log key the directory lists for the
 * authority and a consistency proof links it to the held one; the new one is stored durably (fsync,
 * atomic rename) before the cosignature is returned, and the check and the store are one step per log,
 * so two requests can never roll the held size back. Only checkpoints and hashes reach a witness.
 *
 * <p>Refusals follow the spec: 400 malformed, 404 a log this node does not witness, 403 no valid
 * signature by a listed key, 409 an old size other than the held one (the body is the held size,
 * {@code text/x.tlog.size}) or a checkpoint of the held size with another root, 422 a proof that does
 * not verify. A checkpoint validly signed for the held size with another root is a fork: answered 409
 * with the held size, counted ({@code liaison_witness_forks_total}), and the first of each size recorded
 * with both checkpoints in the audit log ({@code witness-fork}) and logged as an error. What goes into the
 * audit log is bounded per log ({@link WitnessAuditBudget}): a member signing endless conflicting
 * checkpoints gets the same answers, counted, without growing this node's log without bound.
 * Cosigning is not audited (it would change this node's own log, which its witnesses then cosign, and so on).
 */
public final class Witness {
    private static final Logger LOG = LogManager.getLogger(Witness.class);
    /** Where the spec's add-checkpoint and monitoring paths start on the peer API. */
    public static final String PREFIX = "/liaison/v1/witness";
    public static final String ADD_CHECKPOINT = PREFIX + "/add-checkpoint";

    /** The HTTP answer: status, content type and body. */
    public record Answer(int status, String contentType, byte[] body) {
        static Answer text(int status, String text) {
            return new Answer(status, "text/plain; charset=utf-8", (text + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** What the witness reports besides its answers: each outcome (metrics) and forks (an alarm). */
    public interface Events {
        void outcome(AuthorityId log, String outcome);

        void fork(AuthorityId log);

        /** A fork or refusal answered and counted but not recorded in full (the audit budget was spent). */
        void unrecorded(AuthorityId log, String what);
    }

    private record Held(long size, byte[] root, String note) {}

    private final Path dir;
    private final AuthorityId me;
    private final Cosignature.Cosigner cosigner;
    private final Supplier<FederationDirectory> directory;
    private final AuditLog audit;
    private final Events events;
    private final java.time.Clock clock;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Map<String, Optional<Held>> held = new ConcurrentHashMap<>();
    private final WitnessAuditBudget budget;

    public Witness(Path dir, AuthorityId me, Cosignature.Cosigner cosigner, Supplier<FederationDirectory> directory, AuditLog audit,
            Events events, java.time.Clock clock) throws IOException {
        this.dir = dir;
        this.me = me;
        this.cosigner = cosigner;
        this.directory = directory;
        this.audit = audit;
        this.events = events;
        this.clock = clock;
        this.budget = new WitnessAuditBudget(clock);
        Files.createDirectories(dir);
    }

    public Cosignature.WitnessKey key() {
        return cosigner.key();
    }

    /** The lowercase hex SHA-256 of an origin: its name in the monitoring path and on disk. */
    public static String originHash(String origin) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(origin.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The authority whose log has {@code origin}, if this node witnesses it. */
    private Optional<AuthorityId> witnessedLog(FederationDirectory d, String origin) {
        for (AuthorityId log : d.witnessing().witnessedBy(me)) {
            if (LogOrigin.of(log).equals(origin)) {
                return Optional.of(log);
            }
        }
        return Optional.empty();
    }

    /** Answers {@code POST add-checkpoint} from {@code submitter} (for the audit trail only: anyone may submit a signed checkpoint). */
    public Answer addCheckpoint(AuthorityId submitter, byte[] body) {
        AddCheckpoint req;
        Checkpoint cp;
        try {
            req = AddCheckpoint.parse(body);
            cp = Checkpoint.ofNote(req.checkpointNote());
        } catch (IllegalArgumentException e) {
            return Answer.text(400, "malformed add-checkpoint request: " + e.getMessage());
        }
        FederationDirectory d = directory.get();
        Optional<AuthorityId> found = witnessedLog(d, cp.origin());
        if (found.isEmpty()) {
            return Answer.text(404, "this node does not witness the log " + printable(cp.origin()));
        }
        AuthorityId log = found.get();
        summarize(log, cp.origin());
        List<String> keys = d.authority(log).map(FederationDirectory.Entry::auditLogKeys).orElse(List.of());
        if (!signedByOneOf(req.checkpointNote(), keys)) {
            return refuse(log, submitter, 403, "forbidden", "the checkpoint carries no valid signature by a log key the directory lists for "
                    + log, cp, null);
        }
        if (req.oldSize() > cp.size()) {
            return refuse(log, submitter, 400, "malformed", "old size " + req.oldSize() + " exceeds the checkpoint's size " + cp.size(), cp,
                    null);
        }
        synchronized (locks.computeIfAbsent(cp.origin(), o -> new Object())) {
            Held h;
            try {
                h = load(cp.origin());
            } catch (IOException e) {
                LOG.error("cannot read the checkpoint held for {}: {}", log, e.getMessage());
                return Answer.text(500, "the witness cannot read its state");
            }
            long heldSize = h == null ? 0 : h.size();
            boolean fork = h != null && cp.size() == h.size() && !Arrays.equals(cp.rootHash(), h.root());
            if (fork) {
                recordFork(log, submitter, h, req.checkpointNote());
            }
            if (req.oldSize() != heldSize || fork) {
                // The spec's 409 for both: an old size other than the held one, and the held size with another root.
                events.outcome(log, fork ? "fork" : "conflict");
                return new Answer(409, AddCheckpoint.SIZE_TYPE, (heldSize + "\n").getBytes(StandardCharsets.UTF_8));
            }
            if (cp.size() == 0 && !Arrays.equals(cp.rootHash(), Merkle.emptyRoot())) {
                return refuse(log, submitter, 422, "bad-proof", "a checkpoint of size 0 must have the empty tree's root", cp, h);
            }
            if (req.oldSize() == 0 && !req.proof().isEmpty()) {
                return refuse(log, submitter, 422, "bad-proof", "from size 0 the consistency proof must be empty", cp, h);
            }
            if (req.oldSize() > 0 && !Merkle.verifyConsistency(h.size(), cp.size(), h.root(), cp.rootHash(), req.proof())) {
                return refuse(log, submitter, 422, "bad-proof", "the consistency proof from size " + h.size() + " to " + cp.size()
                        + " does not verify", cp, h);
            }
            String line;
            try {
                line = Cosignature.sign(Cosignature.body(req.checkpointNote()), cosigner, Math.max(1, clock.instant().getEpochSecond()));
                String note = Cosignature.withSignatures(req.checkpointNote(), List.of(line));
                // Durable before the answer: a cosignature is never given for a size the witness could forget.
                SecureFiles.writeAtomically(file(cp.origin()), note.getBytes(StandardCharsets.UTF_8), false);
                held.put(cp.origin(), Optional.of(new Held(cp.size(), cp.rootHash(), note)));
            } catch (GeneralSecurityException | IOException e) {
                held.remove(cp.origin());
                LOG.error("cannot cosign or store the checkpoint of {}: {}", log, e.getMessage());
                return Answer.text(500, "the witness cannot store its state");
            }
            events.outcome(log, "cosigned");
            return new Answer(200, "text/plain; charset=utf-8", line.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Answers {@code GET PREFIX/HASH/checkpoint}: the latest checkpoint cosigned for that log (its signatures and the cosignature). */
    public Answer latest(String originHash) {
        if (!originHash.matches("[0-9a-f]{64}")) {
            return Answer.text(404, "no such log");
        }
        for (AuthorityId log : directory.get().witnessing().witnessedBy(me)) {
            String origin = LogOrigin.of(log);
            if (originHash(origin).equals(originHash)) {
                try {
                    Held h = load(origin);
                    if (h != null) {
                        return new Answer(200, "text/plain; charset=utf-8", h.note().getBytes(StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    return Answer.text(500, "the witness cannot read its state");
                }
            }
        }
        return Answer.text(404, "this witness has cosigned no checkpoint of that log");
    }

    /** The path of the monitoring answer for {@code origin}. */
    public static String checkpointPath(String origin) {
        return PREFIX + "/" + originHash(origin) + "/checkpoint";
    }

    private Path file(String origin) {
        return dir.resolve(originHash(origin) + ".checkpoint");
    }

    private Held load(String origin) throws IOException {
        Optional<Held> cached = held.get(origin);
        if (cached != null) {
            return cached.orElse(null);
        }
        Path f = file(origin);
        Held h = null;
        if (Files.exists(f)) {
            String note = Files.readString(f, StandardCharsets.UTF_8);
            Checkpoint c;
            try {
                c = Checkpoint.ofNote(note);
            } catch (IllegalArgumentException e) {
                throw new IOException(f + " is not a checkpoint: " + e.getMessage());
            }
            if (!c.origin().equals(origin)) {
                throw new IOException(f + " holds the checkpoint of another log");
            }
            h = new Held(c.size(), c.rootHash(), note);
        }
        held.put(origin, Optional.ofNullable(h));
        return h;
    }

    private static boolean signedByOneOf(String note, List<String> keys) {
        for (String k : keys) {
            try {
                SignedNote.open(note, k);
                return true;
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // the next key
            }
        }
        return false;
    }

    private Answer refuse(AuthorityId log, AuthorityId submitter, int status, String outcome, String why, Checkpoint cp, Held h) {
        events.outcome(log, outcome);
        if (!budget.refusal(cp.origin(), status)) {
            events.unrecorded(log, "refusal");
            return Answer.text(status, why);
        }
        LOG.warn("witness: refused a checkpoint of {} (size {}) from {}: {} [{}]", log, cp.size(), submitter, why, status);
        AuditEvent e = AuditEvent.of(clock, "witness-refused", submitter == null ? "unknown" : submitter.value(), null, log.value(), "refused",
                status + " " + why).with("size", Long.toString(cp.size())).with("heldSize", h == null ? "0" : Long.toString(h.size()));
        try {
            audit.append(e);
        } catch (RuntimeException failed) {
            LOG.error("cannot audit a witness refusal: {}", failed.getMessage());
        }
        return Answer.text(status, why);
    }

    private void recordFork(AuthorityId log, AuthorityId submitter, Held h, String presented) {
        events.fork(log);
        if (!budget.fork(LogOrigin.of(log), h.size())) {
            events.unrecorded(log, "fork");
            return;
        }
        LOG.error("witness: ALARM the log of {} presented a checkpoint of size {} with another root than the one this witness cosigned"
                + " (a fork: two histories under one valid key); both are recorded in the audit log", log, h.size());
        AuditEvent e = AuditEvent.of(clock, "witness-fork", submitter == null ? "unknown" : submitter.value(), null, log.value(), "alarm",
                "two checkpoints of size " + h.size() + " with different roots, both validly signed")
                .with("cosignedCheckpoint", h.note()).with("presentedCheckpoint", presented);
        try {
            audit.record(e);
        } catch (RuntimeException failed) {
            LOG.error("cannot audit a fork of {}: {}", log, failed.getMessage());
        }
    }

    /** The summary of a budget window of {@code log} that closed with forks or refusals left unrecorded: one entry. */
    private void summarize(AuthorityId log, String origin) {
        WitnessAuditBudget.Unrecorded u = budget.closed(origin);
        if (u == null) {
            return;
        }
        LOG.error("witness: {} further fork(s) and {} refusal(s) of the log of {} between {} and {} were answered and counted, not"
                + " recorded one by one", u.forks(), u.refusals(), log, u.from(), u.to());
        AuditEvent e = AuditEvent.of(clock, "witness-unrecorded", me.value(), null, log.value(), u.forks() > 0 ? "alarm" : "refused",
                u.forks() + " further fork(s) and " + u.refusals() + " refusal(s) answered and counted, not recorded one by one")
                .with("from", u.from().toString()).with("to", u.to().toString()).with("forks", Long.toString(u.forks()))
                .with("refusals", Long.toString(u.refusals()));
        try {
            audit.append(e);
        } catch (RuntimeException failed) {
            LOG.error("cannot audit a witness summary: {}", failed.getMessage());
        }
    }

    private static String printable(String s) {
        return UntrustedText.printable(s.length() > 100 ? s.substring(0, 100) + "…" : s);
    }
}
