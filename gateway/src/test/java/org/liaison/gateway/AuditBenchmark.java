package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;

/**
 * The cost of the audit log on the whole message path, measured side by side: Italy submits
 * messages to Albania and the US (4 submitting threads, 2 recipients each), until every one is
 * receipted — once with the real log on both sides (fsync per event, group commit, a signed
 * checkpoint covering each reception for its receipt), once with a log that keeps nothing.
 * Rounds alternate so that disk and JIT warm-up fall on both. Run by scripts/bench-audit; not a test.
 */
public final class AuditBenchmark {
    /** Records nothing: the baseline. */
    static final class NoAuditLog extends MemoryAuditLog {
        private final AtomicLong next = new AtomicLong();

        @Override
        public long record(AuditEvent event) {
            return next.getAndIncrement();
        }

    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("liaison-audit-bench");
        double sumNone = 0;
        double sumFile = 0;
        for (int round = 1; round <= rounds; round++) {
            double none = run(dir.resolve(round + "-none"), n, false);
            double file = run(dir.resolve(round + "-file"), n, true);
            sumNone += none;
            sumFile += file;
            System.out.printf("round %d: no-op log %.1f msg/s, audit log %.1f msg/s, ratio %.2f (%d messages to 2 recipients)%n",
                    round, none, file, file / none, n);
        }
        System.out.printf("overall: no-op log %.1f msg/s, audit log %.1f msg/s, ratio %.2f%n", sumNone / rounds, sumFile / rounds,
                sumFile / sumNone);
    }

    static AuditLog log(TestNodes t, AuthorityId id, boolean real) throws Exception {
        return real ? t.auditLog(id, Duration.ofSeconds(2)) : new NoAuditLog();
    }

    static double run(Path dir, int n, boolean real) throws Exception {
        TestNodes t = new TestNodes(dir);
        GatewayNode.Tuning tuning = TestNodes.FAST;
        try (GatewayNode it = GatewayNode.start(t.config(IT), log(t, IT, real), tuning);
                GatewayNode al = GatewayNode.start(t.config(AL), log(t, AL, real), tuning);
                GatewayNode us = GatewayNode.start(t.config(US), log(t, US, real), tuning)) {
            ExecutorService submitters = Executors.newFixedThreadPool(4);
            try {
                send(t, it, submitters, 20); // warm-up
                long start = System.nanoTime();
                send(t, it, submitters, n);
                return n / ((System.nanoTime() - start) / 1e9);
            } finally {
                submitters.shutdownNow();
            }
        }
    }

    static void send(TestNodes t, GatewayNode it, ExecutorService submitters, int n) throws Exception {
        List<Future<UUID>> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            ids.add(submitters.submit(() -> it.outbox().submit(t.submission(IT, List.of(AL, US), null, null,
                    TestNodes.text("evidence item " + k)))));
        }
        for (Future<UUID> f : ids) {
            UUID id = f.get();
            TestNodes.await("delivery of " + id, Duration.ofMinutes(5), () -> NodeExchangeTest.delivered(it, id));
        }
    }
}
