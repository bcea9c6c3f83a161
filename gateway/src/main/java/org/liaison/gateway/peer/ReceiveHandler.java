package org.liaison.gateway.peer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.ReadTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ErrorDocuments;
import org.liaison.protocol.ProtocolException;

/**
 * The peer API: {@code POST /liaison/v1/messages} with a message body (see {@link IncomingMessage}),
 * answered with the signed receipt or an {@code <Error>} document. One message per request; any
 * refusal answers and closes the connection (over HTTP/2: the stream). The same handler serves
 * HTTP/1.1 connections and HTTP/2 streams, which reach it as HTTP/1.1 objects.
 */
public final class ReceiveHandler extends SimpleChannelInboundHandler<HttpObject> {
    public static final String PATH = "/liaison/v1/messages";
    /** {@code POST} a signed stage notice about one of the receiver's messages (see {@code Stages}); answered {@code {}}. */
    public static final String NOTICE_PATH = "/liaison/v1/notices";
    /** {@code GET} with {@code ?from=N&to=M}: this node's audit log key and a consistency proof (see {@link AuditProofs}). */
    public static final String CONSISTENCY_PATH = "/liaison/v1/audit/consistency";
    /** The header of a {@code POST} that resumes a broken transfer: where in the payload bytes its body continues. */
    public static final String RESUME_FROM = "Liaison-Resume-From";
    private static final java.util.regex.Pattern TRANSFER = java.util.regex.Pattern.compile(
            java.util.regex.Pattern.quote(PATH) + "/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/transfer");
    static final String JSON_TYPE = "application/json";
    public static final String MESSAGE_TYPE = "application/vnd.liaison.message";
    public static final String RECEIPT_TYPE = "application/vnd.liaison.receipt+xml";
    public static final String ERROR_TYPE = "application/vnd.liaison.error+xml";
    private static final Logger LOG = LogManager.getLogger(ReceiveHandler.class);

    private final PeerContext node;
    private final long maxMessageBytes;
    private IncomingMessage message;
    private long received;
    private boolean answered;
    private boolean skipBody;
    private boolean finishing;
    /** The notice being received (null: none). */
    private java.io.ByteArrayOutputStream notice;
    /** Its bytes in the node's budget for unverified heads, released once the notice is taken or dropped. */
    private org.liaison.gateway.net.BufferBudget.Lease noticeLease;
    private final java.util.concurrent.Executor finishers;

    /**
     * @param finishers where a complete message is made durable and receipted (fsyncs, the store's
     *     commit, the audit entry, the signature), so that the event loop never waits for a disk
     */
    /**
     * {@code GET} this path (one of the caller's own messages): {@code {"offset": N, "received": false}}, where
     * its staged transfer resumes in payload bytes (0: from the start), or {@code "received": true} when
     * it was received already (send the envelope alone, with {@value #RESUME_FROM} = the payloads' total size:
     * the answer is the stored receipt).
     */
    public static String transferPath(java.util.UUID messageId) {
        return PATH + "/" + messageId + "/transfer";
    }

    /**
     * @param writers where payload bytes are hashed and written while the event loop reads on, and refused
     *     transfers' files removed
     */
    public ReceiveHandler(PeerContext node, long maxMessageBytes, java.util.concurrent.Executor finishers,
            java.util.concurrent.Executor writers) {
        this.node = node;
        this.maxMessageBytes = maxMessageBytes;
        this.finishers = finishers;
        this.writers = writers;
    }

    private final java.util.concurrent.Executor writers;

