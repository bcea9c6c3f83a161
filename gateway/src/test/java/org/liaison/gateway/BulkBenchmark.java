package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.liaison.certs.Credential;
import org.liaison.certs.Role;
import org.liaison.certs.SecureFiles;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;

/**
 * Bulk throughput side by side, interleaved, three repetitions after an uncounted warm-up: small packages
 * ({@code -Dliaison.bench.warmupMessages}, default 300), then one round of every stage
 * ({@code -Dliaison.bench.warmupMiB}, default 256; 0 for none) (scripts/bench-bulk): (a) a bare JDK
 * TLS 1.3 stream over loopback, (b) scp over loopback (when scripts/bench-bulk could start an sshd:
 * its command is given as {@code -Dliaison.bench.scp}), (c) Liaison's delivery stage node → node
 * (sealed → receipt verified), (d) the whole path (submit through the local API → receipt
 * verified), (e) a fetch with the CLI (download, decrypt, verify, files written). The sender node
 * runs in this JVM, the receiver as a {@code liaison serve} process; both -Xmx256m.
 *
 * <p>It also prints where the CPU goes, to judge the whole path against what this machine can do:
 * the cores both processes kept busy during the submit and during the delivery, and a floor — the
 * CPU per byte of the path's unavoidable work measured here (a bare TLS hop, both ends, as in (a);
 * SHA-256; the payload's AES-GCM) summed for the whole path (two TLS hops, three SHA-256 passes: the
 * plaintext and ciphertext at submission, the ciphertext at the receiver; one AES-GCM) and spread
 * over every core. Last, each thread's CPU per payload byte in each of the two stages (by process and thread
 * name, as the kernel shortens it to 15 characters), to show which part of the path the time goes to.
 */
