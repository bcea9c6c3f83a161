package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.SecretKey;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.liaison.certs.Credential;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.envelope.ReceivedPackage;
import org.liaison.protocol.envelope.Receipts;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;
import org.liaison.certs.SecureFiles;
import org.liaison.certs.Suite;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.peer.ReceiveHandler;

/**
 * Small messages end to end, and the floor the cryptography of that path sets on this machine,
 * side by side in one run (issue 15). Italy's node sends 1 KiB packages to Albania's with its real
 * audit logs; 1, 4 and 16 submitting threads; a message counts from its acceptance by Italy's
 * node to Albania's signed receipt (the receipt's reception time). The floor is what the path's
 * own primitives cost per message here, measured in the same JVM: the manifest check at
 * submission, sealing, the receiver's envelope and package checks, signing and checking the
 * receipt. Then full mutual-TLS handshakes per second on the peer port against a bare JDK
 * {@code SSLServerSocket} with the same certificate. Printed figures, not assertions.
 */
public final class MessageBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        Path dir = Files.createTempDirectory("liaison-message-bench");
        // -Dliaison.bench.suite=pq-hybrid measures the post-quantum hybrid suite (the default: modern).
        Suite suite = Suite.fromId(System.getProperty("liaison.bench.suite", "modern"));
        TestNodes t = new TestNodes(FederationSetup.create(dir, List.of(IT, AL, TestNodes.US), suite,
                Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), Duration.ofDays(30)));
        GatewayNode.Tuning tuning = TestNodes.FAST.toBuilder().readTimeout(Duration.ofSeconds(30)).build();
        System.out.printf("java %s, %d cores, TLS provider %s, suite %s%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("liaison.bench.provider", "jdk"), suite);
        String provider = System.getProperty("liaison.bench.provider", "jdk");
        TlsProviderTest.useProvider(t, IT, provider);
        TlsProviderTest.useProvider(t, AL, provider);
        try (GatewayNode it = GatewayNode.start(t.config(IT), t.auditLog(IT, Duration.ofSeconds(2)),
                tuning);
                GatewayNode al = GatewayNode.start(t.config(AL), t.auditLog(AL, Duration.ofSeconds(2)),
                        tuning)) {
            double floorMs = cryptoFloorMillis(t, it, al);
            double floorRate = Runtime.getRuntime().availableProcessors() * 1000.0 / floorMs;
            System.out.printf("crypto floor: %.2f ms of CPU per message -> at most %.0f msg/s on %d cores%n", floorMs, floorRate,
                    Runtime.getRuntime().availableProcessors());
            // Warm-up until the JIT settles: with 30 messages the C2 compiler still took 10 ms of CPU per message in
            // the measured runs, with 2000 about 5 ms, with 6000 about 1.5 ms (threads' CPU from /proc,
            // -Dliaison.bench.threads=true). A node runs for months; its steady state is what counts.
            int warmup = Integer.getInteger("liaison.bench.warmup", 6000);
            run(t, it, 4, warmup);
            // -Dliaison.bench.levels=16 (say) runs only those levels, e.g. under a profiler.
            int[] levels = java.util.Arrays.stream(System.getProperty("liaison.bench.levels", "1,4,16").split(","))
                    .mapToInt(x -> Integer.parseInt(x.trim())).toArray();
            for (int submitters : levels) {
                Map<String, Long> cpu0 = threadCpu();
                Result r = run(t, it, submitters, n);
                if (Boolean.getBoolean("liaison.bench.threads")) {
                    printThreadCpu(cpu0, threadCpu(), n);
                }
                System.out.printf("%2d submitters: %6.1f msg/s, latency p50 %4.0f ms, p99 %5.0f ms, ratio to the floor %.3f%n",
                        submitters, r.rate, r.p50, r.p99, r.rate / floorRate);
            }
            if (!Boolean.getBoolean("liaison.bench.noHandshakes")) {
                handshakes(t, al, 150);
            }
        } finally {
            SecureFiles.deleteTree(dir); // about 450 MB of stores and logs per run
        }
    }

    record Result(double rate, double p50, double p99) {}

    /** CPU time (ms) of every thread of this process by name, digits folded (Linux /proc: JIT and GC threads included). */
    static Map<String, Long> threadCpu() throws java.io.IOException {
        Map<String, Long> out = new java.util.TreeMap<>();
        long tick = 10; // ms per clock tick (USER_HZ = 100)
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip().replaceAll("[0-9]+", "N");
                    String stat = Files.readString(task.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * tick, Long::sum);
                    out.merge(name + " (kernel)", Long.parseLong(f[12]) * tick, Long::sum);
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    static void printThreadCpu(Map<String, Long> before, Map<String, Long> after, int messages) {
        long total = 0;
        List<Map.Entry<String, Long>> rows = new ArrayList<>();
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (d > 0) {
                rows.add(Map.entry(e.getKey(), d));
                total += e.getKey().endsWith(" (kernel)") ? 0 : d;
            }
        }
        rows.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        System.out.printf("   CPU by thread (ms per message, total %.2f; \"(kernel)\": of which in system calls):%n",
                (double) total / messages);
        for (Map.Entry<String, Long> e : rows) {
            if (e.getValue() * 100 >= total) {
                System.out.printf("     %-28s %6.2f%n", e.getKey(), (double) e.getValue() / messages);
            }
        }
    }

    static Result run(TestNodes t, GatewayNode it, int submitters, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(submitters);
        List<Future<long[]>> sent = new ArrayList<>();
        byte[] kib = new byte[1024];
        long start = System.nanoTime();
        Instant startWall = Instant.now();
        for (int i = 0; i < n; i++) {
            sent.add(pool.submit(() -> {
                long t0 = System.currentTimeMillis();
                UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, List.of(kib)));
                return new long[] {id.getMostSignificantBits(), id.getLeastSignificantBits(), t0};
            }));
        }
        List<Double> latencies = new ArrayList<>();
        Instant last = startWall;
        for (Future<long[]> f : sent) {
            long[] x = f.get();
            UUID id = new UUID(x[0], x[1]);
            TestNodes.await("delivery of " + id, Duration.ofMinutes(5),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            Instant delivered = it.store().deliveries().of(id).get(0).deliveredAt();
            latencies.add((double) (delivered.toEpochMilli() - x[2]));
            if (delivered.isAfter(last)) {
                last = delivered;
            }
        }
        pool.shutdown();
        double seconds = Math.max(Duration.between(startWall, last).toNanos(), System.nanoTime() - start) / 1e9;
        Collections.sort(latencies);
        return new Result(n / seconds, latencies.get(latencies.size() / 2), latencies.get((int) Math.floor(latencies.size() * 0.99)));
    }

    /** CPU milliseconds per message of the path's own cryptography and XML work, single-threaded, after warm-up. */
    static double cryptoFloorMillis(TestNodes t, GatewayNode it, GatewayNode al) throws Exception {
        Trust trust = al.trust();
        Credential itSigning = t.federation.pki().authority(IT).envelopeSigning();
        Credential alSigning = t.federation.pki().authority(AL).envelopeSigning();
        byte[] kib = new byte[1024];
        Runnable one = () -> {
            try {
                byte[] manifest = t.submission(IT, List.of(AL), null, null, List.of(kib)).manifestXml();
                Manifests.verify(manifest, it.trust(), Instant.now()); // at submission
                SecretKey cek = ContentEncryption.newContentKey();
                ByteArrayOutputStream ct = new ByteArrayOutputStream();
                try (OutputStream enc = PayloadCipher.encrypt(cek, 0, PayloadCipher.DEFAULT_SEGMENT_SIZE, ct)) {
                    enc.write(kib);
                }
                byte[] payload = ct.toByteArray();
                List<PayloadInfo> payloads = List.of(new PayloadInfo(0, PayloadCipher.DEFAULT_SEGMENT_SIZE, payload.length,
                        Envelopes.sha256(payload)));
                UUID id = UUID.randomUUID();
                Instant now = Instant.now();
                byte[] env = Envelopes.seal(new EnvelopeHeader(id, id, null, now, now.plus(Duration.ofHours(1)), IT, List.of(AL), null,
                        Service.MLA_REQUEST, "submit"), it.trust().directory(), manifest, payloads, cek, itSigning);
                Envelopes.Verified v = Envelopes.verify(env, trust, now, IT, AL); // at reception
                ReceivedPackage.open(v, AL, al.encryption().decryptionKey(), trust, now);
                byte[] receipt = Receipts.create(v, AL, now, null, alSigning);
                Receipts.verify(receipt, it.trust(), now, AL, id, env, payloads); // back at the sender
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        for (int i = 0; i < 200; i++) {
            one.run();
        }
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        int k = 300;
        long c0 = cpu.getCurrentThreadCpuTime();
        for (int i = 0; i < k; i++) {
            one.run();
        }
        return (cpu.getCurrentThreadCpuTime() - c0) / 1e6 / k;
    }

    /** A plain JDK TLS 1.3 server context with {@code server}'s key, trusting any client: the baseline of the benchmarks. */
    static SSLContext bareServer(Credential server) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", HostileMemberTest.jdkKey(server).privateKey(), "pw".toCharArray(), server.chain().toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "pw".toCharArray());
        SSLContext bareCtx = SSLContext.getInstance("TLSv1.3");
        bareCtx.init(kmf.getKeyManagers(), new javax.net.ssl.TrustManager[] {RawPeer.trustAnyServer()}, null);
        return bareCtx;
    }

    /** A daemon thread that accepts on {@code bare} until it closes: a handshake, one byte each way, per connection. */
    static Thread acceptor(SSLServerSocket bare) {
        Thread acceptor = new Thread(() -> {
            while (!bare.isClosed()) {
                try (SSLSocket s = (SSLSocket) bare.accept()) {
                    s.setTcpNoDelay(true);
                    s.startHandshake();
                    s.getOutputStream().write(1);
                    s.getOutputStream().flush();
                    s.getInputStream().read();
                } catch (Exception e) {
                    // next
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return acceptor;
    }

    /** Full mutual-TLS handshakes per second: the node's peer port against a bare JDK server with the same credential. */
    static void handshakes(TestNodes t, GatewayNode al, int k) throws Exception {
        Credential client = t.federation.pki().authority(IT).gatewayTls();
        Credential server = t.federation.pki().authority(AL).gatewayTls();
        SSLContext bareCtx = bareServer(server);
        try (SSLServerSocket bare = (SSLServerSocket) bareCtx.getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress())) {
            bare.setNeedClientAuth(true);
            Thread acceptor = acceptor(bare);
            double node = rate(client, al.peerPort(), k, false);
            double jdk = rate(client, bare.getLocalPort(), k, true);
            System.out.printf("mTLS handshakes: peer port %.0f/s, bare JDK SSLServerSocket %.0f/s, ratio %.2f%n", node, jdk, node / jdk);
        }
    }

    static double rate(Credential client, int port, int k, boolean bare) throws Exception {
        SSLContext ctx = RawPeer.context(client); // one client context; each session is invalidated, so every handshake is full
        for (int i = 0; i < 20; i++) {
            handshake(ctx, port, bare);
        }
        long start = System.nanoTime();
        for (int i = 0; i < k; i++) {
            handshake(ctx, port, bare);
        }
        return k / ((System.nanoTime() - start) / 1e9);
    }

    /** One full handshake (the previous session was invalidated: no resumption), confirmed by the server's byte or answer. */
    static void handshake(SSLContext ctx, int port, boolean bare) throws Exception {
        try (SSLSocket s = RawPeer.connect(ctx, port, "TLSv1.3")) {
            if (bare) {
                s.getInputStream().read();
                s.getOutputStream().write(1);
            } else {
                // The node's answer to a request proves it accepted the client after the handshake.
                RawPeer.request(s, "GET", ReceiveHandler.CONSISTENCY_PATH + "?from=0&to=0", "", new byte[0]);
            }
            s.getSession().invalidate();
        }
    }
}
