package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.SecretKey;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.Role;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Retention;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SqliteMessageStore;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.model.Urgency;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;

/**
 * {@code scripts/bench-history N...} (issue 26): a node holding N messages, measured through its real local API.
 * For each N: a federation; N messages seeded into AL-PP's store and audit log by {@link HistorySeeder} with the
 * node opened but not started (half received from IT-DNA, half sent to it; the newest 1,760 each a package sealed
 * and signed on its own, the older ones rows of their own sharing a pool package's envelope and payload: see
 * {@link HistorySeeder} for exactly what is shared); then {@code liaison serve} started as its own process
 * (start-up: until the local API answers; with native memory tracking, its memory summary written to a file at the
 * end), and this process, a warm client with the CLI's LocalClient, measures: the inbox's first page with and without
 * filters, the 500th page by cursor, the status of one message, the fetch of a small package, acknowledge;
 * the node's peak RSS (VmHWM) at the end. The node stopped, the deadline and retention sweeps are timed on
 * the same store, in this process. Every figure: p50 and p99 (milliseconds); the ratios of the largest N to the smallest.
 *
 * <p>{@code -Dliaison.bench.postgres=true} ({@code scripts/bench-history --postgres}): the store and audit log on a
 * throwaway PostgreSQL cluster ({@link org.liaison.gateway.store.LocalPostgres}), synchronous_commit off while
 * seeding only. {@code -Dliaison.bench.seedOnly=true}: seeding only, for its rate.
 */
