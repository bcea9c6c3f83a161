package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.liaison.certs.Suite;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.gateway.store.MessageStore;

/**
 * Small-message throughput of Italy's authority sending to Albania, side by side in one run: one
 * node on SQLite, one node on PostgreSQL, two nodes on the same PostgreSQL (issue 11). Each run is
 * a fresh federation; 8 threads submit 1 KiB packages through the authority's nodes in turn, all
 * with their real audit logs (the file log, or the shared log in PostgreSQL); the figure is
 * messages from the first submission to the last signed receipt, per second. Printed, not asserted.
 * All nodes, Albania's and PostgreSQL share this machine's cores.
 * Usage: scripts/bench-cluster [messages, default 300]
 */
public final class ClusterBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        System.out.printf("java %s, %d cores, %d messages of 1 KiB per run, 8 submitting threads%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), n);
        double sqlite = run("one node, SQLite", n, 0);
        double pg1 = run("one node, PostgreSQL", n, 1);
        double pg2 = run("two nodes, one PostgreSQL", n, 2);
        System.out.printf("PostgreSQL / SQLite, one node: %.2f%n", pg1 / sqlite);
        System.out.printf("two nodes / one node, PostgreSQL: %.2f%n", pg2 / pg1);
        System.exit(0);
    }

    /** {@code nodes} 0: one node on SQLite; 1 or 2: that many on one PostgreSQL database. */
    private static double run(String label, int n, int nodes) throws Exception {
        Path dir = Files.createTempDirectory("liaison-cluster-bench");
        FederationSetup.Result f = FederationSetup.create(dir.resolve("fed"), List.of(IT, AL), Suite.MODERN,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Duration.ofDays(30));
        TestNodes t = new TestNodes(f);
        List<Path> configs = nodes == 0 ? List.of(t.config(IT))
                : TestCluster.configure(f, IT, nodes, LocalPostgres.newDatabase()).configs();
        GatewayNode.Tuning tuning = TestNodes.FAST.toBuilder().readTimeout(Duration.ofSeconds(30)).build();
        List<GatewayNode> italy = new ArrayList<>();
        try (GatewayNode al = GatewayNode.start(t.config(AL), tuning)) {
            for (Path c : configs) {
                italy.add(GatewayNode.start(c, tuning));
            }
            byte[] kib = new byte[1024];
            // Warm up: 20 messages through every node.
            measure(t, italy, 20 * italy.size(), kib);
            double perSecond = measure(t, italy, n, kib);
            System.out.printf("%-28s %7.1f messages/s%n", label, perSecond);
            return perSecond;
        } finally {
            for (GatewayNode g : italy) {
                g.close();
            }
        }
    }

    private static double measure(TestNodes t, List<GatewayNode> italy, int n, byte[] content) throws Exception {
        List<UUID> ids = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long start = System.nanoTime();
        try {
            List<Future<?>> submits = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                GatewayNode node = italy.get(i % italy.size());
                submits.add(pool.submit(() -> {
                    ids.add(node.outbox().submit(t.submission(IT, List.of(AL), null, null, List.of(content))));
                    return null;
                }));
            }
            for (Future<?> s : submits) {
                s.get();
            }
        } finally {
            pool.shutdown();
        }
        MessageStore store = italy.get(0).store();
        TestNodes.await("every delivery", Duration.ofMinutes(10), () -> ids.stream().allMatch(id ->
                store.deliveries().of(id).stream().allMatch(d -> d.state() == MessageStore.State.DELIVERED)));
        return n / ((System.nanoTime() - start) / 1e9);
    }
}
