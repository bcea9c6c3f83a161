package org.liaison.gateway.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.node.Outbox;
import org.liaison.gateway.node.NodeState;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.File;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;

/**
 * The local API, for the people of this authority (JSON answers; errors as
 * {@code {"error": "LIAISON:0018", "message": "…"}}):
 *
 * <pre>
 *   POST /liaison/v1/local/submit         investigator: 4-byte manifest length, signed manifest, file bytes in order
 *                                          (headers Idempotency-Key, X-Liaison-In-Reply-To) → {"messageId": …}
 *   GET  /liaison/v1/local/messages       investigator, operator: sent messages and each recipient's delivery state
 *   GET  /liaison/v1/local/messages/ID    the same for one message
 *   GET  /liaison/v1/local/inbox          investigator, operator: received messages
 *   GET  /liaison/v1/local/inbox/ID       investigator: the package, decrypted on the fly: 4-byte manifest length,
 *                                          manifest (as signed), file bytes in order
 *   GET  /liaison/v1/local/audit          auditor: a copy of the audit log: 4-byte length, verifier key (UTF-8),
 *                                          8-byte length, checkpoints file, 8-byte length, entries file
 * </pre>
 */
public final class LocalApiHandler extends SimpleChannelInboundHandler<HttpObject> {
    public static final String PREFIX = LocalApi.PREFIX;
    /** {@code POST PREFIX/inbox/ID/quarantine} (operator), with the reason, URL-encoded UTF-8, in {@link #REASON_HEADER}. */
    public static final String QUARANTINE = LocalApi.QUARANTINE;
    public static final String REASON_HEADER = LocalApi.REASON;
    private static final Logger LOG = LogManager.getLogger(LocalApiHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final NodeState node;
    private final Outbox outbox;
    private HttpRequest request;
    private InputStream streaming;
    private Submit submit;
    private boolean answered;

    private final java.util.concurrent.Executor finishers;

    private final java.util.concurrent.Executor writers;

    /**
     * @param finishers where a finished upload is sealed and stored (fsyncs, signatures), off the event loop
     * @param writers where upload bytes are digested and encrypted while the event loop reads on
     */
    public LocalApiHandler(NodeState node, Outbox outbox, java.util.concurrent.Executor finishers, java.util.concurrent.Executor writers) {
        this.node = node;
        this.outbox = outbox;
        this.finishers = finishers;
        this.writers = writers;
    }

    /** The framing of a streamed submission. */
    private final class Submit {
        final org.liaison.gateway.net.BufferBudget.Lease lease;
        final org.liaison.gateway.peer.LengthPrefixed head;
        byte[] manifest;
        Outbox.Session session;
        final String idempotencyKey;
        final String inReplyTo;
        final LocalUser user;
        /** Where the file bytes are digested and encrypted, in order, off the event loop. */
        org.liaison.gateway.net.PayloadSink sink;
        /** The first failure of a queued write; the upload is refused with it. */
        volatile ProtocolException sinkFailure;
        java.util.function.Consumer<ProtocolException> onSinkFailure = e -> { };
        private boolean aborted;

        final long resumeFrom;

        Submit(HttpRequest req, LocalUser user, org.liaison.gateway.net.BufferBudget.Lease lease) throws ProtocolException {
            this.resumeFrom = org.liaison.gateway.peer.ReceiveHandler.resumeFrom(req);
            this.lease = lease;
            this.head = new org.liaison.gateway.peer.LengthPrefixed(XmlLimits.DEFAULT.maxBytes(), "manifest", lease);
            this.idempotencyKey = req.headers().get(LocalApi.IDEMPOTENCY_KEY);
            this.inReplyTo = req.headers().get(LocalApi.IN_REPLY_TO);
            this.user = user;
        }

        /** Whether the manifest is complete and waits for {@link #begin} (off the event loop) before any file byte. */
        boolean awaitingBegin() {
            return head.complete() && session == null;
        }

        void accept(ByteBuffer data) throws ProtocolException, IOException {
            while (data.hasRemaining()) {
                if (!head.complete()) {
                    manifest = head.accept(data);
                    if (manifest != null) {
                        return; // begin() runs off the event loop first
                    }
                } else if (session == null) {
                    throw new IllegalStateException("file bytes before the package was checked");
                } else {
                    if (session.existing() != null) {
                        data.position(data.limit());
                    } else if (sinkFailure != null) {
                        throw sinkFailure;
                    } else {
                        sink.write(data, this::writeQueued);
                    }
                }
            }
        }

        /**
         * Checks the package (signature, signer, idempotency key, the message replied to): blocking, off the event
         * loop. Answering a message needs the right to read it ({@link #readable}), checked before anything else.
         */
        void begin() throws ProtocolException, IOException {
            UUID conversation = null;
            UUID replyTo = null;
            if (inReplyTo != null) {
                replyTo = parseId(inReplyTo);
                Optional<MessageStore.Received> original = node.store().received(replyTo);
                if (original.isEmpty()) {
                    throw new ProtocolException(ErrorCode.NOT_FOUND, "message " + replyTo + " is not in this node's inbox");
                }
                conversation = readable(user, original.get(), Use.ANSWER).envelope().header().conversationId();
            }
            // The manifest is verified, and its signer must be this user, before the key is looked up.
            Outbox.Session made = outbox.begin(manifest, user.certificate(), idempotencyKey, conversation, replyTo, null, resumeFrom);
            synchronized (this) {
                if (aborted) { // the connection broke while the package was checked: nothing may stay staged
                    made.abort();
                    throw new ProtocolException(ErrorCode.UNAVAILABLE, "the upload was cut off");
                }
                session = made;
            }
        }

        /** On the sink's worker: file bytes queued by {@link #accept}, in order. */
        private synchronized void writeQueued(ByteBuffer data) {
            if (aborted || sinkFailure != null) {
                return; // refused or broken meanwhile: the rest is dropped
            }
            try {
                session.write(data);
                return;
            } catch (ProtocolException e) {
                sinkFailure = e;
            } catch (IOException | RuntimeException e) {
                sinkFailure = org.liaison.gateway.net.Workers.refusal("store the upload", e);
            }
            onSinkFailure.accept(sinkFailure);
        }

        UUID finish() throws ProtocolException, IOException {
            lease.release();
            if (session == null) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "the upload ended before the manifest was complete");
            }
            try {
                sink.drain(); // every queued byte encrypted
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProtocolException(ErrorCode.UNAVAILABLE, "the node is stopping");
            }
            if (sinkFailure != null) {
                throw sinkFailure;
            }
            synchronized (this) {
                return session.finish();
            }
        }

