package org.liaison.protocol.tlog;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A k-of-n witness policy for one log (C2SP tlog-policy, the simplest quorum: one group of k of the
 * listed witnesses): a checkpoint counts when it carries valid cosignatures of at least {@code quorum}
 * distinct witnesses. A witness may list two keys (during a key change); it counts once.
 * {@code quorum == 0} is "quorum none": no cosignature is required.
 */
public record WitnessPolicy(List<Witness> witnesses, int quorum) {
    /** One witness: a label (the authority whose node witnesses) and its cosigning keys. */
    public record Witness(String label, List<Cosignature.WitnessKey> keys) {
        public Witness {
            Objects.requireNonNull(label, "label");
            keys = List.copyOf(keys);
        }
    }

    public WitnessPolicy {
        witnesses = List.copyOf(witnesses);
        if (quorum < 0 || quorum > witnesses.size()) {
            throw new IllegalArgumentException("quorum " + quorum + " of " + witnesses.size() + " witnesses");
        }
    }

    /** What a check of a note found: the witnesses whose cosignature verified, and whether they make the quorum. */
    public record Result(List<String> cosignedBy, int quorum, int of) {
        public boolean satisfied() {
            return cosignedBy.size() >= quorum;
        }

        @Override
        public String toString() {
            return cosignedBy.size() + " of " + of + " witnesses cosigned " + cosignedBy + ", quorum " + quorum
                    + (satisfied() ? ": met" : ": NOT met");
        }
    }

    /** Checks the cosignatures of {@code note} (whose log signature the caller has checked). */
    public Result check(String note) {
        List<String> by = new ArrayList<>();
        for (Witness w : witnesses) {
            for (Cosignature.WitnessKey k : w.keys()) {
                if (Cosignature.verify(note, k).isPresent()) {
                    by.add(w.label());
                    break;
                }
            }
        }
        return new Result(by, quorum, witnesses.size());
    }

    /**
     * The policy as a C2SP tlog-policy file for a log verified by {@code logKeys} (its signed-note
     * verifier keys): one witness line per key, a group per witness with two keys, one group of the quorum.
     */
    public String policyText(List<String> logKeys) {
        StringBuilder b = new StringBuilder();
        logKeys.forEach(k -> b.append("log ").append(k).append('\n'));
        if (quorum == 0 || witnesses.isEmpty()) {
            return b.append("quorum none\n").toString();
        }
        List<String> members = new ArrayList<>();
        for (Witness w : witnesses) {
            String base = w.label().replaceAll("[^A-Za-z0-9._-]", "_");
            if (w.keys().size() == 1) {
                b.append("witness ").append(base).append(' ').append(w.keys().get(0).vkey()).append('\n');
            } else {
                List<String> ks = new ArrayList<>();
                for (int i = 0; i < w.keys().size(); i++) {
                    b.append("witness ").append(base).append('-').append(i + 1).append(' ').append(w.keys().get(i).vkey()).append('\n');
                    ks.add(base + "-" + (i + 1));
                }
                b.append("group ").append(base).append(" any ").append(String.join(" ", ks)).append('\n');
            }
            members.add(base);
        }
        b.append("group quorum ").append(quorum).append(' ').append(String.join(" ", members)).append('\n');
        return b.append("quorum quorum\n").toString();
    }
}