public final class BulkBenchmark {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long size = Long.parseLong(args[1]) << 20;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String scp = System.getProperty("liaison.bench.scp");
        int warmMessages = Integer.getInteger("liaison.bench.warmupMessages", 300);
        long warmSize = Long.getLong("liaison.bench.warmupMiB", 256) << 20;
        TestNodes t = new TestNodes(dir.resolve("federation"));
        String provider = System.getProperty("liaison.bench.provider", "jdk");
        TlsProviderTest.useProvider(t, IT, provider);
        TlsProviderTest.useProvider(t, AL, provider);
        Path file = dir.resolve("evidence.bin");
        String sha = write(file, size);
        Path receiverLog = dir.resolve("receiver.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        String receiverOptions = System.getProperty("liaison.bench.receiver", ""); // e.g. a JFR recording of the receiver
        if (!receiverOptions.isBlank()) {
            cmd.addAll(Arrays.asList(receiverOptions.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.liaison.cli.Main", "serve", "--config",
                t.config(AL).toString()));
        Process receiver = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(receiverLog.toFile()).start();
        Map<String, List<Double>> mbs = new LinkedHashMap<>();
        List<Double> bareCpu = new ArrayList<>();
        List<Double> submitCores = new ArrayList<>();
        List<Double> deliveryCores = new ArrayList<>();
        Map<String, Long> submitThreads = new HashMap<>();
        Map<String, Long> deliveryThreads = new HashMap<>();
        for (String k : List.of("a bare TLS 1.3", "b scp", "c delivery", "d submit->receipt", "e fetch")) {
            mbs.put(k, new ArrayList<>());
        }
        try (GatewayNode it = GatewayNode.start(t.config(IT))) {
            ServeProcessTest.awaitLog(receiverLog, "started", Duration.ofSeconds(60));
            LocalClient sender = new LocalClient(t.federation.profiles().get(IT).get(Role.INVESTIGATOR));
            String receiverProfile = t.federation.profiles().get(AL).get(Role.INVESTIGATOR).toString();
            Credential server = t.federation.pki().authority(IT).gatewayTls();
            Credential client = t.federation.pki().authority(AL).gatewayTls();
            // Small packages first: the code each message runs once (XML, signatures, the store, the audit log) is
            // compiled by then, as in a node that has run a while. Without them the receiver's JIT compilers took
            // 0.5-0.7 CPU ns per payload byte of a measured delivery after a 1 GiB warm-up, with them 0.26-0.40
            // (the by-thread figures printed last).
            if (warmMessages > 0) {
                Path small = dir.resolve("warm-up-small.bin");
                String smallSha = write(small, 4096);
                List<UUID> ids = new ArrayList<>();
                for (int i = 0; i < warmMessages; i++) {
                    ids.add(UUID.fromString(sender.submit(manifest(t, small, 4096, smallSha), List.of(small), null, null)));
                }
                TestNodes.await("warm-up deliveries", Duration.ofMinutes(30), () -> ids.stream().allMatch(
                        id -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED));
                Files.delete(small);
                System.out.printf("rep 0 (warm-up, %d small packages, not counted) done%n", warmMessages);
            }
            // Then one uncounted round of every Java stage: the JIT compiles the path (a node runs for months; the
            // first gigabyte through a fresh JVM measured at about half the speed of the next).
            if (warmSize > 0) {
                Path warm = dir.resolve("warm-up.bin");
                String warmSha = write(warm, warmSize);
                bareTls(server, client, warm);
                UUID w = UUID.fromString(sender.submit(manifest(t, warm, warmSize, warmSha), List.of(warm), null, null));
                TestNodes.await("warm-up delivery", Duration.ofMinutes(60),
                        () -> it.store().deliveries().of(w).get(0).state() == MessageStore.State.DELIVERED);
                CliEndToEndTest.Run fetch = CliEndToEndTest.liaison("--profile", receiverProfile, "fetch", w.toString(), "--out",
                        dir.resolve("warm-fetched").toString());
                if (fetch.exit() != 0) {
                    throw new IllegalStateException("warm-up fetch failed: " + fetch.err());
                }
                SecureFiles.deleteTree(dir.resolve("warm-fetched"));
                Files.delete(warm);
                System.out.printf("rep 0 (warm-up, %d MiB, not counted) done%n", warmSize >> 20);
            }
            for (int rep = 0; rep < reps; rep++) {
                long c0 = processCpuNanos();
                double bare = bareTls(server, client, file);
                bareCpu.add((processCpuNanos() - c0) / (double) size);
                mbs.get("a bare TLS 1.3").add(size / 1e6 / bare);
                if (scp != null) {
                    mbs.get("b scp").add(size / 1e6 / scp(scp, file, dir.resolve("scp-copy.bin")));
                }
                byte[] manifest = manifest(t, file, size, sha);
                long cpu0 = processCpuNanos() + cpuNanos(receiver);
                Map<String, ThreadTicks> th0 = threadTicks(receiver);
                long t0 = System.nanoTime();
                UUID id = UUID.fromString(sender.submit(manifest, List.of(file), null, null));
                long t1 = System.nanoTime();
                long cpu1 = processCpuNanos() + cpuNanos(receiver);
                Map<String, ThreadTicks> th1 = threadTicks(receiver);
                TestNodes.await("delivery", Duration.ofMinutes(60),
                        () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
                long t2 = System.nanoTime();
                long cpu2 = processCpuNanos() + cpuNanos(receiver);
                Map<String, ThreadTicks> th2 = threadTicks(receiver);
                addByName(submitThreads, th0, th1);
                addByName(deliveryThreads, th1, th2);
                submitCores.add((cpu1 - cpu0) / (double) (t1 - t0));
                deliveryCores.add((cpu2 - cpu1) / (double) (t2 - t1));
                mbs.get("c delivery").add(size / 1e6 / ((t2 - t1) / 1e9));
                mbs.get("d submit->receipt").add(size / 1e6 / ((t2 - t0) / 1e9));
                Path out = dir.resolve("fetched-" + rep);
                long f0 = System.nanoTime();
                CliEndToEndTest.Run fetch = CliEndToEndTest.liaison("--profile", receiverProfile, "fetch", id.toString(), "--out",
                        out.toString());
                long f1 = System.nanoTime();
                if (fetch.exit() != 0) {
                    throw new IllegalStateException("fetch failed: " + fetch.err());
                }
                mbs.get("e fetch").add(size / 1e6 / ((f1 - f0) / 1e9));
                SecureFiles.deleteTree(out);
                System.out.printf("rep %d done%n", rep + 1);
            }
            System.out.println("receiver JVM peak RSS " + peakRssMiB(receiver) + " MiB (-Xmx256m)");
        } finally {
            receiver.destroy();
            receiver.waitFor(60, TimeUnit.SECONDS);
        }
        System.out.printf("%n%d MiB, %d repetitions after a warm-up round of %d small packages and %d MiB, Java %s (%s), peer TLS provider %s%n",
                size >> 20, reps, warmMessages, warmSize >> 20, Runtime.version(), System.getProperty("java.vm.name"), provider);
        System.out.printf("%-20s %8s %20s%n", "stage", "MB/s", "range");
        for (Map.Entry<String, List<Double>> e : mbs.entrySet()) {
            if (e.getValue().isEmpty()) {
                System.out.printf("%-20s %8s%n", e.getKey(), "n/a");
            } else {
                System.out.printf("%-20s %8.0f %9.0f – %-9.0f%n", e.getKey(), median(e.getValue()), min(e.getValue()), max(e.getValue()));
            }
        }
        double a = median(mbs.get("a bare TLS 1.3"));
        System.out.printf("%ndelivery / bare TLS      %.2f  (target >= 0.45)%n", median(mbs.get("c delivery")) / a);
        System.out.printf("whole path / bare TLS    %.2f  (target >= 0.25)%n", median(mbs.get("d submit->receipt")) / a);
        if (!mbs.get("b scp").isEmpty()) {
            System.out.printf("delivery / scp           %.2f  (target >= 1.0)%n", median(mbs.get("c delivery")) / median(mbs.get("b scp")));
        }
        // The same ratios taken within each repetition, whose stages ran a few seconds apart: less of the
        // machine's drift between the medians above.
        System.out.printf("paired per repetition:  delivery / bare TLS %s, whole path / bare TLS %s%n",
                paired(mbs.get("c delivery"), mbs.get("a bare TLS 1.3")), paired(mbs.get("d submit->receipt"), mbs.get("a bare TLS 1.3")));
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("%ncores busy (both JVMs, of %d): submit %.2f, delivery %.2f; bare TLS %.2f CPU ns/B%n", cores,
                median(submitCores), median(deliveryCores), median(bareCpu));
        double[] f = floor(size);
        double floor = 2 * median(bareCpu) + 3 * f[0] + f[1];
        System.out.printf("floor: SHA-256 %.2f ns/B, payload AES-GCM %.2f ns/B; whole path >= %.2f CPU ns/B -> at most %.0f MB/s"
                + " on %d cores, %.2f x bare TLS%n", f[0], f[1], floor, cores * 1e3 / floor, cores, cores * 1e3 / floor / a);
        System.out.printf("%nCPU ns per payload byte by thread, summed over the repetitions (this JVM: the CLI's HttpClient and the"
                + " sender node; the receiver process; from /proc, 10 ms ticks):%n");
        printByThread("submit", submitThreads, reps * size);
        printByThread("delivery", deliveryThreads, reps * size);
    }

    /** One thread's CPU so far: its "process: name" (digits of pool numbering dropped) and its clock ticks. */
    record ThreadTicks(String name, long ticks) {
    }

    /** Each thread of this JVM and of {@code receiver}, by "pid/tid". */
    static Map<String, ThreadTicks> threadTicks(Process receiver) throws java.io.IOException {
        Map<String, ThreadTicks> m = new HashMap<>();
        for (long pid : new long[] {ProcessHandle.current().pid(), receiver.pid()}) {
            String who = pid == receiver.pid() ? "receiver: " : "sender: ";
            try (var tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
                for (Path task : tasks) {
                    String stat;
                    try {
                        stat = Files.readString(task.resolve("stat"));
                    } catch (java.io.IOException ended) {
                        continue; // the thread ended meanwhile
                    }
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[-#]\\d+|\\d+$", "").replaceAll("-$", "");
                    m.put(pid + "/" + task.getFileName(), new ThreadTicks(who + name, ticks(stat)));
                }
            }
        }
        return m;
    }

    /** Adds each thread's ticks between {@code before} and {@code after} to {@code into}, by process and thread name. */
    static void addByName(Map<String, Long> into, Map<String, ThreadTicks> before, Map<String, ThreadTicks> after) {
        after.forEach((thread, now) -> {
            ThreadTicks then = before.get(thread);
            into.merge(now.name(), now.ticks() - (then == null ? 0 : then.ticks()), Long::sum);
        });
    }

    static void printByThread(String stage, Map<String, Long> ticks, long bytes) {
        StringBuilder line = new StringBuilder();
        double total = 0;
        for (Map.Entry<String, Long> e : ticks.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).toList()) {
            double nsPerByte = e.getValue() * 10e6 / bytes;
            total += nsPerByte;
            if (nsPerByte >= 0.02) {
                line.append(String.format("%n  %-40s %.2f", e.getKey(), nsPerByte));
            }
        }
        System.out.printf("%s: %.2f CPU ns/B in all%s%n", stage, total, line);
    }

    /** The median and range of {@code x[i] / y[i]} over the repetitions. */
    static String paired(List<Double> x, List<Double> y) {
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            r.add(x.get(i) / y.get(i));
        }
        return r.isEmpty() ? "n/a" : String.format("%.2f (%.2f – %.2f)", median(r), min(r), max(r));
    }

    /** CPU nanoseconds per byte of SHA-256 and of the payload cipher (AES-256-GCM segments), in this JVM, best of three. */
    static double[] floor(long size) throws Exception {
        byte[] buf = new byte[1 << 20];
        new java.util.Random(1).nextBytes(buf);
        long n = Math.min(size, 512L << 20);
        double sha = Double.MAX_VALUE;
        double gcm = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long c0 = processCpuNanos();
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (long k = 0; k < n; k += buf.length) {
                d.update(buf);
            }
            d.digest();
            long c1 = processCpuNanos();
            try (OutputStream out = PayloadCipher.encrypt(ContentEncryption.newContentKey(),
                    0, PayloadCipher.DEFAULT_SEGMENT_SIZE, OutputStream.nullOutputStream())) {
                for (long k = 0; k < n; k += buf.length) {
                    out.write(buf);
                }
            }
            long c2 = processCpuNanos();
            sha = Math.min(sha, (c1 - c0) / (double) n);
            gcm = Math.min(gcm, (c2 - c1) / (double) n);
        }
        return new double[] {sha, gcm};
    }

