package org.liaison.protocol.directory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.model.Authority;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.tlog.WitnessPolicy;

/**
 * Who witnesses whose audit log, as the signed directory says: each authority's witness keys (the
 * keys its node cosigns with) and, per log, the authorities that witness it and the quorum (k of n).
 * A directory of an earlier edition lists none: then no log is witnessed and no quorum is demanded.
 */
public final class Witnessing {
    /** The witnesses of one authority's log and how many of them must cosign. */
    public record Log(AuthorityId log, int quorum, List<AuthorityId> witnesses) {
        public Log {
            witnesses = List.copyOf(witnesses);
        }
    }

    private final Map<AuthorityId, List<Cosignature.WitnessKey>> keys;
    private final Map<AuthorityId, Log> logs;

    private Witnessing(Map<AuthorityId, List<Cosignature.WitnessKey>> keys, Map<AuthorityId, Log> logs) {
        this.keys = Collections.unmodifiableMap(keys);
        this.logs = Collections.unmodifiableMap(logs);
    }

    static final Witnessing NONE = new Witnessing(Map.of(), Map.of());

    /** Reads and checks the directory's witness keys and policies; an inconsistent one is SCHEMA_INVALID. */
    static Witnessing read(Directory d, Set<AuthorityId> listed) throws ProtocolException {
        Map<AuthorityId, List<Cosignature.WitnessKey>> keys = new LinkedHashMap<>();
        Map<String, AuthorityId> seen = new LinkedHashMap<>();
        for (Authority a : d.getAuthority()) {
            AuthorityId id = AuthorityId.of(a.getId());
            List<Cosignature.WitnessKey> ks = new ArrayList<>();
            for (String vkey : a.getWitnessKey()) {
                Cosignature.WitnessKey k;
                try {
                    k = Cosignature.WitnessKey.parse(vkey);
                } catch (IllegalArgumentException e) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "authority " + id + " lists a witness key that cannot be read: "
                            + e.getMessage());
                }
                String raw = java.util.HexFormat.of().formatHex(k.publicKey());
                AuthorityId other = seen.putIfAbsent(raw, id);
                if (other != null) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "authorities " + other + " and " + id
                            + " list the same witness key: each witness needs a key of its own");
                }
                ks.add(k);
            }
            if (!ks.isEmpty()) {
                keys.put(id, List.copyOf(ks));
            }
        }
        Map<AuthorityId, Log> logs = new LinkedHashMap<>();
        for (Authority a : d.getAuthority()) {
            if (a.getWitnesses() == null) {
                continue;
            }
            AuthorityId id = AuthorityId.of(a.getId());
            List<AuthorityId> ws = new ArrayList<>();
            for (String w : a.getWitnesses().getWitness()) {
                AuthorityId wid;
                try {
                    wid = AuthorityId.of(w);
                } catch (IllegalArgumentException e) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, e.getMessage());
                }
                if (!listed.contains(wid)) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the witnesses of " + id + " name unknown authority " + wid);
                }
                if (wid.equals(id)) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, id + " cannot witness its own log");
                }
                if (ws.contains(wid)) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the witnesses of " + id + " list " + wid + " twice");
                }
                if (!keys.containsKey(wid)) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "witness " + wid + " of " + id + " lists no witness key");
                }
                ws.add(wid);
            }
            int quorum = a.getWitnesses().getQuorum();
            if (quorum > ws.size()) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the quorum of " + id + "'s witnesses is " + quorum + " of "
                        + ws.size() + ": it could never be met");
            }
            logs.put(id, new Log(id, quorum, ws));
        }
        return new Witnessing(keys, logs);
    }

    /**
     * The smallest quorum of {@code witnesses} under which two conflicting checkpoints cannot both be
     * cosigned while at least one witness in every quorum is honest: a strict majority (any two
     * majorities share a witness, which refuses the second history). 1 of 1, 2 of 2, 2 of 3, 3 of 4.
     */
    public static int majority(int witnesses) {
        return witnesses == 0 ? 0 : witnesses / 2 + 1;
    }

    /** The keys {@code id}'s node cosigns with (empty: it is no witness). */
    public List<Cosignature.WitnessKey> keysOf(AuthorityId id) {
        return keys.getOrDefault(id, List.of());
    }

    /** The witnesses and quorum of {@code log}'s audit log, if the directory lists them. */
    public Optional<Log> of(AuthorityId log) {
        return Optional.ofNullable(logs.get(log));
    }

    /** The logs {@code witness} witnesses. */
    public List<AuthorityId> witnessedBy(AuthorityId witness) {
        return logs.values().stream().filter(l -> l.witnesses().contains(witness)).map(Log::log).toList();
    }

    /** The policy a checkpoint of {@code log} is checked against: its witnesses' keys and the quorum ("quorum none" when unlisted). */
    public WitnessPolicy policy(AuthorityId log) {
        Log l = logs.get(log);
        if (l == null) {
            return new WitnessPolicy(List.of(), 0);
        }
        return new WitnessPolicy(l.witnesses().stream().map(w -> new WitnessPolicy.Witness(w.value(), keysOf(w))).toList(), l.quorum());
    }
}
