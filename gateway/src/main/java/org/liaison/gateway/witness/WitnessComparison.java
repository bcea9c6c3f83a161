package org.liaison.gateway.witness;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.tlog.SignedNote;

/**
 * An auditor's check of a copy of a log against what its witnesses cosigned (their monitoring
 * answers): for each witness checkpoint, signed by a log key the directory lists and cosigned by
 * that witness's listed key, the copy's root at the same size must be the same. A different root is
 * a split view: the log showed the witness another history than the copy.
 */
public final class WitnessComparison {
    public enum Verdict {
        /** The witness cosigned a size of this copy with the same root. */
        CONSISTENT,
        /** The witness cosigned a checkpoint of a size this copy holds, with another root: two histories. */
        CONFLICT,
        /** The witness cosigned a larger size than the copy holds: consistent as far as the copy can tell (pull a newer copy). */
        AHEAD,
        /** The witness's answer carries no valid log signature or no valid cosignature by the witness: proves nothing. */
        UNVERIFIED
    }

    public record Finding(AuthorityId witness, long size, Verdict verdict, String detail) {}

    private WitnessComparison() {}

    /**
     * @param size the copy's size
     * @param rootAt the copy's root at any size up to {@code size}
     * @param witnessNotes each witness's latest cosigned checkpoint of the log
     */
    public static List<Finding> compare(AuthorityId log, FederationDirectory d, long size, LongFunction<byte[]> rootAt,
            Map<AuthorityId, String> witnessNotes) {
        List<String> logKeys = d.authority(log).map(FederationDirectory.Entry::auditLogKeys).orElse(List.of());
        List<Finding> out = new ArrayList<>();
        witnessNotes.forEach((w, note) -> {
            Checkpoint cp;
            try {
                cp = Checkpoint.ofNote(note);
            } catch (IllegalArgumentException e) {
                out.add(new Finding(w, -1, Verdict.UNVERIFIED, "not a checkpoint"));
                return;
            }
            boolean logSigned = logKeys.stream().anyMatch(k -> {
                try {
                    SignedNote.open(note, k);
                    return true;
                } catch (GeneralSecurityException | IllegalArgumentException e) {
                    return false;
                }
            });
            boolean cosigned = d.witnessing().keysOf(w).stream().anyMatch(k -> Cosignature.verify(note, k).isPresent());
            if (!logSigned || !cosigned) {
                out.add(new Finding(w, cp.size(), Verdict.UNVERIFIED, !logSigned ? "no valid signature by a listed log key"
                        : "no valid cosignature by " + w + "'s listed witness key"));
                return;
            }
            if (cp.size() > size) {
                out.add(new Finding(w, cp.size(), Verdict.AHEAD, "the witness cosigned size " + cp.size() + "; this copy ends at " + size));
            } else if (MessageDigest.isEqual(rootAt.apply(cp.size()), cp.rootHash())) {
                out.add(new Finding(w, cp.size(), Verdict.CONSISTENT, "same root at size " + cp.size()));
            } else {
                out.add(new Finding(w, cp.size(), Verdict.CONFLICT, "the witness cosigned another root at size " + cp.size()
                        + ": the log showed it another history than this copy (a split view)"));
            }
        });
        return out;
    }
}
