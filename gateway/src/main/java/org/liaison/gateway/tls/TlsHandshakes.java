package org.liaison.gateway.tls;

import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.net.Workers;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.directory.Trust;

/**
 * Completed TLS handshakes, on the peer API (inbound), in delivery (outbound) and on the local API: which
 * key-exchange group each negotiated goes into a {@code tls-handshake} audit entry and the metric
 * {@code liaison_tls_handshakes_total{api,group}}; and the no-downgrade rule of hybrid TLS ({@link HybridTls}):
 * between two gateways whose directory entries both announce X25519MLKEM768, a handshake that negotiated
 * anything else is refused (LIAISON:0046) before a byte of the connection is used.
 *
 * <p>Whether this node announces the group is read from the directory in force at each connection, so
 * that a directory edit takes effect on the next connection, without a restart. Entries are appended on
 * a thread of their own, without an fsync (they acknowledge nothing; the next durable entry covers them).
 */
public final class TlsHandshakes implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(TlsHandshakes.class);
    public static final String PEER_API = "peer API";
    public static final String DELIVERY = "delivery";
    public static final String LOCAL_API = "local API";

    /** What a handshake's group means under the rule: a refusal names why. */
    public record Outcome(String group, String refusal) {
        public boolean refused() {
            return refusal != null;
        }
    }

    /** A metric of handshakes by API and group (and outcome: ok or refused). */
    public interface Counter {
        void count(String api, String group, String outcome);
    }

    private final AuthorityId me;
    private final Supplier<Trust> trust;
    private final AuditLog audit;
    private final Counter count;
    private final Clock clock;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "liaison-tls-handshakes");
        t.setDaemon(true);
        return t;
    });

    public TlsHandshakes(AuthorityId me, Supplier<Trust> trust, AuditLog audit, Counter count) {
        this(me, trust, audit, count, Clock.systemUTC());
    }

    /** As above; {@code clock}: the node's, for the times of the audit entries. */
    public TlsHandshakes(AuthorityId me, Supplier<Trust> trust, AuditLog audit, Counter count, Clock clock) {
        this.clock = clock;
        this.me = me;
        this.trust = trust;
        this.audit = audit;
        this.count = count;
    }

    /** Whether this node's entry in the directory in force announces hybrid TLS. */
    public boolean hybridHere() {
        return HybridTls.announces(trust.get().directory(), me);
    }

    /** Sets the groups of a new peer-API or delivery connection's engine (BoringSSL's) from the directory in force. */
    public void offer(SSLEngine engine) {
        HybridTls.offer(engine, hybridHere());
    }

    /**
     * A handshake on {@code api} with the gateway of {@code peer} completed on {@code engine}: checks the
     * no-downgrade rule, audits and counts it. {@code from}: the remote host (inbound) or endpoint (outbound).
     */
    public Outcome peer(String api, AuthorityId peer, SSLEngine engine, String from) {
        String group = HybridTls.group(engine);
        String refusal = null;
        if (!HybridTls.isHybrid(group) && hybridHere() && HybridTls.announces(trust.get().directory(), peer)) {
            refusal = ErrorCode.TLS_DOWNGRADE_REFUSED.code() + " the TLS handshake with " + peer + " negotiated " + group
                    + ", but both " + me + " and " + peer + " announce " + HybridTls.X25519MLKEM768
                    + " in the directory: a classical-only handshake between them is refused (no downgrade)";
        }
        record(api, peer.value(), peer.value(), group, from, refusal);
        return new Outcome(group, refusal);
    }

    /** A handshake on the local API completed on {@code engine} for the person {@code actor}: audits and counts it. */
    public String local(String actor, SSLEngine engine, String from) {
        String group = HybridTls.group(engine);
        record(LOCAL_API, actor, null, group, from, null);
        return group;
    }

    private void record(String api, String actor, String counterpart, String group, String from, String refusal) {
        String outcome = refusal == null ? "ok" : "refused";
        count.count(api, group, outcome);
        AuditEvent e = AuditEvent.of(clock, "tls-handshake", actor, null, counterpart, outcome,
                api + ": " + (refusal == null ? "key exchange " + group : refusal)).with("group", group)
                .with("from", from == null ? "unknown" : from);
        Workers.quietly(writer, () -> audit.append(e), "audit a TLS handshake");
        if (refusal != null) {
            LOG.warn("{}: refused {} at {}: {}", api, actor, from, refusal);
        }
    }

    /** Waits (a few seconds at most) until every entry is appended. */
    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
