package org.liaison.gateway.node;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.delivery.Backoff;
import org.liaison.gateway.delivery.PeerClient;
import org.liaison.gateway.local.ReceivedStages;
import org.liaison.gateway.net.GracefulStop;
import org.liaison.gateway.net.NodeRuntime;
import org.liaison.gateway.peer.PeerContext;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.Notices;
import org.liaison.protocol.envelope.Receipts;
import org.liaison.protocol.evidence.Evidences;

/**
 * The life of a request beyond its delivery. On the recipient's side: the first fetch of a received
 * message by one of this authority's investigators queues an <em>opened</em> notice (the authority and
 * the time, never the person), and an investigator can <em>acknowledge</em> or <em>decline</em> (with a
 * reason code) a request; each notice is signed by this gateway, kept, audited and sent to the
 * message's sender until it takes it. On the sender's side: notices from a message's recipients are
 * verified and kept with it, and a reply received from one of them marks it <em>answered</em>; each stage
 * is audited. {@code liaison status} shows them per recipient.
 */
public final class Stages implements ReceivedStages, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(Stages.class);
    public static final String OPENED = "opened";
    public static final String ANSWERED = "answered";

    private final PeerContext node;
    private final PeerClient client;
    private final Backoff backoff;
    private final ScheduledExecutorService sender;

    public Stages(PeerContext node, PeerClient client, Backoff backoff, NodeRuntime runtime) {
        this.sender = runtime.scheduler("notices");
        this.node = node;
        this.client = client;
        this.backoff = backoff;
    }

    /** Sends due notices every {@code poll}, and at once after {@link #wake}. */
    public void start(Duration poll) {
        sender.execute(() -> {
            try {
                node.store().notices().recoverInterrupted(node.clock().instant()); // what this process was sending when it stopped
            } catch (RuntimeException e) {
                LOG.warn("cannot recover interrupted notices: {}", e.toString());
            }
        });
        sender.scheduleWithFixedDelay(this::sendDue, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A notice was queued: send it now rather than at the next poll (closing: at the next start). */
    public void wake() {
        try {
            sender.execute(this::sendDue);
        } catch (RejectedExecutionException closing) {
            // kept QUEUED in the store: sent after the next start
        }
    }

    // ----- the recipient's side -----

    /** A received message was fetched: the first time, an opened notice is queued for its sender. */
    public void opened(MessageStore.Received r) throws ProtocolException {
        opened(r, Envelopes.readStored(r.envelope(), r.envelopeSha256()).header());
    }

    /** {@link #opened(MessageStore.Received)} with its envelope's header, read already by the caller. */
    @Override
    public void opened(MessageStore.Received r, EnvelopeHeader h) throws ProtocolException {
        queue(r, h, OPENED, null, null, node.me().value());
    }

    /**
     * An investigator ({@code actor}) acknowledges or declines a received request. Whether it is new
     * ({@code false}: that stage was sent before; nothing changed).
     */
    public boolean decide(MessageStore.Received r, String stage, String reason, String note, String actor) throws ProtocolException {
        return decide(r, Envelopes.readStored(r.envelope(), r.envelopeSha256()).header(), stage, reason, note, actor);
    }

    /** {@link #decide(MessageStore.Received, String, String, String, String)} with its envelope's header, read already by the caller. */
    @Override
    public boolean decide(MessageStore.Received r, EnvelopeHeader h, String stage, String reason, String note, String actor)
            throws ProtocolException {
        if (!ACKNOWLEDGED.equals(stage) && !DECLINED.equals(stage)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a request is acknowledged or declined, not " + stage);
        }
        return queue(r, h, stage, reason, note, actor);
    }

    private boolean queue(MessageStore.Received r, EnvelopeHeader h, String stage, String reason, String note, String actor)
            throws ProtocolException {
        Instant now = node.clock().instant();
        if (!node.store().notices().stages(r.messageId(), true).stream().noneMatch(s -> s.stage().equals(stage))) {
            return false; // checked first so that a retried command does not sign again
        }
        Notices.Content content = new Notices.Content(UUID.randomUUID(), r.messageId(), h.conversationId(), r.sender(), node.me(),
                stage, now, reason, note);
        // One format from schema 1.4: to a sender that announced it, the notice is this node's evidence of the stage itself.
        boolean asEvidence = node.peerSchemas().readsEvidence(r.sender());
        byte[] xml = asEvidence ? Evidences.create(Notices.evidence(content), node.signing())
                : Notices.create(content, node.signing());
        if (!node.store().notices().recordStage(new MessageStore.Stage(r.messageId(), r.sender(), stage, now, reason, xml), true, now)) {
            return false;
        }
        node.audit().record(AuditEvent.of(node.clock(), "stage", actor, r.messageId().toString(), r.sender().value(), stage, reason).about(h)
                .with("noticeSha256", Envelopes.sha256(xml)).with("notice", "sent"));
        if (asEvidence) {
            node.evidence().keepSigned(xml);
        } else {
            node.evidence().stage(h, stage, now, reason, note, xml);
        }
        LOG.info("message {} from {}: {}{}, notice queued", r.messageId(), r.sender(), stage, reason == null ? "" : " (" + reason + ")");
        wake();
        return true;
    }

    /** A reply to a received message was sealed here: the recipient's own log records the answer. */
    public void replied(UUID inReplyTo, AuthorityId to) {
        node.audit().record(AuditEvent.of(node.clock(), "stage", node.me().value(), inReplyTo.toString(), to.value(), ANSWERED, null));
        node.evidence().answered(inReplyTo, to, node.me(), null);
    }

    /**
     * How long a notice being sent is leased to this process: one POST, bounded by the client's timeouts. A
     * lease that ends without an outcome (the process stopped) makes the notice due again, here or on another
     * node of the authority; a notice sent twice is recorded once by its recipient.
     */
    static final Duration LEASE = Duration.ofMinutes(2);

    private void sendDue() {
        try {
            Instant now = node.clock().instant();
            node.store().notices().recoverExpiredLeases(now, Set.of()); // this thread sends them all: none in flight now
            for (MessageStore.Notice n : node.store().notices().due(now, 64)) {
                if (sender.isShutdown()) {
                    return; // closing: the others stay due, for the next start
                }
                send(n);
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot send notices: {}", e.toString());
        }
    }

    /**
     * Sends one notice: claimed first (QUEUED or RETRYING to SENDING, leased: of two nodes on one store, one
     * sends it), then delivered, retried after a backoff (its attempts are kept in the store, so that a restart
     * keeps the backoff), or failed for good.
     */
    private void send(MessageStore.Notice due) {
        MessageStore.Stage n = due.stage();
        Instant now = node.clock().instant();
        if (!node.store().notices().transition(n, due.state(), new MessageStore.Send(now.plus(LEASE)))) {
            return; // taken by another node meanwhile
        }
        int attempt = due.attempts() + 1;
        try {
            List<String> endpoints = node.trust().directory().require(n.party()).endpoints();
            URI endpoint = URI.create(endpoints.get((attempt - 1) % endpoints.size()));
            byte[] answer = client.post(n.party(), endpoint, ReceiveHandler.NOTICE_PATH, NOTICE_TYPE, n.xml());
            node.store().notices().transition(n, MessageStore.State.SENDING, new MessageStore.Deliver(attempt,
                    answer == null ? new byte[0] : answer, node.clock().instant()));
            node.audit().record(AuditEvent.of(node.clock(), "notice-delivered", node.me().value(), n.messageId().toString(), n.party().value(), n.stage(),
                    null));
        } catch (ProtocolException e) {
            if (e.code().isRetryable()) {
                node.store().notices().transition(n, MessageStore.State.SENDING, new MessageStore.Retry(attempt,
                        node.clock().instant().plus(backoff.delay(attempt)), e.code().code() + " " + e.getMessage()));
                LOG.info("notice {} of message {} to {}: {} (attempt {}, will retry)", n.stage(), n.messageId(), n.party(), e.getMessage(),
                        attempt);
            } else {
                // Refused for good (the sender deleted the message, say): kept, not sent again; the log says why.
                node.store().notices().transition(n, MessageStore.State.SENDING, new MessageStore.Fail(attempt,
                        e.code().code() + " " + e.getMessage()));
                node.audit().record(AuditEvent.of(node.clock(), "notice-refused", node.me().value(), n.messageId().toString(), n.party().value(), n.stage(),
                        e.code().code() + " " + e.getMessage()));
                LOG.warn("notice {} of message {} refused by {}: {}", n.stage(), n.messageId(), n.party(), e.getMessage());
            }
        } catch (RuntimeException e) {
            node.store().notices().transition(n, MessageStore.State.SENDING, new MessageStore.Retry(attempt,
                    node.clock().instant().plus(backoff.delay(attempt)), e.toString()));
            LOG.warn("notice {} of message {} to {}: {}", n.stage(), n.messageId(), n.party(), e.toString());
        }
    }

    public static final String NOTICE_TYPE = "application/vnd.liaison.notice+xml";

    // ----- the sender's side -----

    /**
     * A notice from {@code peer}: verified (its gateway's signature, issued by it), about a message this
     * node sent to it, in that conversation, not dated before the message; kept and audited once.
     */
    public void received(AuthorityId peer, byte[] xml) throws ProtocolException {
        Instant now = node.clock().instant();
        Notices.Verified v = Notices.verify(xml, node.trust(), now, peer);
        Notices.Content c = v.content();
        if (!c.sender().equals(node.me())) {
            throw new ProtocolException(ErrorCode.NOT_A_RECIPIENT, "the notice is about a message of " + c.sender() + ", not of "
                    + node.me());
        }
        MessageStore.Outgoing o = node.store().sent().outgoing(c.messageId()).orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND,
                "no message " + c.messageId() + " sent from " + node.me()));
        if (node.store().deliveries().of(c.messageId()).stream().noneMatch(d -> d.recipient().equals(peer))) {
            throw new ProtocolException(ErrorCode.NOT_A_RECIPIENT, "message " + c.messageId() + " was not sent to " + peer);
        }
        EnvelopeHeader h = Envelopes.readStored(o.envelope(), o.recordedEnvelopeSha256()).header();
        if (!h.conversationId().equals(c.conversationId())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the notice names another conversation than message " + c.messageId());
        }
        if (c.at().isBefore(o.createdAt().minus(Notices.CLOCK_SKEW))) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the notice is dated " + c.at() + ", before the message was sent");
        }
        if (node.store().notices().recordStage(new MessageStore.Stage(c.messageId(), peer, c.stage(), c.at(), c.reason(), v.xml(),
                c.note() == null ? "" : c.note()), false,
                node.clock().instant())) {
            boolean evidence = Receipts.isEvidence(v.xml());
            node.audit().record(AuditEvent.of(node.clock(), "stage", peer.value(), c.messageId().toString(), peer.value(), c.stage(), c.reason()).about(h)
                    .with("noticeSha256", Envelopes.sha256(v.xml())).with("notice", "received")
                    .with("evidenceSha256", evidence ? Envelopes.sha256(v.xml()) : null));
            if (evidence) { // the recipient's evidence of the stage (schema 1.4): kept with this node's evidence of the message
                node.evidence().keepPeer(Evidences.claimed(v.xml()), v.xml());
            }
            LOG.info("message {}: {} by {}{}", c.messageId(), c.stage(), peer, c.reason() == null ? "" : " (" + c.reason() + ")");
        }
    }

    /** A package from {@code from} answering {@code inReplyTo} arrived: if that is a message sent from here to it, it is answered. */
    public void replyReceived(AuthorityId from, UUID inReplyTo, UUID reply) {
        if (inReplyTo == null || node.store().deliveries().of(inReplyTo).stream().noneMatch(d -> d.recipient().equals(from))) {
            return;
        }
        if (node.store().notices().recordStage(new MessageStore.Stage(inReplyTo, from, ANSWERED, node.clock().instant(), null, null), false,
                node.clock().instant())) {
            node.audit().record(AuditEvent.of(node.clock(), "stage", from.value(), inReplyTo.toString(), from.value(), ANSWERED, null)
                    .with("reply", reply.toString()));
            node.evidence().answered(inReplyTo, node.me(), from, reply);
        }
    }

    /** Takes no further notice and waits (bounded) for the one in flight to record its outcome, before the client and store close. */
    @Override
    public void close() {
        GracefulStop.stop(sender, "notices");
    }
}
