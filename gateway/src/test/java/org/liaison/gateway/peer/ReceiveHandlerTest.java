package org.liaison.gateway.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.gateway.net.SlowClientGuard;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.tls.ClientAuthorization;
import org.liaison.gateway.witness.Witness;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.envelope.Notices;
import org.liaison.protocol.model.Manifest;

/**
 * The peer API's handler alone, on an {@link EmbeddedChannel} with a fake node: framing, early
 * refusals and the slow-client deadline, without sockets, TLS or a store. Every refusal here
 * happens before the node's services are touched (the fake has none).
 */
class ReceiveHandlerTest {
    static final AuthorityId IT = AuthorityId.of("IT-DNA");
    static final int MAX_ENVELOPE = 64 * 1024;

    final MemoryAuditLog audit = new MemoryAuditLog();
    final NodeMetrics metrics = new NodeMetrics();

    /** A node with nothing behind it: reaching a service fails the test. */
    final PeerContext node = new PeerContext() {
        public AuthorityId me() {
            return AuthorityId.of("AL-PP");
        }

        public Trust trust() {
            throw new AssertionError("the trust was consulted");
        }

        public MessageStore store() {
            throw new AssertionError("the store was consulted");
        }

        public BlobStore blobs() {
            throw new AssertionError("blobs were written");
        }

        public StagedTransfers transfers() {
            throw new AssertionError("a transfer was staged");
        }

        public AuditLog audit() {
            return audit;
        }

        public Credential signing() {
            throw new AssertionError("something was signed");
        }

        public Credential encryption() {
            throw new AssertionError("something was decrypted");
        }

        public int maxEnvelopeBytes() {
            return MAX_ENVELOPE;
        }

        public BufferBudget buffers() {
            return budget;
        }

        public NodeMetrics metrics() {
            return metrics;
        }

        public java.time.Clock clock() {
            return java.time.Clock.systemUTC();
        }

        public List<java.security.PrivateKey> decryptionKeys() {
            throw new AssertionError("something was decrypted");
        }

        public void receivedPackage(AuthorityId from, java.util.UUID messageId, java.util.UUID inReplyTo,
                Manifest manifest) {
            throw new AssertionError("a package was received");
        }

        public boolean receiveLoggedBeforeACrash(AuthorityId sender, java.util.UUID messageId) {
            throw new AssertionError("a reception was looked up");
        }

        public void receiveLoggedNotStored(AuthorityId sender, java.util.UUID messageId) {
            throw new AssertionError("a reception was logged");
        }

        public void noticeReceived(AuthorityId peer, byte[] xml) {
            throw new AssertionError("a notice was taken");
        }

        public EvidenceIssuer evidence() {
            return EvidenceIssuer.NONE;
        }

        public java.util.Optional<Witness> witness() {
            return java.util.Optional.empty();
        }

        public void peerIsUp(AuthorityId peer) {
            // an authenticated request: nothing waits on it here
        }

        public PeerSchemas peerSchemas() {
            return PeerSchemas.NONE;
        }

        public String cosignedCheckpoint() {
            throw new AssertionError("a checkpoint was asked for");
        }
    };
    final BufferBudget budget = new BufferBudget(2 * MAX_ENVELOPE, 4 * MAX_ENVELOPE);

    static final java.security.cert.X509Certificate CERT;

