package org.liaison.gateway.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.gateway.net.PayloadSink;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.net.ResumeFrom;
import org.liaison.gateway.net.StreamedBody;
import org.liaison.gateway.net.Workers;
import org.liaison.gateway.peer.LengthPrefixed;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.xml.XmlLimits;

/**
 * The outbox's side of the local API: {@code POST SUBMIT} streams an investigator's package (4-byte
 * manifest length, signed manifest, the files' bytes in order) into an {@link Submissions.Upload}, the manifest
 * checked before any file byte; {@code GET SUBMIT} says where a broken upload resumes.
 */
final class Uploads {
    private final LocalNode node;
    private final Submissions outbox;
    private final ReadAccess access;

    Uploads(LocalNode node, Submissions outbox, ReadAccess access) {
        this.node = node;
        this.outbox = outbox;
        this.access = access;
    }

    /** Where a broken upload with this key resumes: {@code {"offset": file bytes kept}} (0: send it whole). */
    Answer parked(Request<LocalUser> request) throws ProtocolException, IOException {
        String key = request.header(LocalApi.IDEMPOTENCY_KEY);
        if (key == null) {
            throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "GET " + LocalApi.SUBMIT + " needs the " + LocalApi.IDEMPOTENCY_KEY
                    + " of the upload");
        }
        long offset = outbox.parkedBytes(request.principal().certificate(), key);
        return Answer.json(Map.of("offset", offset));
    }

    StreamedBody open(Request<LocalUser> request, BufferBudget.Lease lease) throws ProtocolException {
        return new Submit(request, lease);
    }

    /** The framing of a streamed submission. */
    private final class Submit implements StreamedBody {
        final BufferBudget.Lease lease;
        final LengthPrefixed head;
        byte[] manifest;
        Submissions.Upload session;
        final String idempotencyKey;
        final String inReplyTo;
        final LocalUser user;
        /** Where the file bytes are digested and encrypted, in order, off the event loop. */
        PayloadSink sink;
        /** The first failure of a queued write; the upload is refused with it. */
        volatile ProtocolException sinkFailure;
        Consumer<ProtocolException> onSinkFailure = e -> { };
        private boolean aborted;
        private boolean suspended;
        final long resumeFrom;

        Submit(Request<LocalUser> req, BufferBudget.Lease lease) throws ProtocolException {
            this.resumeFrom = ResumeFrom.parse(req.header(ResumeFrom.HEADER));
            this.lease = lease;
            this.head = new LengthPrefixed(XmlLimits.DEFAULT.maxBytes(), "manifest", lease);
            this.idempotencyKey = req.header(LocalApi.IDEMPOTENCY_KEY);
            this.inReplyTo = req.header(LocalApi.IN_REPLY_TO);
            this.user = req.principal();
        }

        @Override
        public void writeOn(Executor writers, PayloadSink.Flow flow, Consumer<ProtocolException> failed) {
            sink = new PayloadSink(writers, flow);
            onSinkFailure = failed;
        }

        /** Whether the manifest is complete and waits for {@link #check} (off the event loop) before any file byte. */
        @Override
        public boolean awaitingCheck() {
            return head.complete() && session == null;
        }

        @Override
        public void accept(ByteBuffer data) throws ProtocolException {
            while (data.hasRemaining()) {
                if (!head.complete()) {
                    manifest = head.accept(data);
                    if (manifest != null) {
                        return; // check() runs off the event loop first
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
         * loop. Answering a message needs the right to read it ({@link ReadAccess#readable}), checked before anything else.
         */
        @Override
        public void check() throws ProtocolException, IOException {
            UUID conversation = null;
            UUID replyTo = null;
            if (inReplyTo != null) {
                replyTo = ReadAccess.parseId(inReplyTo);
                Optional<MessageStore.Received> original = node.store().inbox().received(replyTo);
                if (original.isEmpty()) {
                    throw new ProtocolException(ErrorCode.NOT_FOUND, "message " + replyTo + " is not in this node's inbox");
                }
                conversation = access.readable(user, original.get(), ReadAccess.Use.ANSWER).envelope().header().conversationId();
            }
            // The manifest is verified, and its signer must be this user, before the key is looked up.
            Submissions.Upload made = outbox.begin(manifest, user.certificate(), idempotencyKey, conversation, replyTo, null, resumeFrom);
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
                sinkFailure = Workers.refusal("store the upload", e);
            }
            onSinkFailure.accept(sinkFailure);
        }

        /** Seals and stores the upload (on a worker); any failure drops it. */
        @Override
        public Answer finish() throws Exception {
            try {
                UUID id = seal();
                node.audit().record(AuditEvent.of(node.clock(), "submit-accepted", user.actor(), id.toString(), null, "ok", null));
                return Answer.json(Map.of("messageId", id.toString()));
            } catch (Exception e) {
                fail();
                throw e;
            }
        }

        private UUID seal() throws ProtocolException, IOException {
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
         * queued, so that the same submission resumes where it stopped (see {@link Submissions.Upload#park}). Once.
         */
        @Override
        public void suspend() {
            synchronized (this) {
                if (suspended) {
                    return;
                }
                suspended = true;
            }
            lease.release();
            if (session == null || session.existing() != null || sink == null) {
                fail();
                return;
            }
            sink.execute(() -> {
                synchronized (this) {
                    if (aborted || sinkFailure != null) {
                        fail();
                    } else {
                        aborted = true; // nothing more is written through this request
                        session.park();
                    }
                }
            });
        }

        /** The package is being checked: the upload is dropped, now if it has no session yet, else once the check made it. */
        @Override
        public void disconnectedDuringCheck() {
            suspend();
        }

        /**
         * Drops the upload. No queued write runs after this (the flag is set under the writers' lock); the
         * staged files are removed on the writers, after any write in progress, not on the event loop.
         */
        @Override
        public void fail() {
            Submissions.Upload made;
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

        @Override
        public String id() {
            return null;
        }
    }
}