    /** This JVM's CPU time so far, all threads. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Another process's CPU time so far (user and system, from /proc), in nanoseconds. */
    static long cpuNanos(Process p) throws java.io.IOException {
        return ticks(Files.readString(Path.of("/proc/" + p.pid() + "/stat"))) * 10_000_000L;
    }

    /** User plus system time in a /proc {@code stat} line, in clock ticks of 10 ms (USER_HZ 100). */
    static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** A file of {@code size} random-looking bytes; returns its SHA-256. */
    static String write(Path file, long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = ServeProcessTest.generated(size).open(); OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static byte[] manifest(TestNodes t, Path file, long size, String sha) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        return Manifests.sign(new ManifestSpec("OP-BULK-1", Service.MLA_REQUEST, IT, List.of(AL), null, Instrument.UNTOC, "18", "",
                Classification.RESTRICTED, Set.of(), null), List.of(new FileEntry(file.getFileName().toString(), "application/octet-stream",
                size, sha, List.of(new FileEntry.Custody("forensics lab", now, "disk image", "")))), t.investigator(IT), UUID.randomUUID(),
                now);
    }

    /** Seconds to stream the file over a bare JDK TLS 1.3 connection on loopback, read to the last byte by the other end. */
    static double bareTls(Credential server, Credential client, Path file) throws Exception {
        SSLContext s = MessageBenchmark.bareServer(server);
        SSLContext c = RawPeer.context(client);
        try (SSLServerSocket listen = (SSLServerSocket) s.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listen.setNeedClientAuth(true);
            long[] read = {0};
            Thread reader = new Thread(() -> {
                try (SSLSocket in = (SSLSocket) listen.accept(); InputStream i = in.getInputStream()) {
                    byte[] buf = new byte[1 << 20];
                    int n;
                    while ((n = i.read(buf)) > 0) {
                        read[0] += n;
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            reader.start();
            long t0 = System.nanoTime();
            try (SSLSocket out = RawPeer.connect(c, listen.getLocalPort(), "TLSv1.3"); InputStream in = Files.newInputStream(file)) {
                OutputStream o = out.getOutputStream();
                byte[] buf = new byte[1 << 20];
                int n;
                while ((n = in.read(buf)) > 0) {
                    o.write(buf, 0, n);
                }
                o.flush();
                out.shutdownOutput();
                reader.join();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (read[0] != Files.size(file)) {
                throw new IllegalStateException("bare TLS read " + read[0] + " bytes");
            }
            return secs;
        }
    }

    /** Seconds of an scp of the file over loopback; {@code command} is the scp command line before the two paths. */
    static double scp(String command, Path file, Path copy) throws Exception {
        List<String> cmd = new ArrayList<>(Arrays.asList(command.trim().split("\\s+")));
        cmd.add(file.toString());
        cmd.add("127.0.0.1:" + copy);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("scp failed: " + out);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Files.delete(copy);
        return secs;
    }

    /** The peak resident set of a running process (VmHWM), from the kernel, in MiB. */
    static long peakRssMiB(Process p) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) >> 10;
            }
        }
        return -1;
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        return s.get(s.size() / 2);
    }

    static double min(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
}