        /**
         * The connection broke: an upload with an idempotency key is parked, after the bytes already
         * queued, so that the same submission resumes where it stopped (see {@link Outbox#park}).
         */
        void suspend() {
            lease.release();
            if (session == null || session.existing() != null || sink == null) {
                abort();
                return;
            }
            sink.execute(() -> {
                synchronized (this) {
                    if (aborted || sinkFailure != null) {
                        abort();
                    } else {
                        aborted = true; // nothing more is written through this request
                        outbox.park(session);
                    }
                }
            });
        }

        /**
         * Drops the upload. No queued write runs after this (the flag is set under the writers' lock); the
         * staged files are removed on the writers, after any write in progress, not on the event loop.
         */
        void abort() {
            Outbox.Session made;
            synchronized (this) {
                aborted = true;
                made = session;
            }
            lease.release();
            if (made != null) {
                if (sink != null) {
                    sink.execute(made::abort);
                } else {
                    made.abort();
                }
            }
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        if (answered) {
            return;
        }
        LocalUser user = ctx.channel().attr(LocalServer.USER).get();
        try {
            if (msg.decoderResult().isFailure()) {
                throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "malformed or oversized request");
            }
            if (msg instanceof HttpRequest) {
                request = (HttpRequest) msg;
                if (HttpMethod.POST.equals(request.method()) && request.uri().equals(PREFIX + "submit")) {
                    require(user, Role.INVESTIGATOR);
                    submit = new Submit(request, user, node.buffers().lease(ctx.channel()));
                    encryptOffLoop(ctx, user, submit);
                } else if (io.netty.handler.codec.http.HttpUtil.getContentLength(request, 0L) > 0) {
                    throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "only a submit has a body");
                }
            }
            if (msg instanceof HttpContent) {
                if (submit != null) {
                    if (held.waiting()) { // decoded before reading paused: kept until the package is checked
                        held.hold((HttpContent) msg);
                        return;
                    }
                    feedSubmit(ctx, user, ((HttpContent) msg).content(), msg instanceof LastHttpContent);
                } else if (msg instanceof LastHttpContent) {
                    answer(ctx, user, request);
                }
            }
        } catch (ProtocolException e) {
            refuse(ctx, user, e);
        } catch (RuntimeException e) {
            refuse(ctx, user, org.liaison.gateway.net.Workers.refusal("complete the request", e));
        }
    }

    /** Hands an upload's file bytes to the writers, reading paused while too many wait; a failed write refuses it. */
    private void encryptOffLoop(ChannelHandlerContext ctx, LocalUser user, Submit s) {
        s.sink = new org.liaison.gateway.net.PayloadSink(writers, org.liaison.gateway.net.PayloadSink.Flow.autoRead(ctx,
                () -> submit == s && !answered && !held.waiting()));
        s.onSinkFailure = failure -> ctx.executor().execute(() -> {
            if (submit == s && !answered) {
                refuse(ctx, user, failure);
            }
        });
    }

    /**
     * An investigator acknowledges or declines a received request: a person who may read it (its
     * protection marks' clearances), a reason code for a decline, an optional note. Idempotent: the same
     * stage again answers {@code "new": false}.
     */
    private Answer decide(LocalUser user, UUID id, boolean decline, String reasonCode, String note) throws ProtocolException {
        MessageStore.Received r = node.store().received(id).orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND,
                "no received message " + id));
        readable(user, r, decline ? Use.DECLINE : Use.ACKNOWLEDGE);
        String reason = null;
        if (decline) {
            if (reasonCode == null) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a decline needs a reason code: one of "
                        + String.join(", ", org.liaison.protocol.envelope.Notices.reasons()));
            }
            reason = org.liaison.protocol.envelope.Notices.reason(reasonCode);
        } else if (reasonCode != null) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "an acknowledgement has no reason code");
        }
        String text = decoded(note, LocalApi.NOTE);
        if (text != null) {
            if (text.length() > 4096 || text.chars().anyMatch(c -> c < 0x20 && c != '\n')) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a note has at most 4096 characters and no control characters");
            }
        }
        String stage = decline ? org.liaison.gateway.node.Stages.DECLINED : org.liaison.gateway.node.Stages.ACKNOWLEDGED;
        boolean fresh = node.stages().decide(r, stage, reason, text, user.actor());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("messageId", id.toString());
        out.put("to", r.sender().value());
        out.put("stage", stage);
        out.put("reason", reason);
        out.put("new", fresh);
        return c -> json(c, HttpResponseStatus.OK, out);
    }

    /** Upload bytes kept while the package is checked off the event loop. */
    private final org.liaison.gateway.net.HeldBody held = new org.liaison.gateway.net.HeldBody();

    private void feedSubmit(ChannelHandlerContext ctx, LocalUser user, io.netty.buffer.ByteBuf content, boolean last)
            throws ProtocolException {
        ByteBuffer[] buffers = content.nioBuffers();
        try {
            for (int i = 0; i < buffers.length; i++) {
                submit.accept(buffers[i]);
                if (submit.awaitingBegin()) {
                    held.pause(buffers, i, last);
                    Submit s = submit;
                    org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "check the package", () -> {
                        s.begin();
                        return Boolean.TRUE;
                    }, (ok, failure) -> {
                        try {
                            if (failure != null) {
                                held.clear();
                                refuse(ctx, user, failure);
                                return;
                            }
                            held.resume((c, l) -> feedSubmit(ctx, user, c, l), () -> submit == s && !answered);
                        } catch (ProtocolException e) {
                            refuse(ctx, user, e);
                        }
                    });
                    return;
                }
            }
        } catch (IOException e) {
            throw org.liaison.gateway.net.Workers.refusal("store the upload", e);
        }
        if (last) {
            finishSubmit(ctx, user);
        }
    }

    /** What a request's answer is, worked out off the event loop; written on it. */
    private interface Answer {
        void write(ChannelHandlerContext ctx) throws IOException;
    }

    /** Works the answer out on a worker (store, decryption, audit), reading paused; writes it on the event loop. */
    private void answer(ChannelHandlerContext ctx, LocalUser user, HttpRequest req) {
        request = null;
        org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "answer the request", () -> {
            try {
                return route(user, req);
            } catch (IOException | RuntimeException e) {
                throw org.liaison.gateway.net.Workers.refusal("complete the request", e);
            }
        }, (answer, failure) -> {
            if (failure != null) {
                refuse(ctx, user, failure);
                return;
            }
            try {
                answer.write(ctx);
            } catch (IOException e) {
                ctx.close();
            }
        });
    }

    private Answer route(LocalUser user, HttpRequest request) throws ProtocolException, IOException {
        String uri = request.uri();
        if (HttpMethod.POST.equals(request.method()) && uri.startsWith(PREFIX + "inbox/") && uri.endsWith(QUARANTINE)) {
            require(user, Role.OPERATOR);
            UUID id = parseId(uri.substring((PREFIX + "inbox/").length(), uri.length() - QUARANTINE.length()));
            return quarantine(user, id, decoded(request.headers().get(REASON_HEADER), REASON_HEADER));
        }
        if (HttpMethod.POST.equals(request.method()) && (uri.equals(LocalApi.CASE_ASSIGN) || uri.equals(LocalApi.CASE_UNASSIGN))) {
            require(user, Role.OPERATOR);
            return assignment(user, uri.equals(LocalApi.CASE_ASSIGN), caseRef(decoded(request.headers().get(LocalApi.CASE), LocalApi.CASE)),
                    decoded(request.headers().get(LocalApi.PERSON), LocalApi.PERSON));
        }
        if (HttpMethod.GET.equals(request.method()) && uri.equals(LocalApi.CASES)) {
            require(user, Role.OPERATOR, Role.INVESTIGATOR);
            List<Object> list = new ArrayList<>();
            for (MessageStore.Assignment a : node.store().assignments()) {
                if (user.roles().contains(Role.OPERATOR) || CaseAccess.is(a.person(), user)) {
                    Map<String, Object> x = new LinkedHashMap<>();
                    x.put("case", a.caseRef());
                    x.put("person", a.person());
                    x.put("assignedBy", a.assignedBy());
                    x.put("assignedAt", a.assignedAt().toString());
                    list.add(x);
                }
            }
            return c -> json(c, HttpResponseStatus.OK, list);
        }
        if (HttpMethod.POST.equals(request.method()) && uri.equals(LocalApi.CASE_DELETE)) {
            require(user, Role.OPERATOR);
            String caseRef = caseRef(decoded(request.headers().get(LocalApi.CASE), LocalApi.CASE));
            String reason = decoded(request.headers().get(REASON_HEADER), REASON_HEADER);
            if (reason == null || reason.isBlank() || reason.length() > 500 || reason.chars().anyMatch(ch -> ch < 0x20)) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a reason of 1 to 500 characters on one line is needed");
            }
            org.liaison.gateway.node.Retention.Deleted d = node.retention().deleteCase(caseRef, user.actor(), reason);
            if (d.received().isEmpty() && d.sent().isEmpty()) {
                throw new ProtocolException(ErrorCode.NOT_FOUND, "no message of case " + caseRef + " is held here");
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("case", caseRef);
            out.put("received", d.received().stream().map(UUID::toString).toList());
            out.put("sent", d.sent().stream().map(UUID::toString).toList());
            return c -> json(c, HttpResponseStatus.OK, out);
        }
        if (HttpMethod.POST.equals(request.method()) && uri.startsWith(PREFIX + "inbox/")
                && (uri.endsWith(LocalApi.ACKNOWLEDGE) || uri.endsWith(LocalApi.DECLINE))) {
            require(user, Role.INVESTIGATOR);
            boolean decline = uri.endsWith(LocalApi.DECLINE);
            String tail = decline ? LocalApi.DECLINE : LocalApi.ACKNOWLEDGE;
            UUID id = parseId(uri.substring((PREFIX + "inbox/").length(), uri.length() - tail.length()));
            return decide(user, id, decline, request.headers().get(LocalApi.REASON_CODE), request.headers().get(LocalApi.NOTE));
        }
        if (!HttpMethod.GET.equals(request.method())) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "unknown request " + request.method() + " " + uri);
        }
        if (uri.equals(PREFIX + "messages") || uri.startsWith(PREFIX + "messages?")) {
            require(user, Role.INVESTIGATOR, Role.OPERATOR);
            ListingQuery query = ListingQuery.sent(new io.netty.handler.codec.http.QueryStringDecoder(uri).parameters());
            ListingPages.Page page = ListingPages.sent(node.store(), query, access(user).viewer(), node.clock().instant(), this::sentRow);
            return c -> page(c, page);
        } else if (uri.startsWith(PREFIX + "messages/")) {
            require(user, Role.INVESTIGATOR, Role.OPERATOR);
            UUID id = parseId(uri.substring((PREFIX + "messages/").length()));
            CaseAccess.View access = access(user);
            MessageStore.Outgoing o = node.store().outgoing(id).filter(access::follows)
                    .orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND, "no sent message " + id + " of yours"));
            Map<String, Object> st = status(o);
            return c -> json(c, HttpResponseStatus.OK, st);
        } else if (uri.equals(LocalApi.SUBMIT)) {
            // Where a broken upload with this key resumes: {"offset": file bytes kept} (0: send it whole).
            require(user, Role.INVESTIGATOR);
            String key = request.headers().get(LocalApi.IDEMPOTENCY_KEY);
            if (key == null) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "GET " + LocalApi.SUBMIT + " needs the " + LocalApi.IDEMPOTENCY_KEY
                        + " of the upload");
            }
            long offset = outbox.parkedBytes(user.certificate(), key);
            return c -> json(c, HttpResponseStatus.OK, Map.of("offset", offset));
        } else if (uri.equals(PREFIX + "inbox") || uri.startsWith(PREFIX + "inbox?")) {
            require(user, Role.INVESTIGATOR, Role.OPERATOR);
            ListingQuery query = ListingQuery.inbox(new io.netty.handler.codec.http.QueryStringDecoder(uri).parameters());
            CaseAccess.View access = access(user);
            ListingPages.Page page = ListingPages.inbox(node.store(), query, access.viewer(), node.clock().instant(),
                    l -> listed(l.row(), user, access));
            return c -> page(c, page);
        } else if (uri.equals(PREFIX + "audit")) {
            require(user, Role.AUDITOR);
            return auditSnapshot(user);
        } else if (uri.startsWith(PREFIX + "inbox/")) {
            require(user, Role.INVESTIGATOR);
            UUID id = parseId(uri.substring((PREFIX + "inbox/").length()));
            MessageStore.Received r = node.store().received(id).orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND,
                    "no received message " + id));
            try {
                return fetch(user, r, LocalApi.rangeStart(request.headers().get(HttpHeaderNames.RANGE)));
            } catch (ProtocolException e) {
                if (e.code() == ErrorCode.STORED_DATA_CORRUPT || e.code() == ErrorCode.DECRYPTION_FAILED) {
                    storedDataIncident(r, e.getMessage());
                    node.audit().record(AuditEvent.of("fetch-failed", user.actor(), r.messageId().toString(), r.sender().value(),
                            "failed", e.code().code() + " " + e.getMessage()));
                    throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "message " + id + " cannot be served: "
                            + e.getMessage() + "; the operator has been alerted");
                }
                throw e;
            }
        } else {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "unknown request GET " + uri);
        }
    }

    /** Seals and stores an upload off the event loop, reading paused meanwhile; answers on the event loop. */
    private void finishSubmit(ChannelHandlerContext ctx, LocalUser user) {
        Submit s = submit;
        submit = null;
        org.liaison.gateway.net.Workers.offLoop(ctx, finishers, "complete the request", () -> {
            try {
                UUID id = s.finish();
                node.audit().record(AuditEvent.of("submit-accepted", user.actor(), id.toString(), null, "ok", null));
                return id;
            } catch (Exception e) {
                s.abort();
                throw e;
            }
        }, (id, failure) -> {
            if (failure != null) {
                s.abort(); // idempotent; needed when the pool refused the work
                refuse(ctx, user, failure);
                return;
            }
            try {
                json(ctx, HttpResponseStatus.OK, Map.of("messageId", id.toString()));
            } catch (IOException e) {
                ctx.close();
            }
        });
    }

    /** A listed sent message; one that cannot be read is listed with its problem (it does not break the listing). */
    private Map<String, Object> sentRow(MessageStore.Listed<MessageStore.Outgoing> l) {
        MessageStore.Outgoing o = l.row();
        try {
            return status(o);
        } catch (ProtocolException | RuntimeException e) {
            if (node.metrics().storedDataFailure(o.messageId())) {
                LOG.error("STORED DATA: sent message {} cannot be read: {}", o.messageId(), e.getMessage());
            }
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("messageId", o.messageId().toString());
            x.put("created", o.createdAt().toString());
            x.put("problem", e.getMessage() == null ? "unreadable" : e.getMessage());
            return x;
        }
    }

    /** A page of a listing: its rows, and the cursor of the next page in {@link LocalApi#NEXT_PAGE} when more follow. */
    private void page(ChannelHandlerContext ctx, ListingPages.Page page) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(page.rows());
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (page.next() != null) {
            r.headers().set(LocalApi.NEXT_PAGE, page.next());
        }
        ctx.writeAndFlush(r);
        request = null;
    }

    /**
     * A sent message's status, from the fields kept in the store at sealing: no envelope is read. A row
     * stored before they were kept has its envelope read once, here, and its fields filled.
     */
    private Map<String, Object> status(MessageStore.Outgoing o) throws ProtocolException {
        MessageStore.Sealed sealed = o.sealed();
        if (sealed == null && o.envelope() == null) { // a listed row (read without its envelope) stored before the fields were kept
            o = node.store().outgoing(o.messageId()).orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND, "gone"));
        }
        if (sealed == null) {
            sealed = MessageStore.Sealed.of(Envelopes.readStored(o.envelope(), o.recordedEnvelopeSha256()).header());
            node.store().recordSealed(o.messageId(), sealed);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("messageId", o.messageId().toString());
        m.put("conversationId", sealed.conversationId().toString());
        m.put("inReplyTo", sealed.inReplyTo() == null ? null : sealed.inReplyTo().toString());
        m.put("service", sealed.service());
        m.put("case", o.caseRef());
        m.put("to", sealed.to());
        m.put("created", o.createdAt().toString());
        m.put("expires", o.expiresAt().toString());
        if (o.respondBy() != null) {
            boolean answered = node.replyReceivedFor(o.messageId());
            m.put("respondBy", o.respondBy().toString());
            m.put("answered", answered);
            m.put("overdue", !answered && o.respondBy().isBefore(node.clock().instant()));
        }
        List<Object> ds = new ArrayList<>();
        List<MessageStore.Stage> stages = node.store().stages(o.messageId(), false);
        for (MessageStore.Delivery d : node.store().deliveries(o.messageId())) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("recipient", d.recipient().value());
            x.put("state", d.state().id());
            x.put("attempts", d.attempts());
            x.put("nextAttempt", d.state() == MessageStore.State.RETRYING ? d.nextAttemptAt().toString() : null);
            x.put("deliveredAt", d.deliveredAt() == null ? null : d.deliveredAt().toString());
            x.put("receiptSha256", d.receipt() == null ? null : Envelopes.sha256(d.receipt()));
            x.put("lastError", d.lastError());
            List<Object> st = new ArrayList<>();
            for (MessageStore.Stage s : stages) {
                if (s.party().equals(d.recipient())) {
                    Map<String, Object> y = new LinkedHashMap<>();
                    y.put("stage", s.stage());
                    y.put("at", s.at().toString());
                    y.put("reason", s.reason());
                    y.put("note", noteOf(s));
                    st.add(y);
                }
            }
            x.put("stages", st);
            ds.add(x);
        }
        m.put("deliveries", ds);
        return m;
    }

    /** A case reference as the manifest schema allows it, or a clear refusal. */
    private static String caseRef(String s) throws ProtocolException {
        if (s == null || !s.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "a case reference (letters, digits, . _ / -; up to 64) is needed");
        }
        return s;
    }

    /** An operator assigns a person to a case, or takes them off it; audited. */
    private Answer assignment(LocalUser user, boolean assign, String caseRef, String named) throws ProtocolException {
        if (named == null) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "name the person: their certificate's subject or SHA256 fingerprint");
        }
        String person;
        try {
            person = CaseAccess.person(named);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, e.getMessage());
        }
        boolean changed = assign ? node.store().assign(new MessageStore.Assignment(caseRef, person, user.actor(), node.clock().instant()))
                : node.store().unassign(caseRef, person);
        if (changed) {
            node.audit().record(AuditEvent.of(assign ? "case-assign" : "case-unassign", user.actor(), null, null, "ok", null)
                    .with("case", caseRef).with("person", person));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("case", caseRef);
        out.put("person", person);
        out.put(assign ? "assigned" : "unassigned", changed);
        return c -> json(c, HttpResponseStatus.OK, out);
    }

    /** A URL-encoded header's value (null: absent). */
    private static String decoded(String value, String header) throws ProtocolException {
        try {
            return value == null ? null : java.net.URLDecoder.decode(value, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, header + ": not URL-encoded UTF-8");
        }
    }

    /** The note of a notice (verified when it arrived), or null. */
    private static String noteOf(MessageStore.Stage s) {
        if (s.xml() == null) {
            return null;
        }
        try {
            return Formats.fromElement(SecureXml.parse(s.xml(), XmlLimits.DEFAULT).getDocumentElement(),
                    org.liaison.protocol.model.Notice.class).getNote();
        } catch (ProtocolException e) {
            return null;
        }
    }

    private java.util.List<java.security.PrivateKey> decryptionKeys() {
        return node.decryptionKeys();
    }

    /**
     * One inbox row as listed. A row that cannot be read (changed at rest, or stored before the
     * node checked packages at reception) is listed with its problem instead of failing the
     * whole listing; a quarantined row is listed as such. Null: a message of a case this person is not on.
     */
    private Map<String, Object> listed(MessageStore.Received r, LocalUser user, CaseAccess.View access) {
        try {
            if (r.quarantine() != null) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("messageId", r.messageId().toString());
                x.put("from", r.sender().value());
                x.put("received", r.receivedAt().toString());
                x.put("quarantined", r.quarantine());
                return x;
            }
            Map<String, Object> summary = summary(r);
            if (!access.sees((String) summary.get("case"), inReplyTo(summary))) {
                return null; // need to know: not listed at all
            }
            return redacted(summary, user);
        } catch (ProtocolException | RuntimeException e) {
            String problem = e instanceof ProtocolException ? ((ProtocolException) e).code().code() + " " + e.getMessage()
                    : "unreadable: " + e.getClass().getSimpleName();
            storedDataIncident(r, problem);
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("messageId", r.messageId().toString());
            x.put("from", r.sender().value());
            x.put("received", r.receivedAt().toString());
            x.put("problem", problem);
            return x;
        }
    }

    /** Stored evidence that no longer reads as it was stored is an incident: an error line and a metric. */
    private void storedDataIncident(MessageStore.Received r, String problem) {
        if (!node.metrics().storedDataFailure(r.messageId())) {
            return; // known already: one error line and one count per message
        }
        LOG.error("STORED DATA: message {} from {} cannot be read: {} (quarantine it with 'liaison quarantine' and restore it"
                + " from a backup)", r.messageId(), r.sender(), problem);
    }

    /**
     * A person without the clearance a package's protection marks need sees that it exists — who sent it,
     * when, which service, its marks — but not its case, its files or its conversation.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> redacted(Map<String, Object> summary, LocalUser user) {
        List<String> missing = user.missingClearances((List<String>) summary.get("handling"));
        if (missing.isEmpty()) {
            return summary;
        }
        Map<String, Object> x = new LinkedHashMap<>();
        for (String k : List.of("messageId", "from", "service", "classification", "handling", "received", "respondBy", "answered",
                "overdue", "urgency")) {
            if (summary.containsKey(k)) {
                x.put(k, summary.get(k));
            }
        }
        x.put("clearanceRequired", missing);
        return x;
    }

    /**
     * A row as listed, from the listing fields kept in the store's columns: no envelope is read. A row stored
     * before they were kept has its envelope read once, here, and its listing filled for every later listing.
     */
    private Map<String, Object> summary(MessageStore.Received r) throws ProtocolException {
        MessageStore.Listing l = r.listing();
        String caseRef = r.caseRef();
        if (l == null) {
            MessageStore.Received whole = node.store().received(r.messageId()).filter(w -> w.sender().equals(r.sender()))
                    .orElseThrow(() -> new ProtocolException(ErrorCode.NOT_FOUND, "message " + r.messageId() + " is gone"));
            Envelopes.Stored env = Envelopes.readStored(whole.envelope(), whole.envelopeSha256());
            Envelopes.Opened o = Envelopes.open(env, node.me(), decryptionKeys());
            Manifest m = Formats.fromElement(SecureXml.parse(o.manifestXml(), XmlLimits.DEFAULT).getDocumentElement(), Manifest.class);
            l = MessageStore.Listing.of(m, env.header());
            caseRef = m.getCase();
            node.store().recordListing(r.sender(), r.messageId(), caseRef, l);
        }
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("messageId", r.messageId().toString());
        x.put("from", r.sender().value());
        x.put("service", l.service());
        x.put("case", caseRef);
        x.put("classification", l.classification());
        x.put("handling", l.handling());
        x.put("files", l.files());
        x.put("bytes", l.bytes());
        x.put("received", r.receivedAt().toString());
        if (l.respondBy() != null) {
            java.time.Instant by = l.respondBy();
            boolean answered = node.isAnswered(r.messageId());
            x.put("respondBy", by.toString());
            x.put("answered", answered);
            x.put("overdue", !answered && by.isBefore(node.clock().instant()));
        }
        if (l.urgency() != null) {
            x.put("urgency", l.urgency());
        }
        x.put("conversationId", l.conversationId().toString());
        x.put("inReplyTo", l.inReplyTo() == null ? null : l.inReplyTo().toString());
        x.put("stages", node.store().stages(r.messageId(), true).stream().map(MessageStore.Stage::stage).toList());
        return x;
    }

    /**
     * The package stream of a received message, from byte {@code from} on (a download that broke resumes
     * with {@code Range: bytes=FROM-}; the answer is then {@code 206} with the bytes from there). A resume
     * inside a file decrypts from the segment that holds {@code from}: nothing before it is read.
     */
    private Answer fetch(LocalUser user, MessageStore.Received r, long from) throws ProtocolException, IOException {
        Readable read = readable(user, r, Use.FETCH);
        Envelopes.Stored env = read.envelope();
        Envelopes.Opened o = read.opened();
        Manifest m = read.manifest();
        if (m.getFile().size() != env.payloads().size()) {
            throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "the manifest lists " + m.getFile().size() + " files but "
                    + env.payloads().size() + " payloads are stored");
        }
        long length = 4L + o.manifestXml().length + m.getFile().stream().mapToLong(File::getSize).sum();
        if (from < 0 || from >= length && from > 0) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "range: the package has " + length + " bytes, it cannot start at " + from);
        }
        List<InputStream> parts = new ArrayList<>();
        byte[] head = ByteBuffer.allocate(4 + o.manifestXml().length).putInt(o.manifestXml().length).put(o.manifestXml()).array();
        long skip = from; // bytes of the stream not sent: the head's first, then whole files', then the start of one file
        if (skip < head.length) {
            parts.add(new ByteArrayInputStream(head, (int) skip, head.length - (int) skip));
            skip = 0;
        } else {
            skip -= head.length;
        }
        for (int i = 0; i < m.getFile().size(); i++) {
            Path blob = BlobStore.payload(r.blobs(), i);
            long stored = Files.exists(blob) ? Files.size(blob) : -1;
            if (stored != env.payloads().get(i).ciphertextSize()) {
                throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "payload " + i + " is "
                        + (stored < 0 ? "missing" : stored + " bytes, not " + env.payloads().get(i).ciphertextSize()));
            }
        }
        for (int i = 0; i < m.getFile().size(); i++) {
            int index = i;
            long size = m.getFile().get(i).getSize();
            if (skip > 0 && skip >= size) {
                skip -= size;
                continue;
            }
            long within = skip;
            skip = 0;
            // Exactly the manifest's size per file, or an error: the response never holds more or fewer bytes than announced.
            parts.add(new ExactLength(() -> decryptFrom(o.contentKey(), index, BlobStore.payload(r.blobs(), index),
                    env.payloads().get(index).segmentSize(), within), size - within, "file " + i));
        }
        InputStream body = new SequenceInputStream(Collections.enumeration(parts));
        // The first chunk is read (and its payload segment authenticated) before anything is sent, so that
        // damage there gets a proper error answer, not a connection closed before any byte.
        byte[] first;
        try {
            first = body.readNBytes(64 * 1024);
        } catch (IOException e) {
            body.close();
            throw new ProtocolException(ErrorCode.STORED_DATA_CORRUPT, "a stored payload does not decrypt (" + e.getMessage() + ")");
        }
        AuditEvent fetched = AuditEvent.of("fetch", user.actor(), r.messageId().toString(), r.sender().value(), "ok",
                from > 0 ? "resumed at byte " + from : null).about(env.header()).with("case", m.getCase());
        node.audit().record(fetched);
        node.stages().opened(r); // the first time: the sender learns that this authority opened it (not who)
        InputStream all = new SequenceInputStream(new ByteArrayInputStream(first), body);
        return c -> {
            fetching = new Fetching(user, r);
            stream(c, LocalApi.PACKAGE_TYPE, from, length, all);
        };
    }

    /** The plaintext of a stored payload from byte {@code within} on, decrypting from the segment that holds it. */
    private static InputStream decryptFrom(javax.crypto.SecretKey key, int index, Path blob, int segmentSize, long within)
            throws IOException {
        InputStream in = org.liaison.gateway.store.SequentialReader.open(blob); // a large one past the page cache
        try {
            byte[] header = in.readNBytes(PayloadCipher.HEADER_SIZE);
            long segment = within / segmentSize;
            in.skipNBytes(PayloadCipher.ciphertextOffset(segment, segmentSize) - PayloadCipher.HEADER_SIZE);
            InputStream plain = PayloadCipher.decryptFrom(key, index, header, segment, in);
            plain.skipNBytes(within - segment * segmentSize);
            return plain;
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** The fetch being streamed, so that a failure midway is audited and reported. */
    private record Fetching(LocalUser user, MessageStore.Received message) {}

    private Fetching fetching;

    /** An input stream opened lazily that must yield exactly {@code size} bytes. */
    private static final class ExactLength extends InputStream {
        interface Opener {
            InputStream open() throws IOException;
        }

        private final Opener opener;
        private final String what;
        private InputStream in;
        private long left;

        ExactLength(Opener opener, long size, String what) {
            this.opener = opener;
            this.left = size;
            this.what = what;
        }

        private InputStream in() throws IOException {
            if (in == null) {
                in = opener.open();
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            org.liaison.gateway.net.EventLoops.assertOffLoop("reading and decrypting a stored payload");
            if (left == 0) {
                if (in().read() >= 0) {
                    throw new IOException(what + " holds more bytes than the manifest says");
                }
                return -1;
            }
            int n = in().read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException(what + " ended " + left + " bytes short of the manifest's size");
            }
            left -= n;
            return n;
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }

    /** An operator sets a received message aside: it stays stored (and audited) but is no longer listed or served. */
    private Answer quarantine(LocalUser user, UUID id, String reason) throws ProtocolException, IOException {
        if (reason == null || reason.isBlank() || reason.length() > 500 || reason.chars().anyMatch(c -> c < 0x20)) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "give a reason (header " + REASON_HEADER + ", 1 to 500 characters)");
        }
        if (!node.store().quarantine(id, reason)) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, "no received message " + id + " that is not already quarantined");
        }
        node.audit().record(AuditEvent.of("quarantine", user.actor(), id.toString(), null, "ok", reason));
        LOG.warn("message {} quarantined by {}", id, user.actor());
        return c -> json(c, HttpResponseStatus.OK, Map.of("messageId", id.toString(), "quarantined", reason));
    }

    /** An auditor's online copy of the log (see the class comment for the layout). */
    private Answer auditSnapshot(LocalUser user) throws ProtocolException, IOException {
        AuditLog.Snapshot s;
        try {
            s = node.audit().snapshot();
        } catch (UnsupportedOperationException e) {
            throw new ProtocolException(ErrorCode.NOT_FOUND, "this node keeps no audit log files");
        }
        byte[] key = s.verifierKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<InputStream> parts = new ArrayList<>();
        parts.add(new ByteArrayInputStream(ByteBuffer.allocate(4 + key.length + 8).putInt(key.length).put(key)
                .putLong(s.checkpointsLength()).array()));
        parts.add(prefix(s.checkpoints(), s.checkpointsLength()));
        parts.add(new ByteArrayInputStream(ByteBuffer.allocate(8).putLong(s.entriesLength()).array()));
        parts.add(prefix(s.entries(), s.entriesLength()));
        node.audit().record(AuditEvent.of("audit-copy", user.actor(), null, null, "ok", null)
                .with("entriesBytes", Long.toString(s.entriesLength())));
        long total = 4L + key.length + 8 + s.checkpointsLength() + 8 + s.entriesLength();
        InputStream copy = new SequenceInputStream(Collections.enumeration(parts));
        return c -> stream(c, LocalApi.AUDIT_LOG_TYPE, total, copy);
    }

    /** The first {@code length} bytes of a file that may still grow. */
    private static InputStream prefix(Path file, long length) throws IOException {
        return new java.io.FilterInputStream(Files.newInputStream(file)) {
            private long left = length;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = super.read();
                left -= b < 0 ? 0 : 1;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                left -= Math.max(n, 0);
                return n;
            }
        };
    }

    /** Answers with a body streamed from {@code body}, chunk by chunk as the client keeps up. */
    private void stream(ChannelHandlerContext ctx, String type, long length, InputStream body) {
        stream(ctx, type, 0, length, body);
    }

    /** Answers with the bytes from {@code from} of a body of {@code length} bytes ({@code 206} when {@code from} &gt; 0). */
    private void stream(ChannelHandlerContext ctx, String type, long from, long length, InputStream body) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, from > 0 ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, length - from);
        if (from > 0) {
            head.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + from + "-" + (length - 1) + "/" + length);
        }
        // Start streaming after this read has returned (not from inside the TLS decoder), then
        // pump chunk by chunk while the channel is writable: memory stays at one chunk.
        ctx.channel().eventLoop().execute(() -> {
            ctx.write(head);
            streaming = body;
            pump(ctx);
        });
        request = null;
    }

    /** A chunk of a fetched package being read (and decrypted) on a worker. */
    private boolean reading;
    static final int CHUNK = 128 * 1024;

    /**
     * Writes the next chunk of a fetched package while the peer keeps up; resumes on writability. The
     * chunk is read and decrypted on a worker (a disk read and AES-GCM, never on the event loop) while
     * the previous one is encrypted for TLS and written: memory stays at two chunks plus what the channel
     * holds.
     */
    private void pump(ChannelHandlerContext ctx) {
        InputStream in = streaming;
        if (in == null || reading || !ctx.channel().isWritable()) {
            return;
        }
        reading = true;
        try {
            finishers.execute(() -> {
                byte[] chunk = null;
                IOException failure = null;
                try {
                    chunk = in.readNBytes(CHUNK);
                } catch (IOException e) {
                    failure = e;
                }
                byte[] read = chunk;
                IOException failed = failure;
                ctx.executor().execute(() -> {
                    reading = false;
                    pumped(ctx, in, read, failed);
                });
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            reading = false;
            pumped(ctx, in, null, new IOException("the node is stopping"));
        }
    }

    /** On the event loop: writes what a worker read, or ends the download. */
    private void pumped(ChannelHandlerContext ctx, InputStream in, byte[] chunk, IOException failure) {
        if (streaming != in) {
            return; // the connection closed meanwhile (which closed the stream)
        }
        if (failure == null && chunk.length > 0) {
            pump(ctx); // the next chunk is read while this one is encrypted and written
            ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultHttpContent(Unpooled.wrappedBuffer(chunk)));
            return;
        }
        try {
            in.close();
        } catch (IOException ignored) {
            // closing a stream that was read to its end or failed
        }
        Fetching f = fetching;
        streaming = null;
        fetching = null;
        if (failure == null) {
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            return;
        }
        // A payload that fails authentication ends the response early: the client sees a short package and refuses it.
        ctx.close();
        if (f != null) {
            storedDataIncident(f.message(), failure.getMessage());
            finishers.execute(() -> node.audit().record(AuditEvent.of("fetch-failed", f.user().actor(),
                    f.message().messageId().toString(), f.message().sender().value(), "failed",
                    ErrorCode.STORED_DATA_CORRUPT.code() + " " + failure.getMessage())));
        } else {
            LOG.error("a download stopped: {}", failure.getMessage());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && streaming != null) {
            pump(ctx);
        }
        super.channelWritabilityChanged(ctx);
    }

    /** Need to know: what this user may follow and see (see {@link CaseAccess}). */
    private CaseAccess.View access(LocalUser user) {
        return CaseAccess.view(node.store(), user, node.caseAccess());
    }

    private static UUID inReplyTo(Map<String, Object> row) {
        Object v = row.get("inReplyTo");
        return v == null ? null : UUID.fromString((String) v);
    }

    /** What a person does with a received message; each needs the right to read it. */
    private enum Use {
        FETCH("fetch-refused", "open"),
        ACKNOWLEDGE("fetch-refused", "acknowledge"),
        DECLINE("fetch-refused", "decline"),
        /** A submission in reply to it ({@code X-Liaison-In-Reply-To}): it settles the request on both sides. */
        ANSWER("submit-refused", "answer");

        /** The audit event of a refusal. */
        final String refused;
        final String verb;

        Use(String refused, String verb) {
            this.refused = refused;
            this.verb = verb;
        }
    }

    /** A received message a person may read: its envelope, opened, and its manifest. */
    private record Readable(Envelopes.Stored envelope, Envelopes.Opened opened, Manifest manifest) {}

    /**
     * Whether this person may read a received message: the one place that decides it, for every use of
     * the message — fetching it, acknowledging or declining it, answering it (a reply settles the request
     * on both sides, and replies to it become its author's to read, so it needs the same right). Refused
     * when an operator set it aside (LIAISON:0031), when it belongs to a case the person is not on (need
     * to know, LIAISON:0035), or when its protection marks need a clearance the person's certificate does
     * not carry (LIAISON:0033). Each refusal is audited ({@link Use#refused}) and changes nothing.
     */
    private Readable readable(LocalUser user, MessageStore.Received r, Use use) throws ProtocolException {
        String id = r.messageId().toString();
        if (r.quarantine() != null) {
            node.audit().record(AuditEvent.of(use.refused, user.actor(), id, r.sender().value(), "refused",
                    ErrorCode.QUARANTINED.code() + " quarantined").with("use", use.verb));
            throw new ProtocolException(ErrorCode.QUARANTINED, "message " + id + " was set aside by an operator: " + r.quarantine());
        }
        Envelopes.Stored env = Envelopes.readStored(r.envelope(), r.envelopeSha256());
        Envelopes.Opened o = Envelopes.open(env, node.me(), decryptionKeys());
        Manifest m = Formats.fromElement(SecureXml.parse(o.manifestXml(), XmlLimits.DEFAULT).getDocumentElement(), Manifest.class);
        if (!access(user).sees(m.getCase(), env.header().inReplyTo())) {
            node.audit().record(AuditEvent.of(use.refused, user.actor(), id, r.sender().value(), "refused",
                    ErrorCode.NOT_ASSIGNED.code() + " not assigned to the case").about(env.header()).with("use", use.verb));
            throw new ProtocolException(ErrorCode.NOT_ASSIGNED, "message " + id + " belongs to case " + m.getCase()
                    + ", which you are not assigned to, so you may not " + use.verb + " it (an operator assigns people to cases:"
                    + " liaison cases assign)");
        }
        List<String> missing = user.missingClearances(m.getHandling().getFlag().stream().map(HandlingFlag::value).toList());
        if (!missing.isEmpty()) {
            node.audit().record(AuditEvent.of(use.refused, user.actor(), id, r.sender().value(), "refused",
                    ErrorCode.CLEARANCE_REQUIRED.code() + " no clearance for " + String.join(", ", missing)).about(env.header())
                    .with("use", use.verb));
            LOG.warn("refused message {} to {} ({}): no clearance for {}", id, user.actor(), use.verb, missing);
            throw new ProtocolException(ErrorCode.CLEARANCE_REQUIRED, "message " + id + " is marked " + String.join(", ", missing)
                    + ": only a person whose certificate carries that clearance may " + use.verb + " it (ask your national CA;"
                    + " liaison certs issue --clearance)");
        }
        return new Readable(env, o, m);
    }

    private static UUID parseId(String s) throws ProtocolException {
        try {
            return UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "message id: " + s + " (expected a UUID)");
        }
    }

    private static void require(LocalUser user, Role... roles) throws ProtocolException {
        for (Role r : roles) {
            if (user.roles().contains(r)) {
                return;
            }
        }
        throw new ProtocolException(ErrorCode.UNAUTHORIZED, user.name() + " has no role for this (needs "
                + java.util.Arrays.stream(roles).map(Role::id).toList() + ")");
    }

    private void json(ChannelHandlerContext ctx, HttpResponseStatus status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        ctx.writeAndFlush(r);
        request = null;
    }

    /**
     * How long a refused upload's connection stays open, its remaining bytes read and dropped, after the
     * answer (unless the client closes first): closing with unread bytes resets the connection, which can
     * discard the answer at the client before it reads it — the user would learn only that it broke.
     */
    static final long LINGER_MILLIS = 5_000;

    private void refuse(ChannelHandlerContext ctx, LocalUser user, ProtocolException e) {
        boolean uploading = submit != null; // the client may still be sending the package
        if (submit != null) {
            submit.abort();
            submit = null;
        }
        answered = true;
        // On a worker; the refusal is answered even when it cannot be audited (a full disk): the user learns why.
        AuditEvent rejected = AuditEvent.of("reject", user == null ? "unknown" : user.actor(), null, null, "refused",
                "local API: " + e.code().code() + " " + e.getMessage());
        org.liaison.gateway.net.Workers.quietly(finishers, () -> node.audit().append(rejected), "audit a refusal");
        Map<String, Object> body = LocalApi.error(e);
        HttpResponseStatus status = org.liaison.gateway.net.HttpStatuses.of(e.code());
        try {
            byte[] bytes = JSON.writeValueAsBytes(body);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            if (uploading) {
                held.clear();
                ctx.channel().config().setAutoRead(true); // the rest is read and dropped (answered: channelRead0 ignores it)
                ctx.writeAndFlush(r).addListener(f -> ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS,
                        java.util.concurrent.TimeUnit.MILLISECONDS));
            } else {
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        } catch (IOException x) {
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        held.clear();
        if (streaming != null) {
            streaming.close();
            streaming = null;
        }
        if (submit != null) {
            submit.suspend();
            submit = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("local API connection failed: {}", cause.toString());
        if (submit != null) {
            submit.suspend();
            submit = null;
        }
        ctx.close();
    }
}
