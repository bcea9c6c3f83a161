package org.liaison.gateway.peer;

import io.netty.channel.Channel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.timeout.ReadTimeoutException;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.gateway.net.FrontDoor;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.net.ResumeFrom;
import org.liaison.gateway.net.Routes;
import org.liaison.gateway.net.Workers;
import org.liaison.gateway.tls.ClientAuthorization;
import org.liaison.gateway.witness.Witness;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ErrorDocuments;
import org.liaison.protocol.PeerApi;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Notices;
import org.liaison.protocol.envelope.Receipts;
import org.liaison.protocol.tlog.AddCheckpoint;

/**
 * The peer API: {@code POST /liaison/v1/messages} with a message body (see {@link IncomingMessage}),
 * answered with the signed receipt or an {@code <Error>} document. One message per request; any
 * refusal answers and closes the connection (over HTTP/2: the stream). The same handler serves
 * HTTP/1.1 connections and HTTP/2 streams, which reach it as HTTP/1.1 objects. A route table over the
 * {@link FrontDoor}:
 *
 * <pre>
 *   POST PATH                    a message, streamed ({@link Reception}), within the node's message size limit
 *   POST NOTICE_PATH             a signed stage notice, held whole (at most {@code Notices.MAX_BYTES})
 *   GET  PATH/ID/transfer        where the caller's broken transfer resumes
 *   GET  CONSISTENCY_PATH?from=N&to=M   a consistency proof of this node's audit log
 *   POST Witness.ADD_CHECKPOINT          a checkpoint to cosign (when this node witnesses logs; see {@code Witness})
 *   GET  Witness.PREFIX/HASH/checkpoint  the latest checkpoint this node cosigned for a log (monitoring)
 * </pre>
 */
