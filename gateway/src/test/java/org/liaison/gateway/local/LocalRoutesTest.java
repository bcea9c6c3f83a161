package org.liaison.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.certs.testing.TestPki;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.net.Routes;
import org.liaison.protocol.ErrorCode;

/**
 * The local API's route table and policy without a node: which route serves what, with which roles,
 * and the refusals that happen before any service runs (on an {@link EmbeddedChannel}). The node is a
 * fake whose only services are its audit log and its clock: reaching anything else fails the test.
 */
class LocalRoutesTest {
    static final UUID ID = UUID.fromString("6a3c1d52-0b7e-4f1a-9d2c-3e4f5a6b7c8d");
    final MemoryAuditLog audit = new MemoryAuditLog();
    final LocalNode node = (LocalNode) Proxy.newProxyInstance(LocalNode.class.getClassLoader(), new Class<?>[] {LocalNode.class},
            (p, m, args) -> {
                if (m.getName().equals("audit")) {
                    return audit;
                }
                if (m.getName().equals("clock")) { // the time of the audited refusals
                    return java.time.Clock.systemUTC();
                }
                throw new AssertionError("the node's " + m.getName() + " was consulted");
            });

    @Test
    void eachRouteNeedsTheRolesItNeededBefore() {
        Routes<LocalUser> routes = LocalApiHandler.routes(node, null);
        assertThat(roles(routes, "POST", LocalApi.SUBMIT)).containsExactly(Role.INVESTIGATOR);
        assertThat(roles(routes, "GET", LocalApi.SUBMIT)).containsExactly(Role.INVESTIGATOR);
        assertThat(roles(routes, "GET", LocalApi.MESSAGES)).containsExactly(Role.INVESTIGATOR, Role.OPERATOR);
        assertThat(roles(routes, "GET", LocalApi.message(ID))).containsExactly(Role.INVESTIGATOR, Role.OPERATOR);
        assertThat(roles(routes, "GET", LocalApi.INBOX + "?case=OP-1&limit=5")).containsExactly(Role.INVESTIGATOR, Role.OPERATOR);
        assertThat(roles(routes, "GET", LocalApi.inbox(ID))).containsExactly(Role.INVESTIGATOR);
        assertThat(roles(routes, "POST", LocalApi.inbox(ID) + LocalApi.ACKNOWLEDGE)).containsExactly(Role.INVESTIGATOR);
        assertThat(roles(routes, "POST", LocalApi.inbox(ID) + LocalApi.DECLINE)).containsExactly(Role.INVESTIGATOR);
        assertThat(roles(routes, "POST", LocalApi.quarantine(ID))).containsExactly(Role.OPERATOR);
        assertThat(roles(routes, "GET", LocalApi.CASES)).containsExactly(Role.OPERATOR, Role.INVESTIGATOR);
        assertThat(roles(routes, "POST", LocalApi.CASE_ASSIGN)).containsExactly(Role.OPERATOR);
        assertThat(roles(routes, "POST", LocalApi.CASE_UNASSIGN)).containsExactly(Role.OPERATOR);
        assertThat(roles(routes, "POST", LocalApi.CASE_DELETE)).containsExactly(Role.OPERATOR);
        assertThat(roles(routes, "GET", LocalApi.AUDIT)).containsExactly(Role.AUDITOR);
        assertThat(roles(routes, "GET", LocalApi.AUDIT_WITNESSES)).containsExactly(Role.AUDITOR);
        assertThat(roles(routes, "GET", LocalApi.MESSAGES + "?to=AL-PP&limit=5")).containsExactly(Role.INVESTIGATOR, Role.OPERATOR);
        assertThat(roles(routes, "GET", LocalApi.EVIDENCE + "/" + ID)).containsExactly(Role.INVESTIGATOR, Role.AUDITOR);
        assertThat(routes.match("GET", LocalApi.message(ID) + "?all=1").route()).as("only the listings take a query").isNull();
        assertThat(routes.match("DELETE", LocalApi.inbox(ID)).miss()).isEqualTo(Routes.Miss.WRONG_METHOD);
    }

    private static List<Role> roles(Routes<LocalUser> routes, String method, String uri) {
        Routes.Match<LocalUser> m = routes.match(method, uri);
        assertThat(m.route()).as(method + " " + uri).isNotNull();
        return m.route().roles();
    }

    EmbeddedChannel channel(Role... roles) throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        java.security.cert.X509Certificate cert = TestPki.create(Suite.MODERN)
                .issue(CertificateProfile.GATEWAY_TLS, "IT-DNA person").certificate();
        ch.attr(LocalServer.USER).set(new LocalUser(cert, Set.of(roles), Set.of()));
        ch.pipeline().addLast("api", new LocalApiHandler(node, null, Runnable::run, Runnable::run));
        return ch;
    }

    static FullHttpResponse answer(EmbeddedChannel ch) {
        ch.runPendingTasks();
        FullHttpResponse r = ch.readOutbound();
        assertThat(r).as("an answer").isNotNull();
        return r;
    }

    static String text(FullHttpResponse r) {
        return r.content().toString(StandardCharsets.UTF_8);
    }

    @Test
    void aPersonWithoutTheRoleIsRefusedAsBeforeAndTheRefusalAudited() throws Exception {
        EmbeddedChannel ch = channel(Role.INVESTIGATOR);
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, LocalApi.AUDIT));
        FullHttpResponse r = answer(ch);
        assertThat(r.status().code()).isEqualTo(403);
        assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(text(r)).contains("\"error\":\"" + ErrorCode.UNAUTHORIZED.code() + "\"").contains("has no role for this (needs [auditor])")
                .contains("\"retryable\":false");
        assertThat(ch.isOpen()).isFalse();
        assertThat(audit.events()).anyMatch(e -> e.type().equals("reject") && e.reason().startsWith("local API: " + ErrorCode.UNAUTHORIZED.code()));
    }

    @Test
    void anUnknownRequestABodyWhereNoneBelongsAndAMalformedRequestAreRefusedAsBefore() throws Exception {
        EmbeddedChannel unknown = channel(Role.INVESTIGATOR);
        unknown.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, LocalApi.PREFIX + "nothing"));
        FullHttpResponse u = answer(unknown);
        assertThat(u.status().code()).isEqualTo(400);
        assertThat(text(u)).contains("unknown request GET " + LocalApi.PREFIX + "nothing");

        EmbeddedChannel body = channel(Role.OPERATOR);
        DefaultFullHttpRequest withBody = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, LocalApi.quarantine(ID),
                Unpooled.wrappedBuffer(new byte[] {1}));
        withBody.headers().set(HttpHeaderNames.CONTENT_LENGTH, 1);
        body.writeInbound(withBody);
        assertThat(text(answer(body))).contains("only a submit has a body");

        EmbeddedChannel malformed = channel(Role.INVESTIGATOR);
        DefaultFullHttpRequest bad = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, LocalApi.INBOX);
        bad.setDecoderResult(io.netty.handler.codec.DecoderResult.failure(new IllegalArgumentException("bad")));
        malformed.writeInbound(bad);
        FullHttpResponse m = answer(malformed);
        assertThat(m.status().code()).isEqualTo(413);
        assertThat(text(m)).contains("malformed or oversized request");
    }
}
