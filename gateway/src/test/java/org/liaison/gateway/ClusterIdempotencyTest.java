package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Outbox;
import org.liaison.gateway.store.LocalPostgres;

/**
 * Issue 25, item 14: one idempotency key submitted at once through two nodes of one authority (one
 * PostgreSQL database). Node 2 checks the key, finds nothing and seals; node 1 stores its message
 * under the key before node 2 stores (the interleaving is injected at node 2's seal entry). Node 2
 * answers with node 1's message, as one node does, and nothing of its own sealed copy stays.
 */
class ClusterIdempotencyTest {
    @TempDir
    Path dir;

    /** Runs {@code beforeSeal} once, when the node records its first seal (after the key was checked, before the store). */
    static final class SealHook extends MemoryAuditLog {
        final AtomicReference<Runnable> beforeSeal = new AtomicReference<>();

        @Override
        public long record(AuditEvent e) {
            Runnable r = e.type().equals("seal") ? beforeSeal.getAndSet(null) : null;
            if (r != null) {
                r.run();
            }
            return super.record(e);
        }

    }

    @Test
    void theLoserOfASameKeyRaceAcrossNodesAnswersWithTheWinnersMessage() throws Exception {
        TestNodes t = new TestNodes(dir);
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        TestCluster.Nodes cluster = TestCluster.configure(t.federation, IT, 2, db);
        SealHook second = new SealHook();
        try (GatewayNode one = GatewayNode.start(cluster.configs().get(0), new MemoryAuditLog(), TestNodes.FAST);
                GatewayNode two = GatewayNode.start(cluster.configs().get(1), second, TestNodes.FAST)) {
            Outbox.Submission s = t.submission(IT, List.of(AL), null, "case-14", TestNodes.text("one package, two nodes"));
            AtomicReference<UUID> first = new AtomicReference<>();
            second.beforeSeal.set(() -> {
                try {
                    first.set(one.outbox().submit(s));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            UUID answered = two.outbox().submit(s);
            assertThat(first.get()).isNotNull();
            assertThat(answered).isEqualTo(first.get());
            assertThat(one.store().sent().all()).extracting(m -> m.messageId()).containsExactly(first.get());
            // Node 2's sealed copy was never stored: the log says so, and no payload folder of it stays.
            assertThat(second.events()).anyMatch(e -> e.type().equals("submit-failed") && !e.messageId().equals(first.get().toString()));
            AuditEvent sealed = second.events().stream().filter(e -> e.type().equals("seal")).findFirst().orElseThrow();
            assertThat(two.blobs().outbox(UUID.fromString(sealed.messageId()))).doesNotExist();
            // Submitted again through node 2: the same message.
            assertThat(two.outbox().submit(s)).isEqualTo(first.get());
        }
    }
}