public final class ReceiveHandler extends FrontDoor<AuthorityId> {
    public static final String PATH = PeerApi.MESSAGES;
    /** {@code POST} a signed stage notice about one of the receiver's messages (see {@code Stages}); answered {@code {}}. */
    public static final String NOTICE_PATH = "/liaison/v1/notices";
    /** {@code GET} with {@code ?from=N&to=M}: this node's audit log key and a consistency proof (see {@link AuditProofs}). */
    public static final String CONSISTENCY_PATH = "/liaison/v1/audit/consistency";
    private static final java.util.regex.Pattern TRANSFER_ID = java.util.regex.Pattern.compile(
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    static final String JSON_TYPE = "application/json";
    public static final String MESSAGE_TYPE = PeerApi.MESSAGE_TYPE;
    public static final String RECEIPT_TYPE = "application/vnd.liaison.receipt+xml";
    public static final String ERROR_TYPE = "application/vnd.liaison.error+xml";
    private static final Logger LOG = LogManager.getLogger(ReceiveHandler.class);

    /**
     * {@code GET} this path (one of the caller's own messages): {@code {"offset": N, "received": false}}, where
     * its staged transfer resumes in payload bytes (0: from the start), or {@code "received": true} when
     * it was received already (send the envelope alone, with {@value ResumeFrom#HEADER} = the payloads' total size:
     * the answer is the stored receipt).
     */
    public static String transferPath(java.util.UUID messageId) {
        return PeerApi.transferPath(messageId);
    }

    /**
     * @param finishers where a complete message is made durable and receipted (fsyncs, the store's
     *     commit, the audit entry, the signature), so that the event loop never waits for a disk
     * @param writers where payload bytes are hashed and written while the event loop reads on, and refused
     *     transfers' files removed
     */
    public ReceiveHandler(PeerContext node, long maxMessageBytes, Executor finishers, Executor writers) {
        super(routes(node, maxMessageBytes), new Policy(node, finishers), finishers, writers);
    }

    /** The peer API's route table. */
    static Routes<AuthorityId> routes(PeerContext node, long maxMessageBytes) {
        Routes<AuthorityId> routes = new Routes<AuthorityId>()
                .streamed(PATH, maxMessageBytes, "message", (r, lease) -> {
                    String schema = r.header(Receipts.SCHEMA_HEADER);
                    node.peerSchemas().announced(r.principal(), schema);
                    return new Reception(node, r.principal(), new IncomingMessage(node, r.principal(), lease,
                            ResumeFrom.parse(r.header(ResumeFrom.HEADER))).answerWithEvidence(Receipts.readsEvidence(schema)));
                })
                .buffered(NOTICE_PATH, Notices.MAX_BYTES, "notice", (r, xml) -> {
                    node.peerSchemas().announced(r.principal(), r.header(Receipts.SCHEMA_HEADER));
                    node.noticeReceived(r.principal(), xml);
                    return Answer.bytes(JSON_TYPE, "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                })
                .get(PATH + "/{id}/transfer", r -> transferState(node, r))
                .get(CONSISTENCY_PATH, r -> consistency(node, r)).query();
        node.witness().ifPresent(witness -> { // C2SP tlog-witness: the spec's statuses and text bodies, not <Error> documents
            routes.buffered(Witness.ADD_CHECKPOINT, AddCheckpoint.MAX_BYTES,
                            "add-checkpoint request", (r, body) -> witnessAnswer(witness.addCheckpoint(r.principal(), body)))
                    .get(Witness.PREFIX + "/{origin}/checkpoint", r -> witnessAnswer(witness.latest(r.param("origin"))));
        });
        return routes;
    }

    private static Answer witnessAnswer(Witness.Answer a) {
        return new Answer.Bytes(a.status(), a.contentType(), a.body());
    }

    /** Where the caller's broken transfer of one of its messages resumes; read and authenticated on a worker. */
    private static Answer transferState(PeerContext node, Request<AuthorityId> r) throws ProtocolException {
        String id = r.param("id");
        if (!TRANSFER_ID.matcher(id).matches()) {
            throw Policy.unknownGet(r.uri());
        }
        long offset = IncomingMessage.resumeOffset(node, r.principal(), java.util.UUID.fromString(id));
        String json = "{\"messageId\":\"" + id + "\",\"offset\":" + Math.max(0, offset) + ",\"received\":" + (offset < 0) + "}";
        return Answer.bytes(JSON_TYPE, json.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** Peers that hold our checkpoints ask for consistency proofs between them (a log shared in PostgreSQL: a query). */
    private static Answer consistency(PeerContext node, Request<AuthorityId> r) throws ProtocolException {
        long from;
        long to;
        try {
            from = Long.parseLong(r.query().getOrDefault("from", List.of("")).get(0));
            to = Long.parseLong(r.query().getOrDefault("to", List.of("")).get(0));
        } catch (NumberFormatException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "from and to must be tree sizes");
        }
        String key = node.audit().verifierKey();
        java.util.Optional<AuditLog.Tree> tree = node.audit().tree();
        if (key == null || tree.isEmpty()) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, "this node keeps no signed audit log");
        }
        try {
            return Answer.bytes(JSON_TYPE, AuditProofs.writeProof(key, from, to, tree.get().consistencyProof(from, to),
                    node.cosignedCheckpoint()));
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, e.getMessage());
        } catch (java.io.IOException e) {
            throw new ProtocolException(ErrorCode.INTERNAL, "cannot write the proof");
        }
    }

    /** The peer API's side of the front door: authorities named by their certificates, XML errors, audited and counted refusals. */
    static final class Policy implements FrontDoor.Policy<AuthorityId> {
        private final PeerContext node;
        private final Executor finishers;

        Policy(PeerContext node, Executor finishers) {
            this.node = node;
            this.finishers = finishers;
        }

        /** Every request is authorised against the current directory and CRLs, whatever the age of its TLS session. */
        @Override
        public AuthorityId authenticate(Channel channel) throws ProtocolException {
            ClientAuthorization<AuthorityId> auth = ClientAuthorization.of(channel);
            if (auth == null) {
                throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the connection is not authenticated");
            }
            try {
                auth.current(node.clock().instant());
            } catch (java.security.cert.CertificateException e) {
                throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the certificate of this connection is no longer accepted: "
                        + e.getMessage());
            }
            AuthorityId peer = PeerAuthenticationHandler.peerOf(channel);
            node.peerIsUp(peer);
            return peer;
        }

        /** No peer route needs a role: any is refused. */
        @Override
        public void authorize(AuthorityId peer, List<Role> roles) throws ProtocolException {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, "peers hold no role " + roles);
        }

        @Override
        public ProtocolException malformed(Throwable cause) {
            return new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, cause instanceof TooLongFrameException
                    ? "request line or headers too long" : "malformed HTTP request");
        }

