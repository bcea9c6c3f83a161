package org.liaison.gateway.witness;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.gateway.audit.LogOrigin;
import org.liaison.gateway.delivery.PeerClient;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Cosignature;

/** How the node wires its witness and its submitter: metrics, the peer client, the directory. */
public final class WitnessWiring {
    private static final Logger LOG = LogManager.getLogger(WitnessWiring.class);
    /** How often the node submits its latest checkpoint to its witnesses (when it changed). */
    public static final Duration EVERY = Duration.ofSeconds(3);

    private WitnessWiring() {}

    public static Witness.Events witnessEvents(NodeMetrics metrics) {
        return new Witness.Events() {
            @Override
            public void outcome(AuthorityId log, String outcome) {
                metrics.witnessRequest(log.value(), outcome);
            }

            @Override
            public void fork(AuthorityId log) {
                metrics.witnessFork(log.value());
            }

            @Override
            public void unrecorded(AuthorityId log, String what) {
                metrics.witnessUnrecorded(log.value(), what);
            }
        };
    }

    public static Submitter.Events submitterEvents(NodeMetrics metrics) {
        return new Submitter.Events() {
            @Override
            public void submitted(AuthorityId witness, String outcome) {
                metrics.witnessSubmission(witness.value(), outcome);
            }

            @Override
            public void quorum(boolean met, long unmetSeconds) {
                metrics.auditQuorum(met, unmetSeconds);
            }
        };
    }

    /** Posts to the witness at each endpoint the directory lists for it in turn, until one answers. */
    public static PeerClient.Answer post(PeerClient client, FederationDirectory d, AuthorityId witness, byte[] body)
            throws ProtocolException {
        List<String> endpoints = d.require(witness).endpoints();
        ProtocolException last = null;
        for (String e : endpoints) {
            try {
                return client.postForAnswer(witness, URI.create(e), Witness.ADD_CHECKPOINT, "text/plain; charset=utf-8", body);
            } catch (ProtocolException failed) {
                last = failed;
            }
        }
        throw last != null ? last : new ProtocolException(ErrorCode.UNAVAILABLE, witness + " lists no endpoint");
    }

    /** The latest checkpoint of {@code log} that {@code witness} cosigned (GET of its monitoring path). */
    public static String latest(PeerClient client, FederationDirectory d, AuthorityId witness, AuthorityId log) throws ProtocolException {
        ProtocolException last = null;
        for (String e : d.require(witness).endpoints()) {
            try {
                return new String(client.get(witness, URI.create(e), Witness.checkpointPath(
                        LogOrigin.of(log))), java.nio.charset.StandardCharsets.UTF_8);
            } catch (ProtocolException failed) {
                last = failed;
            }
        }
        throw last != null ? last : new ProtocolException(ErrorCode.UNAVAILABLE, witness + " lists no endpoint");
    }

    /**
     * One line on the latest cosigned checkpoint in {@code cosignedDir} ({@link Submitter#LATEST}) against the
     * directory's policy, for the demo: its size and who cosigned it.
     */
    public static String describe(FederationDirectory d, java.nio.file.Path cosignedDir, AuthorityId log) {
        try {
            java.nio.file.Path f = cosignedDir.resolve(Submitter.LATEST);
            if (!java.nio.file.Files.exists(f)) {
                return "no cosigned checkpoint yet";
            }
            String note = java.nio.file.Files.readString(f);
            return "checkpoint of size " + Checkpoint.ofNote(note).size() + ": "
                    + d.witnessing().policy(log).check(note);
        } catch (java.io.IOException | RuntimeException e) {
            return "cannot read the cosigned checkpoint: " + e.getMessage();
        }
    }

    /** Warns when the directory lists witness keys for this authority and not this node's. */
    public static void checkListed(FederationDirectory d, AuthorityId me, Cosignature.WitnessKey mine) {
        List<Cosignature.WitnessKey> listed = d.witnessing().keysOf(me);
        if (!d.witnessing().witnessedBy(me).isEmpty() && !listed.contains(mine)) {
            LOG.warn("directory #{} names {} as a witness but does not list this node's witness key {}: its cosignatures will not count."
                    + " List it with 'liaison directory edit --add witness=…'", d.sequence(), me, mine.vkey());
        }
    }
}
