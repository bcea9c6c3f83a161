package org.liaison.gateway.witness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.delivery.PeerClient;
import org.liaison.gateway.net.GracefulStop;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.UntrustedText;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.Witnessing;
import org.liaison.protocol.tlog.AddCheckpoint;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.tlog.WitnessPolicy;

/**
 * Gets this node's audit checkpoints cosigned by the witnesses the directory names for its log. At
 * most once per interval it takes the latest checkpoint and submits it to each witness that has not
 * cosigned it yet, with the consistency proof from the size that witness holds (learnt from its 409
 * answer when unknown: the request is then made again once). Cosignatures that verify under the
 * witness's listed key are kept with the checkpoint, durably, in {@code dataDir/audit-cosigned}:
 * {@code latest.note} (the latest checkpoint with the cosignatures it got) and {@code quorum.note}
 * (the latest that met the directory's quorum). Only checkpoints and hashes go to witnesses.
 *
 * <p>A latest checkpoint that lacks its quorum for longer than {@link #ALARM_AFTER} is an alarm (an
 * error log line once, and the metrics {@code liaison_audit_quorum_met} 0 and
 * {@code liaison_audit_quorum_unmet_seconds}).
 */
public final class Submitter implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(Submitter.class);
    public static final String LATEST = "latest.note";
    public static final String QUORUM = "quorum.note";
    /** How long the latest checkpoint may lack its quorum before it is an alarm. */
    public static final Duration ALARM_AFTER = Duration.ofMinutes(2);

    /** Posts an add-checkpoint body to a witness's peer API. */
    public interface Transport {
        PeerClient.Answer post(AuthorityId witness, byte[] body) throws ProtocolException;
    }

    /** What the submitter reports: each submission's outcome, and after each round whether the quorum is met. */
    public interface Events {
        void submitted(AuthorityId witness, String outcome);

        void quorum(boolean met, long unmetSeconds);
    }

    private final Path dir;
    private final AuthorityId me;
    private final AuditLog audit;
    private final Supplier<FederationDirectory> directory;
    private final Transport transport;
    private final Events events;
    private final java.time.Clock clock;
    private final Map<AuthorityId, Long> witnessSizes = new ConcurrentHashMap<>();
    private volatile String latest;
    private volatile String quorumNote;
    private Instant unmetSince;
    private boolean alarmed;
    private final ScheduledExecutorService timer = GracefulStop.scheduler("liaison-witness-submitter");

    public Submitter(Path dir, AuthorityId me, AuditLog audit, Supplier<FederationDirectory> directory, Transport transport, Events events,
            java.time.Clock clock) throws IOException {
        this.dir = dir;
        this.me = me;
        this.audit = audit;
        this.directory = directory;
        this.transport = transport;
        this.events = events;
        this.clock = clock;
        Files.createDirectories(dir);
        latest = read(dir.resolve(LATEST));
        quorumNote = read(dir.resolve(QUORUM));
    }

    private static String read(Path f) throws IOException {
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : null;
    }

    /** Submits every {@code every} (the first round at once). */
    public void start(Duration every) {
        timer.scheduleWithFixedDelay(() -> {
            try {
                round();
            } catch (RuntimeException e) {
                LOG.warn("witness submission round failed: {}", e.toString());
            }
        }, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The latest checkpoint with the cosignatures it got (null before any). */
    public String latest() {
        return latest;
    }

    /** The latest checkpoint that met the quorum (null before any). */
    public String latestWithQuorum() {
        return quorumNote;
    }

    /** One round: the latest checkpoint to each witness that has not cosigned it. Returns the quorum check of the result. */
    public synchronized Optional<WitnessPolicy.Result> round() {
        String note = audit.checkpoint();
        FederationDirectory d = directory.get();
        Optional<Witnessing.Log> log = d.witnessing().of(me);
        if (note == null || log.isEmpty()) {
            return Optional.empty();
        }
        Checkpoint cp = Checkpoint.ofNote(note);
        String current = latest != null && Cosignature.body(latest).equals(Cosignature.body(note)) ? latest : note;
        for (AuthorityId w : log.get().witnesses()) {
            List<Cosignature.WitnessKey> keys = d.witnessing().keysOf(w);
            String sofar = current;
            if (keys.stream().anyMatch(k -> Cosignature.verify(sofar, k).isPresent())) {
                continue;
            }
            Optional<String> line = submit(w, keys, cp, note);
            if (line.isPresent()) {
                current = Cosignature.withSignatures(current, List.of(line.get()));
            }
        }
        WitnessPolicy.Result result = d.witnessing().policy(me).check(current);
        try {
            if (!current.equals(latest)) {
                SecureFiles.writeAtomically(dir.resolve(LATEST), current.getBytes(StandardCharsets.UTF_8), false);
                latest = current;
            }
            if (result.satisfied() && !current.equals(quorumNote)) {
                SecureFiles.writeAtomically(dir.resolve(QUORUM), current.getBytes(StandardCharsets.UTF_8), false);
                quorumNote = current;
            }
        } catch (IOException e) {
            LOG.error("cannot store the cosigned checkpoint: {}", e.getMessage());
        }
        quorumState(result);
        return Optional.of(result);
    }

    private void quorumState(WitnessPolicy.Result result) {
        Instant now = clock.instant();
        if (result.satisfied()) {
            if (alarmed) {
                LOG.info("the audit log's latest checkpoint has its witnesses' quorum again: {}", result);
            }
            unmetSince = null;
            alarmed = false;
            events.quorum(true, 0);
            return;
        }
        if (unmetSince == null) {
            unmetSince = now;
        }
        long unmet = Duration.between(unmetSince, now).toSeconds();
        if (!alarmed && unmet >= ALARM_AFTER.toSeconds()) {
            alarmed = true;
            LOG.error("ALARM the audit log's checkpoints have lacked their witnesses' quorum for {} s: {}. Peers and auditors will"
                    + " report them as unwitnessed; check that the witnesses are up and what they answer (liaison_witness_submissions_total)",
                    unmet, result);
        }
        events.quorum(false, unmet);
    }

    /** Submits {@code note} to witness {@code w}; the cosignature line if it gave one that verifies. */
    private Optional<String> submit(AuthorityId w, List<Cosignature.WitnessKey> keys, Checkpoint cp, String note) {
        long old = witnessSizes.getOrDefault(w, 0L);
        for (int attempt = 0; attempt < 2; attempt++) {
            if (old > cp.size()) {
                LOG.error("witness {} holds size {} of this node's audit log, beyond its latest checkpoint ({}): was the log rolled back?",
                        w, old, cp.size());
                events.submitted(w, "ahead");
                return Optional.empty();
            }
            List<byte[]> proof;
            try {
                proof = old == 0 || old == cp.size() ? List.of() : audit.tree()
                        .orElseThrow(() -> new IllegalStateException("the audit log keeps no Merkle tree")).consistencyProof(old, cp.size());
            } catch (RuntimeException e) {
                LOG.warn("no consistency proof from {} to {} for witness {}: {}", old, cp.size(), w, e.getMessage());
                events.submitted(w, "no-proof");
                return Optional.empty();
            }
            PeerClient.Answer a;
            try {
                a = transport.post(w, new AddCheckpoint(old, proof, note).encode());
            } catch (ProtocolException e) {
                LOG.debug("witness {} unreachable: {}", w, e.getMessage());
                events.submitted(w, "unreachable");
                return Optional.empty();
            }
            String body = new String(a.body(), StandardCharsets.UTF_8);
            if (a.status() == 200) {
                List<String> lines = new ArrayList<>();
                for (String l : body.split("\n")) {
                    if (l.startsWith("— ")) {
                        lines.add(l + "\n");
                    }
                }
                for (String l : lines) {
                    String one = Cosignature.withSignatures(note, List.of(l));
                    if (keys.stream().anyMatch(k -> Cosignature.verify(one, k).isPresent())) {
                        witnessSizes.put(w, cp.size());
                        events.submitted(w, "cosigned");
                        return Optional.of(l);
                    }
                }
                LOG.warn("witness {} answered without a cosignature under the key the directory lists for it", w);
                events.submitted(w, "bad-cosignature");
                return Optional.empty();
            }
            if (a.status() == 409 && a.contentType() != null && a.contentType().startsWith(AddCheckpoint.SIZE_TYPE)) {
                try {
                    old = Long.parseLong(body.strip());
                } catch (NumberFormatException e) {
                    events.submitted(w, "malformed");
                    return Optional.empty();
                }
                witnessSizes.put(w, old);
                continue; // once more, from the size the witness holds
            }
            LOG.warn("witness {} refused checkpoint {} of this node's audit log: {} {}", w, cp.size(), a.status(),
                    UntrustedText.printable(body.strip()));
            events.submitted(w, "refused-" + a.status());
            return Optional.empty();
        }
        events.submitted(w, "conflict");
        return Optional.empty();
    }

    @Override
    public void close() {
        GracefulStop.stop(timer, "witness submitter"); // a submission in flight is kept before the node closes
    }
}