        @Override
        public ProtocolException unknown(String method, String uri, Routes.Miss miss) {
            if ("GET".equals(method)) {
                return unknownGet(uri);
            }
            return new ProtocolException(ErrorCode.SCHEMA_INVALID, "unknown request " + method + " (expected POST " + PATH + " or "
                    + NOTICE_PATH + ")");
        }

        static ProtocolException unknownGet(String uri) {
            String path = new io.netty.handler.codec.http.QueryStringDecoder(uri).path();
            return new ProtocolException(ErrorCode.SCHEMA_INVALID, "unknown request GET " + path + " (expected GET "
                    + CONSISTENCY_PATH + ")");
        }

        /** A GET has no body; other requests' bodies are the routes' (or refused as unknown). */
        @Override
        public ProtocolException unexpectedBody(String method, long contentLength, boolean chunked, boolean bytesSent) {
            if ("GET".equals(method) && (contentLength != -1 && contentLength != 0 || chunked || bytesSent)) {
                return new ProtocolException(ErrorCode.SCHEMA_INVALID, "a GET request has no body");
            }
            return null;
        }

        @Override
        public BufferBudget buffers() {
            return node.buffers();
        }

        /** Audits and counts a refusal. */
        @Override
        public void refused(Channel channel, String id, ProtocolException e) {
            AuthorityId peer = PeerAuthenticationHandler.peerOf(channel);
            // Appended without an fsync of its own (a refusal acknowledges nothing; the next durable entry covers it), on a
            // worker. The refusal is answered even when it cannot be audited (a full disk): the peer learns why.
            AuditEvent rejected = AuditEvent.of(node.clock(), "reject", peer == null ? "unknown" : peer.value(), id, peer == null ? null : peer.value(),
                    "refused", e.code().code() + " " + e.getMessage());
            Workers.quietly(finishers, () -> node.audit().append(rejected), "audit a refusal");
            LOG.warn("refused a message from {}: {} [{}]", peer, e.getMessage(), e.code().code());
            node.metrics().refused(e.code().code());
        }

        @Override
        public String errorType() {
            return ERROR_TYPE;
        }

        @Override
        public byte[] error(ProtocolException e) {
            return ErrorDocuments.write(e.code(), e.getMessage(), null);
        }

        /** The peers' operators compare clocks with it (liaison doctor): envelopes are refused beyond a few minutes of skew. */
        @Override
        public void decorate(HttpHeaders headers) {
            headers.set(HttpHeaderNames.DATE, io.netty.handler.codec.DateFormatter.format(new java.util.Date()));
        }

        @Override
        public void failed(Channel channel, Throwable cause) {
            AuthorityId peer = PeerAuthenticationHandler.peerOf(channel);
            if (cause instanceof ReadTimeoutException) {
                AuditEvent stalled = AuditEvent.of(node.clock(), "timeout", peer == null ? "unknown" : peer.value(), null, null, "closed",
                        "the peer stalled");
                Workers.quietly(finishers, () -> node.audit().append(stalled), "audit a stalled peer");
            } else {
                LOG.debug("connection from {} failed: {}", peer, cause.toString());
            }
        }

        /** A refused message's connection closes once answered. */
        @Override
        public long lingerMillis() {
            return 0;
        }
    }
}
