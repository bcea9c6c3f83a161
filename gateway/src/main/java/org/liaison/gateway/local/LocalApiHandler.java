package org.liaison.gateway.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.gateway.net.FrontDoor;
import org.liaison.gateway.net.Routes;
import org.liaison.gateway.net.Workers;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The local API, for the people of this authority (JSON answers; errors as
 * {@code {"error": "LIAISON:0018", "message": "…"}}): a route table over the {@link FrontDoor}, each route
 * a small service that knows no Netty type (see {@link LocalApi} for the contract):
 *
 * <pre>
 *   POST SUBMIT                          investigator   {@link Uploads}: the package streamed into the outbox
 *   GET  SUBMIT                          investigator   {@link Uploads}: where a broken upload resumes
 *   GET  MESSAGES, MESSAGES/ID           investigator, operator   {@link SentMessages}
 *   GET  INBOX?filters                   investigator, operator   {@link InboxListing}
 *   GET  INBOX/ID                        investigator   {@link Packages}: the package, decrypted as it streams
 *   POST INBOX/ID/acknowledge, /decline  investigator   {@link ReceivedActions}
 *   POST INBOX/ID/quarantine             operator       {@link ReceivedActions}
 *   GET  CASES                           operator, investigator   {@link Cases}
 *   POST CASES/assign, /unassign, /delete   operator   {@link Cases}
 *   GET  AUDIT                           auditor        {@link AuditCopy}
 *   GET  AUDIT_WITNESSES                 auditor        {@link AuditCopy#witnesses}
 *   GET  EVIDENCE/ID                     investigator, auditor   {@link EvidenceExport}: the message's ASiC-E container
 * </pre>
 */
public final class LocalApiHandler extends FrontDoor<LocalUser> {
    public static final String PREFIX = LocalApi.PREFIX;
    /** {@code POST PREFIX/inbox/ID/quarantine} (operator), with the reason, URL-encoded UTF-8, in {@link #REASON_HEADER}. */
    public static final String QUARANTINE = LocalApi.QUARANTINE;
    public static final String REASON_HEADER = LocalApi.REASON;
    private static final Logger LOG = LogManager.getLogger(LocalApiHandler.class);

    /**
     * How long a refused upload's connection stays open, its remaining bytes read and dropped, after the
     * answer (unless the client closes first): closing with unread bytes resets the connection, which can
     * discard the answer at the client before it reads it — the user would learn only that it broke.
     */
    static final long LINGER_MILLIS = 5_000;

    /**
     * @param finishers where answers are worked out (store, decryption, audit), uploads checked and sealed, downloads read
     * @param writers where upload bytes are digested and encrypted while the event loop reads on
     */
    public LocalApiHandler(LocalNode node, Submissions outbox, Executor finishers, Executor writers) {
        super(routes(node, outbox), new Policy(node, finishers), finishers, writers);
    }

    /** The local API's route table. */
    static Routes<LocalUser> routes(LocalNode node, Submissions outbox) {
        return routes(node, outbox, ReadAccess.parsing(node));
    }

    /** The route table with {@code opener} as the one place where stored envelopes are opened. */
    static Routes<LocalUser> routes(LocalNode node, Submissions outbox, ReadAccess.Opener opener) {
        ReadAccess access = new ReadAccess(node, opener);
        Uploads uploads = new Uploads(node, outbox, access);
        SentMessages sent = new SentMessages(node, access);
        InboxListing inbox = new InboxListing(node, access);
        Packages packages = new Packages(node, access);
        ReceivedActions actions = new ReceivedActions(node, access);
        Cases cases = new Cases(node);
        AuditCopy audit = new AuditCopy(node);
        EvidenceExport evidence = new EvidenceExport(node, access);
        String one = LocalApi.INBOX + "/{id}";
        return new Routes<LocalUser>()
                .streamed(LocalApi.SUBMIT, Long.MAX_VALUE, "package", uploads::open, Role.INVESTIGATOR)
                .get(LocalApi.SUBMIT, uploads::parked, Role.INVESTIGATOR)
                .get(LocalApi.MESSAGES, sent::list, Role.INVESTIGATOR, Role.OPERATOR).query()
                .get(LocalApi.MESSAGES + "/{id}", sent::one, Role.INVESTIGATOR, Role.OPERATOR)
                .get(LocalApi.INBOX, inbox::list, Role.INVESTIGATOR, Role.OPERATOR).query()
                .get(one, packages::fetch, Role.INVESTIGATOR)
                .post(one + LocalApi.ACKNOWLEDGE, actions::acknowledge, Role.INVESTIGATOR)
                .post(one + LocalApi.DECLINE, actions::decline, Role.INVESTIGATOR)
                .post(one + QUARANTINE, actions::quarantine, Role.OPERATOR)
                .get(LocalApi.CASES, cases::list, Role.OPERATOR, Role.INVESTIGATOR)
                .post(LocalApi.CASE_ASSIGN, cases::assign, Role.OPERATOR)
                .post(LocalApi.CASE_UNASSIGN, cases::unassign, Role.OPERATOR)
                .post(LocalApi.CASE_DELETE, cases::delete, Role.OPERATOR)
                .get(LocalApi.AUDIT, audit::copy, Role.AUDITOR)
                .get(LocalApi.AUDIT_WITNESSES, audit::witnesses, Role.AUDITOR)
                .get(LocalApi.EVIDENCE + "/{id}", evidence::export, Role.INVESTIGATOR, Role.AUDITOR);
    }

    /** The local API's side of the front door: people named by their certificate, JSON errors, audited refusals. */
    static final class Policy implements FrontDoor.Policy<LocalUser> {
        private final LocalNode node;
        private final Executor finishers;

        Policy(LocalNode node, Executor finishers) {
            this.node = node;
            this.finishers = finishers;
        }

        @Override
        public LocalUser authenticate(Channel channel) throws ProtocolException {
            LocalUser user = channel.attr(LocalServer.USER).get();
            if (user == null) {
                throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the connection is not authenticated");
            }
            return user;
        }

        @Override
        public void authorize(LocalUser user, List<Role> roles) throws ProtocolException {
            for (Role r : roles) {
                if (user.roles().contains(r)) {
                    return;
                }
            }
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, user.name() + " has no role for this (needs "
                    + roles.stream().map(Role::id).toList() + ")");
        }

        @Override
        public ProtocolException malformed(Throwable cause) {
            return new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "malformed or oversized request");
        }

        @Override
        public ProtocolException unknown(String method, String uri, Routes.Miss miss) {
            return new ProtocolException(ErrorCode.SCHEMA_INVALID, "unknown request " + method + " " + uri);
        }

        @Override
        public ProtocolException unexpectedBody(String method, long contentLength, boolean chunked, boolean bytesSent) {
            // A body announced is refused; bytes of a chunked body are read and dropped.
            return !bytesSent && contentLength > 0 ? new ProtocolException(ErrorCode.SCHEMA_INVALID, "only a submit has a body") : null;
        }

        @Override
        public BufferBudget buffers() {
            return node.buffers();
        }

        @Override
        public void refused(Channel channel, String id, ProtocolException e) {
            LocalUser user = channel.attr(LocalServer.USER).get();
            // On a worker; the refusal is answered even when it cannot be audited (a full disk): the user learns why.
            AuditEvent rejected = AuditEvent.of(node.clock(), "reject", user == null ? "unknown" : user.actor(), null, null, "refused",
                    "local API: " + e.code().code() + " " + e.getMessage());
            Workers.quietly(finishers, () -> node.audit().append(rejected), "audit a refusal");
        }

        @Override
        public String errorType() {
            return Answer.JSON_TYPE;
        }

        @Override
        public byte[] error(ProtocolException e) {
            try {
                return Answer.JSON.writeValueAsBytes(LocalApi.error(e));
            } catch (JsonProcessingException x) {
                throw new IllegalStateException(x);
            }
        }

        @Override
        public void decorate(HttpHeaders headers) {
            // the local API's answers carry nothing more
        }

        @Override
        public void failed(Channel channel, Throwable cause) {
            LOG.debug("local API connection failed: {}", cause.toString());
        }

        @Override
        public long lingerMillis() {
            return LINGER_MILLIS;
        }
    }
}
