package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.net.NodeRuntime;
import org.liaison.gateway.node.GatewayNode;

/** The node's runtime: built once, every part's executors come from it, and its clock is the one the node's records use. */
class NodeRuntimeTest {
    @TempDir
    Path dir;

    /** The system's executors, recorded by name. */
    static final class Recording implements NodeRuntime.Factory {
        final Map<String, ExecutorService> made = new ConcurrentHashMap<>();

        @Override
        public ExecutorService pool(NodeRuntime.Kind kind, String name) {
            ExecutorService e = NodeRuntime.SYSTEM.pool(kind, name);
            made.put(kind + " " + name, e);
            return e;
        }

        @Override
        public ScheduledExecutorService scheduler(String threadName) {
            ScheduledExecutorService e = NodeRuntime.SYSTEM.scheduler(threadName);
            made.put("SCHEDULER " + threadName, e);
            return e;
        }
    }

    @Test
    void everyPartTakesItsExecutorsFromTheRuntimeAndTheNodesRecordsFollowItsClock() throws Exception {
        TestNodes t = new TestNodes(dir);
        Recording executors = new Recording();
        TestClock clock = new TestClock();
        clock.advance(Duration.ofHours(1));
        MemoryAuditLog audit = new MemoryAuditLog();
        GatewayNode al = GatewayNode.start(t.config(TestNodes.AL), audit,
                TestNodes.FAST.toBuilder().clock(clock).executors(executors).build());
        try {
            assertThat(executors.made.keySet()).containsExactlyInAnyOrder("SCHEDULER liaison-reload",
                    "BLOCKING receive", "WRITERS payload", "TLS peer-tls", "BLOCKING submit", "WRITERS upload", "TLS local-tls",
                    "TLS client-tls", "BLOCKING client-read", "SCHEDULER liaison-delivery-poll", "TASKS liaison-delivery",
                    "SCHEDULER liaison-delivery-probe", "SCHEDULER notices", "SCHEDULER liaison-overdue",
                    "SCHEDULER liaison-peer-schemas");
            assertThat(al.clock()).isSameAs(clock);
            AuditEvent started = audit.events().stream().filter(e -> e.type().equals("start")).findFirst().orElseThrow();
            assertThat(started.time()).as("the node's time, an hour ahead of the system's")
                    .isAfter(Instant.now().plus(Duration.ofMinutes(59)));
        } finally {
            al.close();
        }
        List<String> running = executors.made.entrySet().stream().filter(e -> !e.getValue().isShutdown()).map(Map.Entry::getKey).toList();
        assertThat(running).as("executors still running after close").isEmpty();
        AuditEvent stopped = audit.events().stream().filter(e -> e.type().equals("stop")).findFirst().orElseThrow();
        assertThat(stopped.time()).isAfter(Instant.now().plus(Duration.ofMinutes(59)));
    }
}
