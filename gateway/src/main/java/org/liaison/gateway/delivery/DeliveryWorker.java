package org.liaison.gateway.delivery;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.net.GracefulStop;
import org.liaison.gateway.net.NodeRuntime;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.MessageStore.State;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.envelope.Receipts;
import org.liaison.protocol.evidence.Evidences;

/**
 * Delivers queued messages: each recipient's delivery on its own, at most {@value #PER_RECIPIENT} in
 * flight per recipient (so one slow or dead peer never holds up the others), started when a message
 * is stored or a delivery ends and at each poll, retried with exponential
 * backoff and jitter until the message expires. Errors a retry cannot fix fail the delivery at
 * once, with the reason. Every attempt is audited; every receipt is verified before it counts.
 */
public final class DeliveryWorker implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(DeliveryWorker.class);

    private final DeliveryContext node;
    private final PeerClient client;
    private final Backoff backoff;
    private final ScheduledExecutorService scheduler;
    /** Deliveries in flight to one recipient at most: a backlog drains in parallel, a dead peer holds only this many threads. */
    static final int PER_RECIPIENT = 4;
    /**
     * One thread per attempt in flight, however many: the per-recipient limit bounds them (at most
     * {@value #PER_RECIPIENT} per peer), and a dead or slow peer holds only its own — a fixed pool
     * would let four dead peers take every thread and stall deliveries to live ones.
     */
    private final ExecutorService senders;
    private final Map<AuthorityId, Integer> inFlight = new ConcurrentHashMap<>();
    /** The envelopes sealed here lately, so that an attempt need not parse its own stored envelope again. */
    private final SealedEnvelopes sealed = new SealedEnvelopes();

    public DeliveryWorker(DeliveryContext node, PeerClient client, Backoff backoff, NodeRuntime runtime) {
        this.scheduler = runtime.scheduler("liaison-delivery-poll");
        this.senders = runtime.tasks("liaison-delivery");
        this.prober = runtime.scheduler("liaison-delivery-probe");
        this.node = node;
        this.client = client;
        this.backoff = backoff;
    }

    /** A message was sealed and stored here (see {@link SealedEnvelopes#sealed}). */
    public void sealed(java.util.UUID id, byte[] envelope, String sha256, org.liaison.protocol.envelope.EnvelopeHeader h,
            List<PayloadInfo> payloads, int recipients) {
        sealed.sealed(id, envelope, sha256, h, payloads, recipients);
    }

    /** Looks for due deliveries now rather than at the next poll (a message was stored, a recipient became free). */
    public void wake() {
        try {
            scheduler.execute(this::poll);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // closing: the next start picks the deliveries up
        }
    }

    public void start(Duration poll) {
        scheduler.scheduleWithFixedDelay(this::poll, 0, poll.toMillis(), TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::probe, PROBE_EVERY.toMillis(), PROBE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::sweep, SWEEP.toMillis(), SWEEP.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How often peers whose deliveries wait in backoff are probed (a TCP connect), and the least time between two wake-ups. */
    static final Duration PROBE_EVERY = Duration.ofSeconds(5);
    private final Map<AuthorityId, Instant> lastWoken = new ConcurrentHashMap<>();
    private final ExecutorService prober;

    /**
     * A sign that {@code peer} is up (it connected to us, or took a delivery): its deliveries waiting in
     * backoff are due now rather than at their next attempt, which after a long outage can be minutes
     * away. Cheap on the caller's thread (an event loop may call it): at most once per
     * {@link #PROBE_EVERY} per peer, and the store is updated on the worker's own thread.
     */
    public void peerIsUp(AuthorityId peer) {
        Instant now = node.clock().instant();
        Instant last = lastWoken.get(peer);
        if (last != null && now.isBefore(last.plus(PROBE_EVERY))) {
            return;
        }
        lastWoken.put(peer, now);
        try {
            scheduler.execute(() -> {
                try {
                    int n = node.store().deliveries().retryNow(peer, node.clock().instant());
                    if (n > 0) {
                        LOG.info("{} is reachable again: {} waiting deliveries retried now", peer, n);
                        poll();
                    }
                } catch (RuntimeException e) {
                    LOG.error("cannot retry the deliveries to {}: {}", peer, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // closing
        }
    }

    /** Peers with deliveries waiting in backoff get a TCP connect each probe; one that answers is up again. */
    private void probe() {
        try {
            for (AuthorityId peer : node.store().deliveries().recipientsWaiting(node.clock().instant().plus(PROBE_EVERY))) {
                URI endpoint = URI.create(node.trust().directory().require(peer).endpoints().get(0));
                prober.execute(() -> {
                    try (java.net.Socket s = new java.net.Socket()) {
                        s.connect(new java.net.InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 2000);
                        peerIsUp(peer);
                    } catch (java.io.IOException | RuntimeException down) {
                        // still down: its backoff goes on
                    }
                });
            }
        } catch (ProtocolException | RuntimeException e) {
            LOG.debug("probe pass failed: {}", e.toString());
        }
    }

    /**
     * How long an attempt holds its delivery before the sweeper — of this node, or of another node of the
     * authority on a shared store — may take it back (renewed while it runs). Five minutes; a cluster that
     * must take over a dead node's deliveries sooner sets {@code -Dliaison.delivery.lease=PT30S} (ISO-8601).
     */
    static final Duration LEASE = lease();

    private static Duration lease() {
        String p = System.getProperty("liaison.delivery.lease");
        if (p == null) {
            return Duration.ofMinutes(5);
        }
        Duration d = Duration.parse(p);
        if (d.compareTo(Duration.ofSeconds(2)) < 0) {
            throw new IllegalArgumentException("liaison.delivery.lease: " + p + " (expected: PT2S or more)");
        }
        return d;
    }

    /** The sweeper runs five times per lease (at most once a minute), so a lease is renewed well before it ends. */
    static final Duration SWEEP = Duration.ofMillis(Math.min(60_000, LEASE.toMillis() / 5));
    /** "messageId/recipient" of the attempts this process is making now. */
    private final java.util.Set<String> sending = ConcurrentHashMap.newKeySet();

    /**
     * One pass: for each recipient with deliveries due, start as many as it has free slots (fewer than
     * {@value #PER_RECIPIENT} in flight), the longest waiting first. A pass reads only what it can start: a
     * backlog of thousands for one peer costs each pass a few rows, not the backlog.
     */
    void poll() {
        try {
            Instant now = node.clock().instant();
            for (AuthorityId recipient : node.store().deliveries().recipientsDue(now)) {
                int free = PER_RECIPIENT - inFlight.getOrDefault(recipient, 0);
                if (free > 0) {
                    start(node.store().deliveries().dueDeliveries(now, recipient, free), now);
                }
            }
        } catch (RuntimeException e) {
            LOG.error("delivery pass failed: {}", e.toString());
        }
    }

    private void start(List<MessageStore.Delivery> due, Instant now) {
        for (MessageStore.Delivery d : due) {
            if (inFlight.merge(d.recipient(), 1, Integer::sum) > PER_RECIPIENT) {
                inFlight.merge(d.recipient(), -1, Integer::sum);
                continue;
            }
            String key = d.messageId() + "/" + d.recipient();
            sending.add(key);
            if (!node.store().deliveries().transition(d.messageId(), d.recipient(), d.state(), new MessageStore.Send(now.plus(LEASE)))) {
                sending.remove(key); // moved meanwhile
                inFlight.merge(d.recipient(), -1, Integer::sum);
                continue;
            }
            senders.submit(() -> {
                boolean delivered = false;
                try {
                    delivered = attempt(d);
                } finally {
                    sending.remove(key);
                    inFlight.merge(d.recipient(), -1, Integer::sum);
                }
                if (delivered) {
                    wake(); // the next message for this recipient need not wait for the poll
                }
            });
        }
    }

    /**
     * The sweeper: renews the leases of this process's attempts, and takes back deliveries left
     * SENDING whose lease ended with no attempt running (an attempt lost without an outcome).
     */
    void sweep() {
        try {
            Instant now = node.clock().instant();
            java.util.Set<String> mine = java.util.Set.copyOf(sending);
            node.store().deliveries().renewLeases(mine, now.plus(LEASE));
            int n = node.store().deliveries().recoverExpiredLeases(now, mine);
            if (n > 0) {
                LOG.warn("{} deliveries stuck in sending were taken back for a new attempt", n);
                poll();
            }
        } catch (RuntimeException e) {
            LOG.error("delivery sweep failed: {}", e.toString());
        }
    }

    /** One delivery attempt; true when it was delivered. */
    private boolean attempt(MessageStore.Delivery d) {
        Instant now = node.clock().instant();
        int attempts = d.attempts() + 1;
        Optional<MessageStore.Outgoing> found = node.store().sent().outgoing(d.messageId());
        if (found.isEmpty()) {
            node.store().deliveries().transition(d.messageId(), d.recipient(), State.SENDING, new MessageStore.Fail(attempts, "message not in the outbox"));
            return false;
        }
        MessageStore.Outgoing m = found.get();
        if (!now.isBefore(m.expiresAt())) {
            node.store().deliveries().transition(d.messageId(), d.recipient(), State.SENDING, new MessageStore.Expire(d.attempts(),
                    "expired at " + m.expiresAt()));
            node.audit().record(AuditEvent.of(node.clock(), "expire", node.me().value(), d.messageId().toString(), d.recipient().value(), "failed",
                    "expired before delivery"));
            node.evidence().expired(m, d.recipient());
            sealed.deliveryEnded(d.messageId());
            return false;
        }
        org.liaison.protocol.envelope.EnvelopeHeader header = null;
        try {
            Trust trust = node.trust();
            // Our own envelope from our own store: its signature was made here, no need to check it per attempt,
            // but its bytes must still be the ones recorded when it was sealed. Sealed here lately and byte for byte the
            // same: what was sealed into it is at hand; else it is read (and its SHA-256 checked) from the store.
            Optional<SealedEnvelopes.Sealed> known = sealed.of(m);
            List<PayloadInfo> sentPayloads;
            String sentSha256;
            if (known.isPresent()) {
                header = known.get().header();
                sentPayloads = known.get().payloads();
                sentSha256 = known.get().sha256();
            } else {
                Envelopes.Stored stored = Envelopes.readStored(m.envelope(), m.recordedEnvelopeSha256());
                header = stored.header();
                sentPayloads = stored.payloads();
                sentSha256 = stored.sha256();
            }
            // An authority may list several endpoints (its nodes, when no load balancer fronts them): a retry goes
            // to the next one, so a node that is down does not hold up what another of the authority's nodes can take.
            List<String> endpoints = trust.directory().require(d.recipient()).endpoints();
            URI endpoint = URI.create(endpoints.get((attempts - 1) % endpoints.size()));
            List<Path> payloads = new ArrayList<>();
            for (int i = 0; i < sentPayloads.size(); i++) {
                payloads.add(BlobStore.payload(m.blobs(), i));
            }
            long from = resumeFrom(d, endpoint, sentPayloads);
            byte[] receipt = client.send(d.recipient(), endpoint, m.envelope(), payloads, from);
            Receipts.Verified r = Receipts.verify(receipt, trust, node.clock().instant(), d.recipient(), d.messageId(), sentSha256,
                    sentPayloads);
            // Metrics first: whoever sees DELIVERED in the store also sees it counted.
            node.metrics().deliveryAttempt("delivered");
            node.metrics().delivered(java.time.Duration.between(m.createdAt(), node.clock().instant()));
            node.store().deliveries().transition(d.messageId(), d.recipient(), State.SENDING, new MessageStore.Deliver(attempts, receipt, r.received()));
            node.audit().record(AuditEvent.of(node.clock(), "receipt", d.recipient().value(), d.messageId().toString(), d.recipient().value(), "ok",
                    null).about(header).with("peerCheckpoint", r.checkpoint())
                    .with("evidenceSha256", r.evidence() == null ? null : Evidences.sha256(receipt)));
            if (r.evidence() != null) { // the recipient's delivered evidence (schema 1.4): kept with this node's evidence of the message
                node.evidence().keepPeer(r.evidence(), receipt);
            }
            node.evidence().relayed(header, d.recipient(), receipt, r.envelopeSha256());
            sealed.deliveryEnded(d.messageId());
            if (r.checkpoint() != null) {
                node.peerLogs().observe(d.recipient(), r.checkpoint());
            }
            if (r.cosignedCheckpoint() != null) { // its witnesses' cosignatures, checked against the quorum the directory demands
                node.peerLogs().observeCosigned(d.recipient(), r.cosignedCheckpoint());
            }
            LOG.info("delivered {} to {} (attempt {})", d.messageId(), d.recipient(), attempts);
            if (attempts > 1) {
                peerIsUp(d.recipient()); // others to it may be waiting in backoff
            }
            return true;
        } catch (ProtocolException e) {
            Instant next = now.plus(backoff.delay(attempts));
            State state = !e.code().isRetryable() ? State.FAILED : next.isBefore(m.expiresAt()) ? State.RETRYING : State.EXPIRED;
            String reason = e.getMessage() + " [" + e.code().code() + "]";
            node.metrics().deliveryAttempt(state.id());
            node.store().deliveries().transition(d.messageId(), d.recipient(), State.SENDING, state == State.FAILED ? new MessageStore.Fail(attempts, reason)
                    : state == State.EXPIRED ? new MessageStore.Expire(attempts, reason) : new MessageStore.Retry(attempts, next, reason));
            AuditEvent failed = AuditEvent.of(node.clock(), "send-attempt", node.me().value(), d.messageId().toString(), d.recipient().value(),
                    state.id(), reason);
            node.audit().record(header == null ? failed : failed.about(header));
            if (state != State.RETRYING) {
                sealed.deliveryEnded(d.messageId());
            }
            if (header != null && state != State.RETRYING) {
                node.evidence().notRelayed(header, d.recipient(), state == State.EXPIRED, e.code().code(), e.getMessage());
            }
            LOG.warn("delivery of {} to {} {}: {}", d.messageId(), d.recipient(), state.id(), reason);
        } catch (RuntimeException e) {
            node.store().deliveries().transition(d.messageId(), d.recipient(), State.SENDING, new MessageStore.Retry(attempts,
                    now.plus(backoff.delay(attempts)), "internal error: " + e));
            LOG.error("delivery of {} to {} failed unexpectedly", d.messageId(), d.recipient(), e);
        }
        return false;
    }

    /** Messages with at least this many payload bytes ask the receiver first where a broken earlier attempt left off. */
    static final long RESUMABLE = 8L << 20;

    /** Where this attempt starts in the payload bytes: after what the receiver already holds of a large message. */
    private long resumeFrom(MessageStore.Delivery d, URI endpoint, List<PayloadInfo> sentPayloads) throws ProtocolException {
        long total = sentPayloads.stream().mapToLong(PayloadInfo::ciphertextSize).sum();
        if (total < RESUMABLE) {
            return 0;
        }
        long from = client.resumeOffset(d.recipient(), endpoint, d.messageId(), total);
        if (from > 0) {
            LOG.info("resuming the delivery of {} to {} at payload byte {} of {}", d.messageId(), d.recipient(), from, total);
        }
        return from;
    }

    /** Stops starting deliveries and waits for those in flight (they finish, or go back to retrying at the next start). */
    @Override
    public void close() {
        GracefulStop.stop(scheduler, "delivery poll"); // a poll or sweep in flight ends before the store closes
        GracefulStop.stop(prober, "delivery probe");
        senders.shutdown();
        try {
            if (!senders.awaitTermination(15, TimeUnit.SECONDS)) {
                senders.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
