package org.liaison.gateway.witness;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.certs.Suite;
import org.liaison.gateway.TestNodes;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.tlog.AddCheckpoint;

/**
 * The witness endpoint's rate: add-checkpoint requests over the real peer API (mTLS, keep-alive) to
 * Albania's node, which witnesses Italy's and the United States' logs. Each request carries a new
 * checkpoint one entry larger than the last, with its consistency proof, signed with the log's real key
 * (made before timing). The witness verifies the signature and the proof, cosigns, and fsyncs its state
 * before answering. Prints requests/s (wall) and process CPU per request: run pinned to one core
 * (scripts/bench-witness does) for the one-core figure. Usage: WitnessBenchmark [requests per log, default 500]
 */
public final class WitnessBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        Path dir = Files.createTempDirectory("liaison-bench-witness");
        try {
            TestNodes t = new TestNodes(FederationSetup.create(dir.resolve("federation"), List.of(TestNodes.IT, TestNodes.AL, TestNodes.US),
                    Suite.MODERN, Instant.now().truncatedTo(ChronoUnit.SECONDS), java.time.Duration.ofDays(30)));
            // Italy's node only sends (memory audit log: no submissions of its own); Albania's witnesses with its real state on disk.
            try (GatewayNode it = t.start(TestNodes.IT); GatewayNode al = t.startLogged(TestNodes.AL)) {
                List<List<byte[]>> streams = new ArrayList<>();
                for (AuthorityId log : List.of(TestNodes.IT, TestNodes.US)) {
                    streams.add(requests(t, log, n));
                }
                // warm-up: a first pass on the Italian log from size 0 (not timed) would move the state; use a separate short run
                run(it, List.of(streams.get(0).subList(0, Math.min(50, n))));
                List<List<byte[]>> timed = List.of(streams.get(0).subList(Math.min(50, n), n), streams.get(1));
                var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                int done = run(it, timed);
                double secs = (System.nanoTime() - t0) / 1e9;
                double cpuMs = (os.getProcessCpuTime() - cpu0) / 1e6;
                System.out.printf("witness add-checkpoint: %d requests (2 logs in parallel, keep-alive mTLS, fsync per request) in %.2f s:"
                        + " %.0f requests/s; process CPU %.2f ms per request (client and witness in one JVM, %d processors)%n",
                        done, secs, done / secs, cpuMs / done, Runtime.getRuntime().availableProcessors());
                // the same transport without the witness's work: GETs of the monitoring answer (no signature, no fsync)
                long g0 = System.nanoTime();
                long gcpu0 = os.getProcessCpuTime();
                for (int i = 0; i < done / 2; i++) {
                    it.witnessedCheckpoint(TestNodes.AL, TestNodes.IT);
                }
                double gsecs = (System.nanoTime() - g0) / 1e9;
                System.out.printf("for comparison, GET of the latest cosigned checkpoint on the same connection: %.0f requests/s,"
                        + " process CPU %.2f ms per request%n", done / 2 / gsecs, (os.getProcessCpuTime() - gcpu0) / 1e6 / (done / 2));
                System.out.println(al.metrics().scrape().lines().filter(l -> l.startsWith("liaison_witness_requests_total"))
                        .reduce("", (a, b) -> a + b + "\n").strip());
            }
        } finally {
            SecureFiles.deleteTree(dir);
        }
    }

    /** Requests 1..n of one log: each from the previous size, with its proof. */
    static List<byte[]> requests(TestNodes t, AuthorityId id, int n) throws Exception {
        ForkableLog log = new ForkableLog(id, t.federation.dir().resolve(id.value()).resolve(FederationSetup.AUDIT_KEY), "bench");
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long old = log.tree.size();
            log.grow(1);
            out.add(new AddCheckpoint(old, old == 0 ? List.of() : log.tree.consistencyProof(old, log.tree.size()), log.note()).encode());
        }
        return out;
    }

    /** Sends each stream in order on its own thread; returns how many were cosigned (anything else stops the run). */
    static int run(GatewayNode client, List<List<byte[]>> streams) throws Exception {
        AtomicInteger ok = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        List<Exception> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (List<byte[]> s : streams) {
            Thread th = new Thread(() -> {
                try {
                    for (byte[] body : s) {
                        var a = client.askWitness(TestNodes.AL, body);
                        if (a.status() != 200) {
                            throw new IllegalStateException("witness answered " + a.status() + ": " + new String(a.body()));
                        }
                        ok.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.add(e);
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
        return ok.get();
    }
}
