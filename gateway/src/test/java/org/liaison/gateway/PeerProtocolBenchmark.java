package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.liaison.certs.FederationPki;
import org.liaison.gateway.node.GatewayNode;

/**
 * HTTP/2 against keep-alive HTTP/1.1 on the peer API, side by side in one run (issue 15: "measure and
 * choose"). One receiving node; one sending client, the JDK's HttpClient, which speaks both — over
 * HTTP/2 it multiplexes every request on one connection, over HTTP/1.1 it keeps a pool of connections,
 * one per request in flight. The messages (1 KiB, signed and sealed) are made before the clock starts,
 * so what differs is the protocol only. Two rounds of each warm the JIT up; in the three measured pairs
 * which protocol goes first alternates. Each round prints msg/s and p50/p99 latency.
 *
 * <p>Usage: {@code scripts/bench-peer-protocol [messages per round, default 300] [concurrent, default 8]}
 */
public final class PeerProtocolBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Path dir = Files.createTempDirectory("liaison-peer-protocol");
        TestNodes t = new TestNodes(dir);
        var italy = t.federation.pki().authority(IT);
        System.out.printf("java %s, %d cores; %d messages per round, %d in flight%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), n, concurrency);
        try (GatewayNode al = GatewayNode.start(t.config(AL), t.auditLog(AL, java.time.Duration.ofSeconds(2)), TestNodes.FAST)) {
            HttpClient h2 = Http2PeerTest.h2(italy.gatewayTls());
            HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(h2.sslContext())
                    .sslParameters(h2.sslParameters()).connectTimeout(java.time.Duration.ofSeconds(10)).build();
            System.out.println("warm-up (the JIT):");
            for (int w = 0; w < 2; w++) {
                round(al, t, italy, h2, "HTTP/2  ", n, concurrency);
                round(al, t, italy, h1, "HTTP/1.1", n, concurrency);
            }
            System.out.println("measured (which goes first alternates):");
            double[] sum = new double[2];
            for (int r = 0; r < 3; r++) {
                if (r % 2 == 0) {
                    sum[0] += round(al, t, italy, h2, "HTTP/2  ", n, concurrency);
                    sum[1] += round(al, t, italy, h1, "HTTP/1.1", n, concurrency);
                } else {
                    sum[1] += round(al, t, italy, h1, "HTTP/1.1", n, concurrency);
                    sum[0] += round(al, t, italy, h2, "HTTP/2  ", n, concurrency);
                }
            }
            System.out.printf("mean of 3 rounds: HTTP/2 %.1f msg/s, HTTP/1.1 keep-alive %.1f msg/s, HTTP/2 / HTTP/1.1 %.2f%n",
                    sum[0] / 3, sum[1] / 3, sum[0] / sum[1]);
        }
    }

    /** Sends {@code n} fresh messages with {@code concurrency} in flight; returns msg/s. */
    static double round(GatewayNode al, TestNodes t, FederationPki.Authority italy, HttpClient client, String name,
            int n, int concurrency) throws Exception {
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            bodies.add(RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL), italy.envelopeSigning()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        List<Future<Long>> done = new ArrayList<>();
        long start = System.nanoTime();
        for (byte[] body : bodies) {
            done.add(pool.submit(() -> {
                long t0 = System.nanoTime();
                HttpResponse<String> r = Http2PeerTest.post(client, al.peerPort(), body);
                if (r.statusCode() != 200) {
                    throw new IllegalStateException(name + ": " + r.statusCode() + " " + r.body());
                }
                return System.nanoTime() - t0;
            }));
        }
        List<Long> latencies = new ArrayList<>();
        for (Future<Long> f : done) {
            latencies.add(f.get());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        Collections.sort(latencies);
        double rate = n / seconds;
        System.out.printf("%s %6.1f msg/s, latency p50 %5.1f ms, p99 %6.1f ms%n", name, rate, latencies.get(n / 2) / 1e6,
                latencies.get((int) Math.floor(n * 0.99)) / 1e6);
        return rate;
    }
}
