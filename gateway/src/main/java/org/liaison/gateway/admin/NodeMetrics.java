package org.liaison.gateway.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.liaison.gateway.store.MessageStore;

/**
 * The node's metrics (Micrometer, scraped in the Prometheus text format on the admin port):
 * messages received and refused, delivery attempts by outcome, delivery latency, TLS
 * failures, deliveries by state and the store's size. No metric carries a message id, a case or
 * anything from an envelope.
 */
public final class NodeMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter received;
    private final Counter tlsFailures;
    private final Timer deliveryLatency;
    private final Counter payloadBytesReceived;
    private final Counter transfersResumed;
    /** Run at each scrape before the gauges are read (reads a gauge family shares). */
    private final List<Runnable> beforeScrape = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The deliveries by state as the last scrape read them; null: not read, or the read failed. */
    private volatile Map<MessageStore.State, Long> byState;

    public NodeMetrics() {
        received = Counter.builder("liaison.messages.received").description("Messages received and receipted").register(registry);
        tlsFailures = Counter.builder("liaison.tls.failures").description("Peers refused in the TLS handshake").register(registry);
        deliveryLatency = Timer.builder("liaison.delivery.latency").description("From submission to a verified receipt")
                .publishPercentiles(0.5, 0.9).register(registry);
        payloadBytesReceived = Counter.builder("liaison.payload.received").baseUnit("bytes")
                .description("Payload ciphertext received from peers (a transfer resumed after a break counts only what was resent)")
                .register(registry);
        transfersResumed = Counter.builder("liaison.transfers.resumed").description("Received transfers resumed after a break")
                .register(registry);
    }

    /**
     * The evidence alarms, read when scraped: evidences that could not be issued, seconds without trusted
     * time (0 when every checkpoint is stamped or no TSA is configured) and failed TSA requests.
     */
    public void bindEvidence(java.util.function.LongSupplier failures, java.util.function.DoubleSupplier secondsWithout,
            java.util.function.LongSupplier tsaFailures) {
        io.micrometer.core.instrument.FunctionCounter.builder("liaison.evidence.failures", failures, s -> s.getAsLong())
                .description("Evidences that could not be issued (the act stands; see the log)").register(registry);
        Gauge.builder("liaison.trusted.time.seconds.without", secondsWithout, s -> s.getAsDouble())
                .description("Seconds since the oldest audit checkpoint still without an RFC 3161 token (alarm above timestamping.every)")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("liaison.tsa.failures", tsaFailures, s -> s.getAsLong())
                .description("Requests to the time-stamping authority that failed").register(registry);
    }

    /** Payload bytes a peer client put on the wire, read when scraped. */
    public void bindPayloadSent(java.util.function.LongSupplier sent) {
        io.micrometer.core.instrument.FunctionCounter.builder("liaison.payload.sent", sent, s -> s.getAsLong()).baseUnit("bytes")
                .description("Payload ciphertext sent to peers (a resumed delivery counts only what was resent)").register(registry);
    }

    public void payloadBytesReceived(long n) {
        payloadBytesReceived.increment(n);
    }

    /** Payload bytes received so far (tests and benchmarks compare it with what was sent). */
    public long payloadBytesReceived() {
        return (long) payloadBytesReceived.count();
    }

    public void transferResumed() {
        transfersResumed.increment();
    }

    /** Gauges that read the store when scraped. */
    public void bindStore(Supplier<Map<MessageStore.State, Long>> deliveriesByState, Path database) {
        bindStore(deliveriesByState, () -> size(database) + size(Path.of(database + "-wal")));
    }

    /**
     * As above, with the store's size in bytes from {@code bytes} (a PostgreSQL database's, say). The deliveries by state
     * are read once per scrape, before the gauges are (not once per state); NaN when they cannot be read.
     */
    public void bindStore(Supplier<Map<MessageStore.State, Long>> deliveriesByState, java.util.function.DoubleSupplier bytes) {
        beforeScrape.add(() -> {
            try {
                byState = deliveriesByState.get();
            } catch (RuntimeException e) {
                byState = null;
            }
        });
        for (MessageStore.State s : MessageStore.State.values()) {
            Gauge.builder("liaison.deliveries", () -> {
                Map<MessageStore.State, Long> m = byState;
                return m == null ? Double.NaN : m.getOrDefault(s, 0L);
            }).tag("state", s.id()).description("Deliveries by state").register(registry);
        }
        Gauge.builder("liaison.store.bytes", bytes::getAsDouble)
                .description("Size of the message database").baseUnit("bytes").register(registry);
    }

    /**
     * Gauges of what expires, read when scraped: seconds until each of the node's certificates
     * ({@code purpose}: tls, signing, encryption, national-ca, operator-ca) and the directory expire,
     * each CRL's age and seconds to its next update (by issuer), and the data folder's free disk.
     * Negative seconds: expired. Alert rules on them are in deploy/prometheus/alerts.yml.
     */
    public void bindValidity(Supplier<? extends List<? extends Dated>> certificates,
            Supplier<? extends List<? extends Dated>> crls, Supplier<? extends Dated> directory, Path dataDir, java.time.Clock clock) {
        for (String purpose : List.of("tls", "signing", "encryption", "national-ca", "operator-ca")) {
            Gauge.builder("liaison.certificate.expiry", () -> secondsLeft(certificates.get(), purpose, null, clock))
                    .tag("purpose", purpose).baseUnit("seconds")
                    .description("Seconds until the certificate expires (the earliest, when several serve the purpose)")
                    .register(registry);
        }
        for (Dated crl : crls.get()) {
            String issuer = crl.subject();
            Gauge.builder("liaison.crl.next.update", () -> secondsLeft(crls.get(), "crl", issuer, clock)).tag("issuer", issuer)
                    .baseUnit("seconds").description("Seconds until the CRL's next update; below zero the node refuses what its CA issued")
                    .register(registry);
            Gauge.builder("liaison.crl.age", () -> crls.get().stream().filter(c -> c.subject().equals(issuer))
                    .mapToDouble(c -> java.time.Duration.between(c.from(), clock.instant()).toSeconds()).max().orElse(Double.NaN))
                    .tag("issuer", issuer).baseUnit("seconds").description("Seconds since the CRL was issued").register(registry);
        }
        Gauge.builder("liaison.directory.next.update", () -> java.time.Duration.between(clock.instant(),
                directory.get().until()).toSeconds()).baseUnit("seconds").description("Seconds until the directory's next update")
                .register(registry);
        Gauge.builder("liaison.disk.free", () -> {
            try {
                return Files.getFileStore(dataDir).getUsableSpace();
            } catch (java.io.IOException e) {
                return Double.NaN;
            }
        }).baseUnit("bytes").description("Free disk in the data folder").register(registry);
    }

    /** Unfinished received transfers staged for a resume (how many, and their bytes), read when scraped. */
    public void bindStagedTransfers(Supplier<long[]> countAndBytes) {
        Gauge.builder("liaison.transfers.staged", () -> (double) countAndBytes.get()[0])
                .description("Received transfers staged unfinished, waiting for a resume").register(registry);
        Gauge.builder("liaison.transfers.staged.bytes", () -> (double) countAndBytes.get()[1]).baseUnit("bytes")
                .description("Bytes of received transfers staged unfinished").register(registry);
    }

    /** A staged transfer dropped unfinished: {@code why} is {@code budget} (its peer staged too many) or {@code abandoned}. */
    public void transferDropped(String why) {
        Counter.builder("liaison.transfers.dropped").tag("reason", why)
                .description("Staged received transfers dropped unfinished").register(registry).increment();
    }

    /** Requests received here past their RespondBy with no reply sealed here yet (and sent ones), read when scraped. */
    public void bindOverdue(java.util.function.DoubleSupplier received, java.util.function.DoubleSupplier sent) {
        Gauge.builder("liaison.requests.overdue", received::getAsDouble).tag("side", "received")
                .description("Requests past their respond-by date: received here with no reply sealed yet, or sent from here with"
                        + " no reply received").register(registry);
        Gauge.builder("liaison.requests.overdue", sent::getAsDouble).tag("side", "sent")
                .description("Requests past their respond-by date: received here with no reply sealed yet, or sent from here with"
                        + " no reply received").register(registry);
    }

    /** Something valid from {@code from()} until {@code until()}; {@code name()} says what (tls, crl, directory, ...). */
    public interface Dated {
        String name();

        String subject();

        java.time.Instant from();

        java.time.Instant until();
    }

    private static double secondsLeft(List<? extends Dated> all, String name, String subject, java.time.Clock clock) {
        return all.stream().filter(d -> d.name().equals(name) && (subject == null || d.subject().equals(subject)))
                .mapToDouble(d -> java.time.Duration.between(clock.instant(), d.until()).toSeconds()).min().orElse(Double.NaN);
    }

    private static double size(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    public void received() {
        received.increment();
    }

    public void refused(String code) {
        Counter.builder("liaison.messages.refused").tag("code", code).description("Messages refused, by error code")
                .register(registry).increment();
    }

    public void deliveryAttempt(String outcome) {
        Counter.builder("liaison.delivery.attempts").tag("outcome", outcome).description("Delivery attempts, by outcome")
                .register(registry).increment();
    }

    public void delivered(Duration sinceSubmission) {
        deliveryLatency.record(sinceSubmission);
    }

    /** A peer presented an audit checkpoint inconsistent with the one held: an alarm. */
    public void peerLogAlarm(String peer) {
        Counter.builder("liaison.audit.peer.alarms").tag("peer", peer)
                .description("Peer audit checkpoints that were badly signed or inconsistent with the one held").register(registry).increment();
    }

    private final java.util.concurrent.atomic.AtomicLong quorumMet = new java.util.concurrent.atomic.AtomicLong(1);
    private final java.util.concurrent.atomic.AtomicLong quorumUnmetSeconds = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean quorumBound = new java.util.concurrent.atomic.AtomicBoolean();

    /** An add-checkpoint request this node answered as a witness, by log and outcome (cosigned, conflict, bad-proof, fork, …). */
    public void witnessRequest(String log, String outcome) {
        Counter.builder("liaison.witness.requests").tag("log", log).tag("outcome", outcome)
                .description("Checkpoints submitted to this node as a witness, by outcome").register(registry).increment();
    }

    /** A log showed this witness two checkpoints of one size with different roots: an alarm. */
    public void witnessFork(String log) {
        Counter.builder("liaison.witness.forks").tag("log", log)
                .description("Forks seen as a witness: validly signed checkpoints of one size with different roots").register(registry).increment();
    }

    /** A fork or refusal this node answered as a witness and counted without recording it in full (its audit budget spent). */
    public void witnessUnrecorded(String log, String what) {
        Counter.builder("liaison.witness.unrecorded").tag("log", log).tag("what", what)
                .description("Forks and refusals answered as a witness but not recorded one by one in the audit log").register(registry)
                .increment();
    }

    /** A submission of this node's checkpoint to one of its witnesses, by outcome. */
    public void witnessSubmission(String witness, String outcome) {
        Counter.builder("liaison.witness.submissions").tag("witness", witness).tag("outcome", outcome)
                .description("This node's checkpoints submitted to its witnesses, by outcome").register(registry).increment();
    }

    /** Whether the audit log's latest checkpoint has its witnesses' quorum, and for how long it has lacked it. */
    public void auditQuorum(boolean met, long unmetSeconds) {
        if (quorumBound.compareAndSet(false, true)) {
            Gauge.builder("liaison.audit.quorum.met", quorumMet, java.util.concurrent.atomic.AtomicLong::get)
                    .description("1 when the audit log's latest checkpoint has its witnesses' quorum").register(registry);
            Gauge.builder("liaison.audit.quorum.unmet", quorumUnmetSeconds, java.util.concurrent.atomic.AtomicLong::get).baseUnit("seconds")
                    .description("How long the audit log's latest checkpoints have lacked their quorum").register(registry);
        }
        quorumMet.set(met ? 1 : 0);
        quorumUnmetSeconds.set(unmetSeconds);
    }

    /** The outcome of checking a peer's audit checkpoint: first, consistent, older, alarm, unreachable. */
    public void peerLogCheck(String peer, String outcome) {
        Counter.builder("liaison.audit.peer.checks").tag("peer", peer).tag("outcome", outcome)
                .description("Checks of peers' audit checkpoints, by outcome").register(registry).increment();
    }

    private final java.util.Set<java.util.UUID> corrupt = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Stored evidence that no longer reads as stored (a changed envelope, a corrupt or missing
     * payload), counted once per message however often it is listed or fetched.
     *
     * @return whether this message was not counted before (the caller logs the incident then)
     */
    public boolean storedDataFailure(java.util.UUID messageId) {
        if (corrupt.size() >= 100_000 || !corrupt.add(messageId)) {
            return false;
        }
        Counter.builder("liaison.store.corrupt").description("Stored messages found unreadable or not matching their digests")
                .register(registry).increment();
        return true;
    }

    /** A payload folder no message referred to was removed (see {@code Outbox.removeOrphans}). */
    public void orphanRemoved() {
        Counter.builder("liaison.orphans.removed").description("Outbox payload folders removed because no message referred to them")
                .register(registry).increment();
    }

    public void tlsFailure() {
        tlsFailures.increment();
    }

    /** A completed TLS handshake on {@code api} (peer API, delivery, local API) by key-exchange group and outcome (ok, refused). */
    public void tlsHandshake(String api, String group, String outcome) {
        Counter.builder("liaison.tls.handshakes").tag("api", api.replace(' ', '-')).tag("group", group).tag("outcome", outcome)
                .description("Completed TLS handshakes by API, key-exchange group (X25519MLKEM768: hybrid) and outcome")
                .register(registry).increment();
    }

    public String scrape() {
        beforeScrape.forEach(Runnable::run);
        return registry.scrape();
    }
}