    static {
        try {
            CERT = TestPki.create(Suite.MODERN)
                    .issue(CertificateProfile.GATEWAY_TLS, "IT-DNA gateway").certificate();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.attr(PeerAuthenticationHandler.PEER).set(IT);
        new ClientAuthorization<AuthorityId>(() -> null, List.of(CERT), (t, c, now) -> IT).attach(ch);
        ch.pipeline().addLast("deadlines", new SlowClientGuard(SlowClientGuard.Mode.HTTP, Duration.ofSeconds(30), 1024));
        ch.pipeline().addLast("api", new ReceiveHandler(node, 1 << 20, Runnable::run, Runnable::run));
        return ch;
    }

    static DefaultHttpRequest post(String path, long length) {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
        return r;
    }

    FullHttpResponse answer(EmbeddedChannel ch) {
        ch.runPendingTasks();
        FullHttpResponse r = ch.readOutbound();
        assertThat(r).as("an answer").isNotNull();
        return r;
    }

    static String body(FullHttpResponse r) {
        return r.content().toString(StandardCharsets.UTF_8);
    }

    @Test
    void anEnvelopeLengthOfZeroIsRefusedAndTheConnectionClosed() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(post(ReceiveHandler.PATH, 100), new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 0, 1})));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(413);
        assertThat(body(r)).contains(ErrorCode.PAYLOAD_TOO_LARGE.code());
        assertThat(ch.isOpen()).isFalse();
        assertThat(audit.events()).anyMatch(e -> e.type().equals("reject") && e.reason().startsWith(ErrorCode.PAYLOAD_TOO_LARGE.code()));
    }

    @Test
    void aMessageLargerThanTheLimitIsRefusedBeforeItsBody() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(post(ReceiveHandler.PATH, 2L << 20));
        assertThat(answer(ch).status().code()).isEqualTo(413);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void anUnknownRequestAndAGetWithABodyAreRefused() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(post("/other", 0));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(400);
        assertThat(body(r)).contains("unknown request POST");

        EmbeddedChannel get = channel();
        DefaultFullHttpRequest withBody = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, ReceiveHandler.CONSISTENCY_PATH,
                Unpooled.wrappedBuffer(new byte[] {1}));
        withBody.headers().set(HttpHeaderNames.CONTENT_LENGTH, 1);
        get.writeInbound(withBody);
        assertThat(body(answer(get))).contains("a GET request has no body");
    }

    /** The peer route table's GET routes reach their services (here: a node without a signed log) and answer with the Date. */
    @Test
    void theGetRoutesAnswerAndRefuseAsBefore() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, ReceiveHandler.CONSISTENCY_PATH + "?from=1&to=2"));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(404);
        assertThat(body(r)).contains("this node keeps no signed audit log");
        assertThat(r.headers().get(HttpHeaderNames.DATE)).isNotNull();
        assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo(ReceiveHandler.ERROR_TYPE);

        EmbeddedChannel sizes = channel();
        sizes.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, ReceiveHandler.CONSISTENCY_PATH + "?from=x"));
        assertThat(body(answer(sizes))).contains("from and to must be tree sizes");

        EmbeddedChannel upper = channel();
        String path = ReceiveHandler.transferPath(java.util.UUID.randomUUID()).toUpperCase(java.util.Locale.ROOT)
                .replace("/LIAISON/V1/MESSAGES/", "/liaison/v1/messages/").replace("/TRANSFER", "/transfer");
        upper.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path));
        FullHttpResponse u = answer(upper);
        assertThat(u.status().code()).isEqualTo(400);
        assertThat(body(u)).contains("unknown request GET " + path + " (expected GET " + ReceiveHandler.CONSISTENCY_PATH + ")");

        EmbeddedChannel put = channel();
        put.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, ReceiveHandler.PATH));
        assertThat(body(answer(put))).contains("unknown request PUT (expected POST " + ReceiveHandler.PATH + " or "
                + ReceiveHandler.NOTICE_PATH + ")");
    }

    @Test
    void aNoticeAnnouncedOverItsLimitIsRefusedBeforeItsBody() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(post(ReceiveHandler.NOTICE_PATH, Notices.MAX_BYTES + 1));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(413);
        assertThat(body(r)).contains("a notice exceeds " + Notices.MAX_BYTES + " bytes");
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void aHeadThatNeverCompletesIsCutOffAtTheDeadline() {
        EmbeddedChannel ch = channel();
        ch.advanceTimeBy(29, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isTrue();
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(audit.events()).anyMatch(e -> e.type().equals("timeout"));
    }

    @Test
    void aBodyBelowTheMinimumRateIsCutOffAndItsBytesReleased() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(post(ReceiveHandler.PATH, 100_000), new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[] {0, 0, 16, 0, 1})));
        assertThat(budget.inUse()).isPositive();
        ch.advanceTimeBy(31, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(budget.inUse()).isZero();
    }

    /**
     * A stage notice is held whole before its signature is checked, like an envelope: its bytes count
     * against the node's budget for unverified heads. Before, every connection could hold 32 KiB of
     * notice outside the budget, so many connections held memory the budget was meant to bound.
     */
    @Test
    void noticesBeingReceivedCountAgainstTheBudgetAndLeaveItWhenDropped() {
        int part = Notices.MAX_BYTES - 2048;
        List<EmbeddedChannel> open = new java.util.ArrayList<>();
        EmbeddedChannel refused = null;
        for (int i = 0; i < 20 && refused == null; i++) {
            EmbeddedChannel ch = channel();
            ch.writeInbound(post(ReceiveHandler.NOTICE_PATH, part + 1), new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[part])));
            ch.runPendingTasks();
            if (ch.outboundMessages().isEmpty()) {
                open.add(ch);
                assertThat(budget.inUse()).isEqualTo((long) part * open.size());
            } else {
                refused = ch;
            }
        }
        assertThat(refused).as("a notice beyond the node's budget is refused").isNotNull();
        assertThat(open).hasSize((int) (4 * MAX_ENVELOPE / part));
        FullHttpResponse r = answer(refused);
        assertThat(r.status().code()).isEqualTo(503);
        assertThat(body(r)).contains(ErrorCode.UNAVAILABLE.code());
        for (EmbeddedChannel ch : open) {
            ch.close();
        }
        assertThat(budget.inUse()).isZero();
    }
}
