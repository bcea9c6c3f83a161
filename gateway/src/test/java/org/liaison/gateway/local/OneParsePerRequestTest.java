package org.liaison.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.gateway.TestNodes;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.Request;
import org.liaison.gateway.net.Routes;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.NodeState;
import org.liaison.gateway.store.InboxStore;
import org.liaison.gateway.store.MessageStore;

/**
 * A fetch and an acknowledgement open the stored envelope once: the route table is called directly (no
 * Netty: its services take a Request and give an Answer) over a real node whose store hands out the
 * received row with its envelope bytes replaced by garbage. The only way to the envelope is the counting
 * opener; anything else that parsed the row's envelope again (as Stages did for each notice) would fail.
 */
class OneParsePerRequestTest {
    @TempDir
    Path dir;

    @Test
    void aFetchAndAnAcknowledgementEachOpenTheEnvelopeOnce() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("the records of account 4711")));
            TestNodes.await("delivery", Duration.ofSeconds(60),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            AtomicInteger opened = new AtomicInteger();
            ReadAccess.Opener parsing = ReadAccess.parsing(al);
            ReadAccess.Opener counting = r -> {
                opened.incrementAndGet();
                return parsing.open(al.store().inbox().received(r.messageId()).orElseThrow()); // the real row
            };
            Routes<LocalUser> routes = LocalApiHandler.routes(withGarbledEnvelopes(al), al.outbox(), counting);
            LocalUser user = new LocalUser(t.investigator(AL).certificate(), Set.of(Role.INVESTIGATOR));

            Answer fetched = serve(routes, user, "GET", LocalApi.inbox(id));
            assertThat(fetched).isInstanceOf(Answer.Stream.class);
            Answer.Stream s = (Answer.Stream) fetched;
            try (InputStream in = s.body()) {
                byte[] all = in.readAllBytes();
                assertThat((long) all.length).isEqualTo(s.length());
                assertThat(new String(all, StandardCharsets.UTF_8)).endsWith("the records of account 4711");
            }
            assertThat(opened.get()).as("envelopes opened by a fetch").isEqualTo(1);

            Answer acknowledged = serve(routes, user, "POST", LocalApi.inbox(id) + LocalApi.ACKNOWLEDGE);
            assertThat(new String(((Answer.Bytes) acknowledged).body(), StandardCharsets.UTF_8)).contains("\"new\":true");
            assertThat(opened.get()).as("envelopes opened by a fetch, then an acknowledgement").isEqualTo(2);
        }
    }

    private static Answer serve(Routes<LocalUser> routes, LocalUser user, String method, String uri) throws Exception {
        Routes.Match<LocalUser> m = routes.match(method, uri);
        assertThat(m.route()).as(method + " " + uri).isNotNull();
        return m.route().service().serve(new Request<>(user, method, uri, m.params(), Map.of(), h -> null, -1));
    }

    /** The node, with a store whose received rows carry bytes that are no envelope. */
    private static NodeState withGarbledEnvelopes(GatewayNode node) {
        MessageStore real = node.store();
        InboxStore realInbox = real.inbox();
        InboxStore inbox = (InboxStore) Proxy.newProxyInstance(
                MessageStore.class.getClassLoader(), new Class<?>[] {InboxStore.class}, (p, method, args) -> {
                    Object out = invoke(method, realInbox, args);
                    if (method.getName().equals("received") && out instanceof Optional<?> o && o.isPresent()) {
                        MessageStore.Received r = (MessageStore.Received) o.get();
                        return Optional.of(new MessageStore.Received(r.sender(), r.messageId(), r.receivedAt(),
                                "not an envelope".getBytes(StandardCharsets.US_ASCII), r.envelopeSha256(), r.receipt(), r.blobs(),
                                r.quarantine(), r.caseRef(), r.listing()));
                    }
                    return out;
                });
        MessageStore store = (MessageStore) Proxy.newProxyInstance(MessageStore.class.getClassLoader(),
                new Class<?>[] {MessageStore.class}, (p, method, args) -> method.getName().equals("inbox") ? inbox : invoke(method, real, args));
        return (NodeState) Proxy.newProxyInstance(NodeState.class.getClassLoader(), new Class<?>[] {NodeState.class},
                (p, method, args) -> method.getName().equals("store") ? store : invoke(method, node, args));
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