public final class HistoryBenchmark {
    /**
     * Requests per figure: 200 by default, so that the p99 is the second slowest of them rather than the slowest (with
     * 30 it was the maximum, one garbage collection pause or background count in the way decided it).
     */
    private static final int ROUNDS = Integer.getInteger("liaison.bench.rounds", 200);

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        for (String a : args) {
            sizes.add(Integer.parseInt(a));
        }
        if (sizes.isEmpty()) {
            sizes = List.of(1000, 100_000);
        }
        String classpath = System.getProperty("java.class.path");
        List<Map<String, double[]>> results = new ArrayList<>();
        Path last = null;
        for (int n : sizes) {
            if (last != null) {
                deleteTree(last); // before the next size is seeded (disk); the last one after the table is printed
            }
            Path dir = Files.createTempDirectory("liaison-history-" + n + "-");
            Map<String, double[]> r = run(dir, n, classpath);
            results.add(r);
            if (Boolean.getBoolean("liaison.bench.keep")) {
                System.out.println("kept: " + dir);
            } else {
                last = dir;
            }
        }
        printTable(sizes, results);
        if (last != null) {
            deleteTree(last);
        }
    }

    private static void printTable(List<Integer> sizes, List<Map<String, double[]>> results) {
        System.out.println();
        StringBuilder head = new StringBuilder(String.format("%-34s", "figure (ms; p50 / p99)"));
        for (int n : sizes) {
            head.append(String.format("%22s", "N=" + n));
        }
        if (sizes.size() > 1) {
            head.append(String.format("%18s", "ratio largest/smallest N"));
        }
        System.out.println(head);
        for (String k : results.get(0).keySet()) {
            StringBuilder line = new StringBuilder(String.format("%-34s", k));
            for (Map<String, double[]> r : results) {
                double[] v = r.get(k);
                line.append(v.length == 1 ? String.format("%22.1f", v[0]) : String.format("%13.1f / %6.1f", v[0], v[1]));
            }
            if (sizes.size() > 1) {
                // The largest N over the smallest, in whatever order they ran (the largest first puts its long seeding
                // ahead of both measurements).
                double[] a = results.get(sizes.indexOf(java.util.Collections.min(sizes))).get(k);
                double[] b = results.get(sizes.indexOf(java.util.Collections.max(sizes))).get(k);
                line.append(a.length == 1 ? String.format("%18.2f", b[0] / a[0])
                        : String.format("%10.2f / %5.2f", b[0] / a[0], b[1] / a[1]));
            }
            System.out.println(line);
        }
    }

    private static final boolean POSTGRES = Boolean.getBoolean("liaison.bench.postgres");

    private static Map<String, double[]> run(Path dir, int n, String classpath) throws Exception {
        // SQLite: seeded in memory (/dev/shm: no fsync to wait for), then copied to disk, where the node runs.
        // PostgreSQL: the database is the server's; the node's folder is seeded where it runs.
        Path shm = Path.of("/dev/shm");
        Path seedDir = !POSTGRES && Files.isDirectory(shm) ? Files.createTempDirectory(shm, "liaison-history-") : dir;
        try {
            return measure(seedDir, dir, n, classpath);
        } finally {
            if (!seedDir.equals(dir)) {
                deleteTree(seedDir);
            }
        }
    }

    /** Removes a folder and everything under it. */
    private static void deleteTree(Path dir) throws Exception {
        new ProcessBuilder("rm", "-rf", dir.toString()).inheritIO().start().waitFor();
    }

    /** A folder's content copied into another, as {@code cp -a} does (a million small files: faster than from Java). */
    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        Process cp = new ProcessBuilder("cp", "-a", from + "/.", to.toString()).inheritIO().start();
        if (cp.waitFor() != 0) {
            throw new IllegalStateException("cp -a " + from + " " + to + " failed");
        }
    }

    private static Map<String, double[]> measure(Path seedDir, Path dir, int n, String classpath) throws Exception {
        TestNodes seeding = new TestNodes(seedDir.resolve("fed"));
        Path seedConfig = seeding.config(AL);
        // Keep everything (ten years of dates): the sweep then measures what it reads, not what it deletes.
        Files.writeString(seedConfig, Files.readString(seedConfig) + "\nretention:\n  default: P20Y\n");
        LocalPostgres.Database db = null;
        if (POSTGRES) {
            db = LocalPostgres.newDatabase();
            seedConfig = TestCluster.configure(seeding.federation, AL, 1, db).configs().get(0);
            synchronousCommit(db, false); // seeding only: each commit does not wait for the WAL's fsync
        }
        int threads = Integer.getInteger("liaison.bench.seedThreads", 8);
        long s0 = System.nanoTime();
        HistorySeeder.Seeded seeded;
        try (GatewayNode al = GatewayNode.open(seedConfig, TestNodes.FAST)) { // opened, not started: the store and audit log
            seeded = HistorySeeder.seed(seeding, al.trust().directory(), al.store(), al.audit(), al.blobs(), n, threads);
        }
        if (POSTGRES) {
            synchronousCommit(db, true);
        }
        double seedSeconds = (System.nanoTime() - s0) / 1e9;
        System.out.printf("N=%d: seeded in %.1f s (%.0f messages/s; %d packages sealed in %.1f s, rows and audit entries written"
                + " in %.1f s, %d threads)%n", n, seedSeconds, n / seedSeconds, Math.min(n, HistorySeeder.POOL), seeded.sealSeconds(),
                seeded.writeSeconds(), threads);
        Path config = seedConfig;
        TestNodes t = seeding;
        if (!seedDir.equals(dir)) {
            long c0 = System.nanoTime();
            copy(seedDir, dir);
            System.out.printf("N=%d: copied to disk in %.1f s%n", n, (System.nanoTime() - c0) / 1e9);
            t = new TestNodes(new FederationSetup.Result(dir.resolve("fed"), seeding.federation.pki(),
                    seeding.federation.jitId(), seeding.federation.nodes(), relocated(seeding.federation.profiles(), seedDir, dir),
                    seeding.federation.directorySequence()));
            config = dir.resolve(seedDir.relativize(seedConfig).toString());
        }

        Map<String, double[]> out = new LinkedHashMap<>();
        out.put("seeding (messages/s)", new double[] {n / seedSeconds});
        if (Boolean.getBoolean("liaison.bench.seedOnly")) {
            return out;
        }
        Path profile = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path log = dir.resolve("serve.log");
        LocalClient client = new LocalClient(profile);
        // Start-up as users start the node: through ./liaison (with its class-data archive of the node's classes, made
        // when the first node started after a build stops) when the build's jar is there (scripts/bench-history
        // packages it); one start first, unmeasured, which makes the archive if there is none. Then, alternated,
        // STARTS starts through ./liaison and STARTS without the archive (the same JVM, as the first start after a
        // build runs, with the launcher's default heap); the medians. The last start through ./liaison stays up for the rest.
        Path root = System.getProperty("liaison.bench.root") == null ? null : Path.of(System.getProperty("liaison.bench.root"));
        boolean launcher = root != null && Files.isRegularFile(root.resolve("gateway/target/liaison.jar"));
        List<String> viaLauncher = launcher ? List.of(root.resolve("liaison").toString(), "serve", "--config", config.toString())
                : List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
                        "-XX:NativeMemoryTracking=summary", "org.liaison.cli.Main", "serve", "--config", config.toString());
        Process node;
        if (launcher) {
            List<String> noArchive = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-XX:NativeMemoryTracking=summary", "-jar", root.resolve("gateway/target/liaison.jar").toString(), "serve", "--config",
                    config.toString());
            stop(startNode(viaLauncher, log, client));
            List<Double> with = new ArrayList<>();
            List<Double> without = new ArrayList<>();
            node = null;
            for (int i = 0; i < STARTS; i++) {
                Process p = startNode(noArchive, log, client);
                without.add(startedMs(p));
                stop(p);
                node = startNode(viaLauncher, log, client);
                with.add(startedMs(node));
                if (i < STARTS - 1) {
                    stop(node);
                }
            }
            out.put("node start-up (until the API answers)", new double[] {median(with)});
            out.put("node start-up, no class archive", new double[] {median(without)});
            System.out.printf("N=%d: start-up through ./liaison %s ms, without the class archive %s ms%n", n, with, without);
        } else {
            node = startNode(viaLauncher, log, client);
            out.put("node start-up (until the API answers)", new double[] {startedMs(node)});
        }
        try {
            String inbox = LocalApi.INBOX;
            String messages = LocalApi.MESSAGES;
            for (int i = 0; i < 5; i++) { // warm the client and the node's paths
                client.page(inbox + "?limit=50");
                client.page(messages + "?limit=50");
            }
            out.put("inbox, first page (50)", time(() -> client.page(inbox + "?limit=50")));
            // OP-HIST-8: a case whose messages are received (HistorySeeder.caseOf: even rows are received; OP-HIST-7 held only sent ones)
            out.put("inbox, first page, case filter", time(() -> client.page(inbox + "?limit=50&case=OP-HIST-8")));
            out.put("inbox, first page, sender+service", time(() -> client.page(inbox + "?limit=50&from=IT-DNA&service=mla-request")));
            out.put("inbox, first page, since a year", time(() -> client.page(inbox + "?limit=50&since="
                    + Instant.now().minus(Duration.ofDays(365)).truncatedTo(ChronoUnit.SECONDS))));
            out.put("inbox, overdue", time(() -> client.page(inbox + "?limit=50&overdue=true")));
            // The 500th page of ten (or the last there is): its cursor found once, then the page asked for by cursor.
            String cursor = null;
            int pages = 0;
            for (; pages < 499; pages++) {
                LocalClient.Page p = client.page(inbox + "?limit=10" + (cursor == null ? "" : "&after=" + cursor));
                if (p.next() == null) {
                    break;
                }
                cursor = p.next();
            }
            String at = cursor;
            System.out.printf("N=%d: the 500th page of ten is page %d here%n", n, pages + 1);
            out.put("inbox, 500th page (of 10) by cursor", time(() -> client.page(inbox + "?limit=10" + (at == null ? "" : "&after=" + at))));
            out.put("status, first page (50)", time(() -> client.page(messages + "?limit=50")));
            out.put("status, one message", time(() -> client.get(LocalApi.message(seeded.sent()))));
            out.put("fetch, a 1 KiB package", time(() -> {
                try (var in = client.fetch(seeded.received().get(0).toString())) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
            }));
            AtomicInteger next = new AtomicInteger(1);
            out.put("acknowledge", time(() -> client.post(LocalApi.INBOX + "/"
                    + seeded.received().get(next.getAndIncrement()) + LocalApi.ACKNOWLEDGE)));
            // A Prometheus scrape of the serving node's admin port (GET /metrics, plain HTTP; the overdue gauges read the
            // last count: OverdueCounts; the deliveries by state are the counts the database keeps).
            NodeConfig.Listener admin = NodeConfig.load(config).admin();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpRequest scrape = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://"
                    + (admin.host() == null || admin.host().isBlank() || admin.host().equals("0.0.0.0") ? "127.0.0.1" : admin.host())
                    + ":" + admin.port() + "/metrics")).build();
            String first = http.send(scrape, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            if (!first.contains("liaison_deliveries{state=\"queued\"}")) {
                throw new IllegalStateException("GET /metrics of the node answered without the deliveries by state: " + first);
            }
            out.put("metrics scrape (GET /metrics)", time(() -> http.send(scrape, java.net.http.HttpResponse.BodyHandlers.discarding())));
            out.put("node peak RSS (MiB)", new double[] {peakRssMiB(node.pid())});
            gcPauses(dir.resolve("gc-" + node.pid() + ".log"), n); // before diagnose's heap inspection (a full GC)
            diagnose(node.pid(), n);
        } finally {
            stop(node);
        }
        // The sweeps, on the same store and audit log, the node stopped (they run inside the node otherwise).
        try (GatewayNode al = GatewayNode.start(config, TestNodes.FAST)) {
            Retention retention = new Retention(al, Retention.periods(Map.of("default", "P20Y")));
            out.put("retention sweep", time(() -> new Retention(al, retention.periods()).sweepIfDue(Instant.now())));
            out.put("deadline pass (passed, to audit)", time(() -> al.store().sent().deadlinesPassed(Instant.now(), 256)));
            // In-process, not a scrape: the two counts OverdueCounts makes on its own thread (at most every 10 s) for the
            // overdue gauges, which a scrape only reads.
            out.put("overdue counts (in-process, off the scrape)", time(() -> {
                al.store().inbox().overdue(Instant.now());
                al.store().sent().overdue(Instant.now());
            }));
        }
        return out;
    }

    /** Turns the server's synchronous_commit off (seeding) or back on (measuring). */
    private static void synchronousCommit(LocalPostgres.Database db, boolean on) throws Exception {
        try (var c = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password()); var s = c.createStatement()) {
            s.execute("ALTER SYSTEM SET synchronous_commit = " + (on ? "on" : "off"));
            s.execute("SELECT pg_reload_conf()");
        }
    }

    /** The profile folders, moved with the federation. */
    private static Map<AuthorityId, Map<Role, Path>> relocated(Map<AuthorityId, Map<Role, Path>> profiles,
            Path from, Path to) {
        Map<AuthorityId, Map<Role, Path>> out = new LinkedHashMap<>();
        profiles.forEach((id, m) -> {
            Map<Role, Path> x = new LinkedHashMap<>();
            m.forEach((role, p) -> x.put(role, to.resolve(from.relativize(p).toString())));
            out.put(id, x);
        });
        return out;
    }

    /** Where a node's data folder is (node.yaml's dataDir). */
    static final class TestNodesData {
        static Path dataDir(Path config) throws Exception {
            return NodeConfig.resolve(config, NodeConfig.load(config).dataDir());
        }
    }

    /** Starts of the node measured per N, each way (see measure). */
    private static final int STARTS = Integer.getInteger("liaison.bench.starts", 3);

    /** When each node process was launched (System.nanoTime) and how long it took until its API answered. */
    private static final Map<Process, Double> STARTED = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Launches {@code command} (the node, its output to {@code log}; ./liaison execs java, so the process is the node's JVM,
     * with native memory tracking for {@link #diagnose}) and waits until its local API answers a first page to {@code client}.
     */
    private static Process startNode(List<String> command, Path log, LocalClient client) throws Exception {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // The node's garbage collection pauses to a log of its own (gcPauses reads the measured node's).
        b.environment().put("LIAISON_JAVA_OPTS", "-XX:NativeMemoryTracking=summary -Xlog:gc:file="
                + log.resolveSibling("gc-%p.log") + ":uptime");
        long t0 = System.nanoTime();
        Process node = b.start();
        try {
            while (true) {
                try {
                    client.page(LocalApi.INBOX + "?limit=1");
                    break;
                } catch (Exception notYet) {
                    if (!node.isAlive()) {
                        throw new IllegalStateException("the node stopped: " + Files.readString(log));
                    }
                    Thread.sleep(20);
                }
            }
        } catch (Exception | Error e) {
            stop(node);
            throw e;
        }
        STARTED.put(node, (System.nanoTime() - t0) / 1e6);
        return node;
    }

    private static double startedMs(Process node) {
        return STARTED.get(node);
    }

    /** SIGTERM: the node stops as an operator stops it. */
    private static void stop(Process node) throws InterruptedException {
        if (node != null) {
            node.destroy();
            node.waitFor();
            STARTED.remove(node);
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private interface Work {
        void run() throws Exception;
    }

    /** p50 and p99 of {@value #ROUNDS} runs, in milliseconds. */
    private static double[] time(Work w) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            long s = System.nanoTime();
            w.run();
            ms.add((System.nanoTime() - s) / 1e6);
        }
        Collections.sort(ms);
        return new double[] {ms.get(ms.size() / 2), ms.get((int) Math.min(ms.size() - 1, Math.ceil(ms.size() * 0.99) - 1))};
    }

    /** What the node's memory holds at the end (native memory by area, the heap, the largest classes), into a file. */
    private static void diagnose(long pid, int n) throws Exception {
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "liaison-history-" + (POSTGRES ? "pg-" : "sqlite-") + n + "-memory.txt");
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        StringBuilder all = new StringBuilder();
        for (String what : List.of("VM.native_memory summary", "GC.heap_info", "GC.class_histogram")) {
            List<String> command = new ArrayList<>(List.of(jcmd, Long.toString(pid)));
            command.addAll(List.of(what.split(" ")));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor();
            all.append("== ").append(what).append('\n').append(what.equals("GC.class_histogram")
                    ? String.join("\n", text.lines().limit(25).toList()) : text).append('\n');
        }
        Files.writeString(file, all);
        System.out.printf("N=%d: the node's memory at the end: %s%n", n, file);
    }

    /** The garbage collection pauses of the node's life (its -Xlog:gc file): how many, in all, the longest. */
    private static void gcPauses(Path gcLog, int n) throws Exception {
        if (!Files.isRegularFile(gcLog)) {
            System.out.printf("N=%d: no GC log at %s%n", n, gcLog);
            return;
        }
        java.util.regex.Pattern pause = java.util.regex.Pattern.compile("Pause .* ([0-9.]+)ms$");
        List<Double> ms = new ArrayList<>();
        String last = "";
        for (String line : Files.readAllLines(gcLog)) {
            java.util.regex.Matcher m = pause.matcher(line);
            if (m.find()) {
                ms.add(Double.parseDouble(m.group(1)));
                last = line;
            }
        }
        System.out.printf("N=%d: the node's GC pauses: %d, %.0f ms in all, longest %.1f ms; the last: %s%n", n, ms.size(),
                ms.stream().mapToDouble(Double::doubleValue).sum(), ms.stream().mapToDouble(Double::doubleValue).max().orElse(0),
                last.strip());
    }

    private static double peakRssMiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }
}