    /** Hands a message's payload bytes to the writers, reading paused while too many wait; a failed write refuses it. */
    private void writeOffLoop(ChannelHandlerContext ctx, AuthorityId peer, IncomingMessage m) {
        m.writeOn(writers, org.liaison.gateway.net.PayloadSink.Flow.autoRead(ctx,
                () -> message == m && !answered && !checking && !finishing), failure -> ctx.executor().execute(() -> {
            if (message == m && !answered) {
                refuse(ctx, peer, m.messageId(), failure);
            }
        }));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (answered) {
            return; // after a refusal the rest of the request is dropped while the connection closes
        }
        AuthorityId peer = PeerAuthenticationHandler.peerOf(ctx.channel());
        try {
            if (msg.decoderResult().isFailure()) {
                Throwable cause = msg.decoderResult().cause();
                throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, cause instanceof TooLongFrameException
                        ? "request line or headers too long" : "malformed HTTP request");
            }
            if (msg instanceof HttpRequest) {
                authorize(ctx);
                node.peerIsUp(peer);
            }
            if (msg instanceof HttpRequest && finishing) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "one request at a time: the previous message is still being stored");
            }
            if (msg instanceof HttpRequest && HttpMethod.GET.equals(((HttpRequest) msg).method())) {
                HttpRequest get = (HttpRequest) msg;
                skipBody = true;
                if (HttpUtil.getContentLength(get, 0L) != 0 || HttpUtil.isTransferEncodingChunked(get)) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a GET request has no body");
                }
                java.util.regex.Matcher transfer = TRANSFER.matcher(get.uri());
                if (transfer.matches()) {
                    answerTransferState(ctx, peer, java.util.UUID.fromString(transfer.group(1)));
                } else if (node.witness() != null && org.liaison.gateway.witness.WitnessRequest.isLatest(get.uri())) {
                    answerWitness(ctx, () -> node.witness().latest(org.liaison.gateway.witness.WitnessRequest.originHashOf(get.uri())));
                } else {
                    answerAuditRequest(ctx, peer, get);
                }
            } else if (msg instanceof HttpRequest) {
                skipBody = false;
                HttpRequest req = (HttpRequest) msg;
                if (HttpMethod.POST.equals(req.method()) && NOTICE_PATH.equals(req.uri())) {
                    if (HttpUtil.getContentLength(req, -1L) > org.liaison.protocol.envelope.Notices.MAX_BYTES) {
                        throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "a notice exceeds "
                                + org.liaison.protocol.envelope.Notices.MAX_BYTES + " bytes");
                    }
                    notice = new java.io.ByteArrayOutputStream();
                    noticeLease = node.buffers().lease(ctx.channel());
                } else if (node.witness() != null && org.liaison.gateway.witness.WitnessRequest.isAddCheckpoint(req)) {
                    witnessing = org.liaison.gateway.witness.WitnessRequest.start(req);
                } else if (!HttpMethod.POST.equals(req.method()) || !PATH.equals(req.uri())) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "unknown request " + req.method() + " (expected POST " + PATH + " or "
                            + NOTICE_PATH + ")");
                }
                long declared = HttpUtil.getContentLength(req, -1L);
                if (declared > maxMessageBytes) {
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "message of " + declared + " bytes exceeds the limit of "
                            + maxMessageBytes);
                }
                if (notice == null && witnessing == null) {
                    message = new IncomingMessage(node, peer, node.buffers().lease(ctx.channel()), resumeFrom(req));
                    writeOffLoop(ctx, peer, message);
                }
                received = 0;
            }
            if (msg instanceof HttpContent && skipBody) {
                if (((HttpContent) msg).content().isReadable()) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a GET request has no body");
                }
                return; // the empty end of a GET
            }
            if (msg instanceof HttpContent && witnessing != null) {
                if (witnessing.add((HttpContent) msg)) {
                    byte[] body = witnessing.body();
                    witnessing = null;
                    answerWitness(ctx, () -> node.witness().addCheckpoint(peer, body));
                }
                return;
            }
            if (msg instanceof HttpContent && notice != null) {
                ByteBuf content = ((HttpContent) msg).content();
                if (notice.size() + content.readableBytes() > org.liaison.protocol.envelope.Notices.MAX_BYTES) {
                    dropNotice();
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "a notice exceeds "
                            + org.liaison.protocol.envelope.Notices.MAX_BYTES + " bytes");
                }
                try {
                    noticeLease.reserve(content.readableBytes());
                } catch (ProtocolException e) {
                    dropNotice();
                    throw e;
                }
                byte[] part = new byte[content.readableBytes()];
                content.readBytes(part);
                notice.writeBytes(part);
                if (msg instanceof LastHttpContent) {
                    byte[] xml = notice.toByteArray();
                    org.liaison.gateway.net.BufferBudget.Lease lease = noticeLease;
                    notice = null;
                    noticeLease = null;
                    takeNotice(ctx, peer, xml, lease);
                }
                return;
            }
            if (msg instanceof HttpContent) {
                if (message == null) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "body without a request");
                }
                ByteBuf content = ((HttpContent) msg).content();
                received += content.readableBytes();
                if (received > maxMessageBytes) {
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "message exceeds the limit of " + maxMessageBytes + " bytes");
                }
                if (held.waiting()) { // bytes decoded before reading paused: kept until the envelope is checked
                    held.hold((HttpContent) msg);
                    return;
                }
                feed(ctx, peer, content, msg instanceof LastHttpContent);
            }
        } catch (ProtocolException e) {
            refuse(ctx, peer, message == null ? null : message.messageId(), e);
        }
    }

    /** An add-checkpoint body being received (null: none). */
    private org.liaison.gateway.witness.WitnessRequest witnessing;

    /** Answers a witness request off the event loop (a signature check, an fsync), with the status the witness protocol gives. */
    private void answerWitness(ChannelHandlerContext ctx, java.util.function.Supplier<org.liaison.gateway.witness.Witness.Answer> work) {
        finishing = true;
        org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "witness a checkpoint", work::get, (a, failure) -> {
            finishing = false;
            if (failure != null) {
                refuse(ctx, PeerAuthenticationHandler.peerOf(ctx.channel()), null, failure);
                return;
            }
            respond(ctx, HttpResponseStatus.valueOf(a.status()), a.contentType(), a.body(), false);
        });
    }

    /** Verifies and keeps a notice off the event loop (a signature, the store, the audit log); answers on it. */
    private void takeNotice(ChannelHandlerContext ctx, AuthorityId peer, byte[] xml, org.liaison.gateway.net.BufferBudget.Lease lease) {
        finishing = true;
        org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "take a notice", () -> {
            try {
                node.noticeReceived(peer, xml);
            } finally {
                lease.release();
            }
            return Boolean.TRUE;
        }, (ok, failure) -> {
            lease.release(); // also when the task never ran (the node stopping)
            finishing = false;
            if (failure != null) {
                refuse(ctx, peer, null, failure);
                return;
            }
            respond(ctx, HttpResponseStatus.OK, JSON_TYPE, "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII), false);
        });
    }

    /** The {@value #RESUME_FROM} of a request: where its body resumes (0 without the header). */
    public static long resumeFrom(HttpRequest req) throws ProtocolException {
        String v = req.headers().get(RESUME_FROM);
        if (v == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new ProtocolException(ErrorCode.SCHEMA_INVALID, RESUME_FROM + " must be a byte offset");
    }

    /** Where the caller's broken transfer of one of its messages resumes; read and authenticated off the event loop. */
    private void answerTransferState(ChannelHandlerContext ctx, AuthorityId peer, java.util.UUID id) {
        org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "read the state of a transfer", () -> IncomingMessage.resumeOffset(node, peer, id),
                (offset, failure) -> {
                    if (failure != null) {
                        refuse(ctx, peer, id.toString(), failure);
                        return;
                    }
                    String json = "{\"messageId\":\"" + id + "\",\"offset\":" + Math.max(0, offset) + ",\"received\":" + (offset < 0) + "}";
                    respond(ctx, HttpResponseStatus.OK, JSON_TYPE, json.getBytes(java.nio.charset.StandardCharsets.US_ASCII), false);
                });
    }

    /** Body bytes kept while the envelope is checked off the event loop. */
    private final org.liaison.gateway.net.HeldBody held = new org.liaison.gateway.net.HeldBody();

    /** Feeds body bytes to the message; when its envelope is complete, checks it off the loop first. */
    private void feed(ChannelHandlerContext ctx, AuthorityId peer, ByteBuf content, boolean last) throws ProtocolException {
        ByteBuffer[] buffers = content.nioBuffers();
        for (int i = 0; i < buffers.length; i++) {
            message.accept(buffers[i]);
            if (message.awaitingCheck()) {
                held.pause(buffers, i, last);
                check(ctx, peer);
                return;
            }
        }
        if (last) {
            IncomingMessage done = message;
            message = null;
            finish(ctx, peer, done);
        }
    }

    /**
     * Verifies the envelope (signature, parties, the package inside: CRLs, the store, decryption)
     * on a worker, reading paused; then feeds what arrived meanwhile, on the event loop.
     */
    private void check(ChannelHandlerContext ctx, AuthorityId peer) {
        IncomingMessage m = message;
        checking = true;
        org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "check the message", () -> {
            m.checkEnvelope();
            return Boolean.TRUE;
        }, (ok, failure) -> {
            checking = false;
            if (failure == null && !ctx.channel().isActive()) {
                m.suspend(); // the connection broke during the check: what is staged stays for the next attempt
                message = null;
                return;
            }
            try {
                if (failure != null) {
                    held.clear();
                    refuse(ctx, peer, m.messageId(), failure);
                    return;
                }
                held.resume((content, last) -> feed(ctx, peer, content, last), () -> message != null && !answered);
            } catch (ProtocolException e) {
                refuse(ctx, peer, m.messageId(), e);
            }
        });
    }

    /** Every request is authorised against the current directory and CRLs, whatever the age of its TLS session. */
    private static void authorize(ChannelHandlerContext ctx) throws ProtocolException {
        org.liaison.gateway.tls.ClientAuthorization<AuthorityId> auth = org.liaison.gateway.tls.ClientAuthorization.of(ctx.channel());
        if (auth == null) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the connection is not authenticated");
        }
        try {
            auth.current(java.time.Instant.now());
        } catch (java.security.cert.CertificateException e) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the certificate of this connection is no longer accepted: "
                    + e.getMessage());
        }
    }

    /**
     * Stores and receipts a complete message off the event loop; reading pauses meanwhile, and the
     * answer is written back on the event loop.
     */
    private void finish(ChannelHandlerContext ctx, AuthorityId peer, IncomingMessage done) {
        finishing = true;
        org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "store the message", done::finish, (receipt, failure) -> {
            finishing = false;
            if (failure != null) {
                done.fail(); // idempotent: a failed finish has dropped the staging already
                refuse(ctx, peer, done.messageId(), failure);
                return;
            }
            node.metrics().received();
            respond(ctx, HttpResponseStatus.OK, RECEIPT_TYPE, receipt, false);
            LOG.info("received message {} from {} ({})", done.messageId(), peer, done.timing());
        });
    }

    /** Audits and counts a refusal, drops what was received, answers with the error document and closes. */
    private void refuse(ChannelHandlerContext ctx, AuthorityId peer, String id, ProtocolException e) {
        // Appended without an fsync of its own (a refusal acknowledges nothing; the next durable entry covers it), on a
        // worker. The refusal is answered even when it cannot be audited (a full disk): the peer learns why.
        AuditEvent rejected = AuditEvent.of("reject", peer == null ? "unknown" : peer.value(), id, peer == null ? null : peer.value(),
                "refused", e.code().code() + " " + e.getMessage());
        org.liaison.gateway.net.Workers.quietly(finishers, () -> node.audit().append(rejected), "audit a refusal");
        LOG.warn("refused a message from {}: {} [{}]", peer, e.getMessage(), e.code().code());
        node.metrics().refused(e.code().code());
        if (message != null) {
            message.fail();
            message = null;
        }
        respond(ctx, org.liaison.gateway.net.HttpStatuses.of(e.code()), ERROR_TYPE, ErrorDocuments.write(e.code(), e.getMessage(), null), true);
    }

    /** Peers that hold our checkpoints ask for consistency proofs between them. */
    private void answerAuditRequest(ChannelHandlerContext ctx, AuthorityId peer, HttpRequest req) throws ProtocolException {
        io.netty.handler.codec.http.QueryStringDecoder q = new io.netty.handler.codec.http.QueryStringDecoder(req.uri());
        if (!CONSISTENCY_PATH.equals(q.path())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "unknown request GET " + q.path() + " (expected GET "
                    + CONSISTENCY_PATH + ")");
        }
        long from;
        long to;
        try {
            from = Long.parseLong(q.parameters().getOrDefault("from", List.of("")).get(0));
            to = Long.parseLong(q.parameters().getOrDefault("to", List.of("")).get(0));
        } catch (NumberFormatException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "from and to must be tree sizes");
        }
        String key = node.audit().verifierKey();
        if (key == null) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, "this node keeps no signed audit log");
        }
        // Off the event loop: a log shared in PostgreSQL reads the entries appended since (a database query).
        org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "prove the audit log's consistency", () -> {
            try {
                return AuditProofs.writeProof(key, from, to, node.audit().consistencyProof(from, to));
            } catch (IllegalArgumentException e) {
                throw new ProtocolException(ErrorCode.NOT_FOUND, e.getMessage());
            } catch (java.io.IOException e) {
                throw new ProtocolException(ErrorCode.INTERNAL, "cannot write the proof");
            }
        }, (proof, failure) -> {
            if (failure != null) {
                refuse(ctx, peer, null, failure);
                return;
            }
            respond(ctx, HttpResponseStatus.OK, JSON_TYPE, proof, false);
        });
    }

    private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, String type, byte[] body, boolean close) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        // The peers' operators compare clocks with it (liaison doctor): envelopes are refused beyond a few minutes of skew.
        r.headers().set(HttpHeaderNames.DATE, io.netty.handler.codec.DateFormatter.format(new java.util.Date()));
        if (close) {
            answered = true;
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(r);
        }
    }

    /** Whether the message's envelope is being checked on a worker (which then owns its staging until it calls back). */
    private boolean checking;

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        held.clear();
        dropNotice();
        suspendMessage();
        super.channelInactive(ctx);
    }

    /** The connection broke or stalled: the message's staged bytes stay for a resumed transfer. */
    private void suspendMessage() {
        if (message != null && !checking) {
            message.suspend();
            message = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        AuthorityId peer = PeerAuthenticationHandler.peerOf(ctx.channel());
        if (cause instanceof ReadTimeoutException) {
            AuditEvent stalled = AuditEvent.of("timeout", peer == null ? "unknown" : peer.value(), null, null, "closed", "the peer stalled");
            org.liaison.gateway.net.Workers.quietly(finishers, () -> node.audit().append(stalled), "audit a stalled peer");
        } else {
            LOG.debug("connection from {} failed: {}", peer, cause.toString());
        }
        suspendMessage();
        dropNotice();
        ctx.close();
    }

    /** A notice half received is dropped: its bytes leave the budget. */
    private void dropNotice() {
        notice = null;
        if (noticeLease != null) {
            noticeLease.release();
            noticeLease = null;
        }
    }
}
