package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.certs.SecureFiles;
import org.liaison.certs.Suite;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.witness.WitnessWiring;
import org.liaison.protocol.directory.DirectoryEdits;
import org.liaison.protocol.directory.DirectorySigner;
import org.liaison.protocol.model.Directory;

/**
 * {@code scripts/bench-messages} (issues 26 and 28): small messages as investigators send them, through the real
 * local API. Three nodes (IT-DNA sends, AL-PP receives, US-OIA witnesses) run as separate {@code liaison serve}
 * processes; clients are processes of their own: warm clients ({@link LocalSubmitters}: N concurrent submitters,
 * each with the CLI's {@link LocalClient}) and a CLI per message ({@code liaison submit}, one JVM per package, as
 * an investigator runs it). A message counts from the start of its submission to the sender's receipt (the
 * delivery's time in the sender's store). Each process's CPU per message (user + system, from /proc/PID/stat,
 * before and after) is printed beside the floor the path's cryptography sets (measured first, in this JVM:
 * {@link MessageBenchmark#cryptoFloorMillis}). Beside it, per level of warm clients, the "design floor" ({@link DesignFloor}):
 * the signatures, verifications, X25519 operations and handshakes the protocol as now designed performs per message
 * (counted from the nodes' audit logs over the measured window), each at its cost measured here; the floor stays
 * the target. With {@code -Dliaison.bench.witnessing=both}, the same run with
 * witnessing and without (a federation whose directory names no witnesses), side by side, and the ratio.
 *
 * <p>Usage: {@code LocalApiBenchmark [N per level, default 200]}; properties: {@code liaison.bench.suite} (modern,
 * pq-hybrid), {@code liaison.bench.provider} (openssl, jdk: the peer port), {@code liaison.bench.levels} (4,16),
 * {@code liaison.bench.cli} (CLI submissions per level, 0: none), {@code liaison.bench.warmup} (messages before
 * the first level, default 400), {@code liaison.bench.witnessing} (on, off, both), {@code liaison.bench.nodeOpts}
 * (JVM options of the nodes, e.g. a flight recording), {@code liaison.bench.clientOpts} (those of the warm clients' process).
 */
public final class LocalApiBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Suite suite = Suite.fromId(System.getProperty("liaison.bench.suite", "modern"));
        String provider = System.getProperty("liaison.bench.provider", "openssl");
        int[] levels = java.util.Arrays.stream(System.getProperty("liaison.bench.levels", "4,16").split(","))
                .mapToInt(x -> Integer.parseInt(x.trim())).toArray();
        int cli = Integer.getInteger("liaison.bench.cli", 16);
        String witnessing = System.getProperty("liaison.bench.witnessing", "on");
        System.out.printf("java %s, %d cores, peer TLS %s, suite %s, %d messages per level (1 KiB each)%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), provider, suite, n);
        List<Boolean> modes = witnessing.equals("both") ? List.of(true, false) : List.of(!witnessing.equals("off"));
        // -Dliaison.bench.baseline=DIR: the same run twice, the nodes first with DIR's classes ahead of this build's (an
        // earlier version of the classes a change touched), then with this build: a before/after in one run.
        String baseline = System.getProperty("liaison.bench.baseline");
        List<String> builds = baseline == null ? java.util.Collections.singletonList(null) : java.util.Arrays.asList(baseline, null);
        Map<String, double[]> byMode = new LinkedHashMap<>();
        double floor = Double.NaN;
        for (String build : builds) {
        for (boolean witnessed : modes) {
            Path dir = Files.createTempDirectory("liaison-local-bench");
            try {
                Run run = new Run(dir, suite, provider, witnessed);
                run.nodeClasspath = build == null ? run.classpath : build + File.pathSeparator + run.classpath;
                if (baseline != null) {
                    System.out.println("== nodes run " + (build == null ? "this build" : "the baseline (" + build + " first)"));
                }
                if (Double.isNaN(floor)) {
                    floor = run.floor();
                    System.out.printf("crypto floor: %.2f ms of CPU per message (3 Ed25519 signatures, 3 verifications, X25519, one"
                            + " mTLS handshake) -> at most %.0f msg/s on %d cores%n", floor,
                            Runtime.getRuntime().availableProcessors() * 1000 / floor, Runtime.getRuntime().availableProcessors());
                }
                System.out.println("== witnessing " + (witnessed ? "on (each node's checkpoints to the other two, every "
                        + WitnessWiring.EVERY.toSeconds() + " s)" : "off (the directory names no witnesses)"));
                byMode.put(witnessed ? "on" : "off", run.measure(n, levels, cli, floor));
            } finally {
                if (!Boolean.getBoolean("liaison.bench.keep")) {
                    SecureFiles.deleteTree(dir);
                } else {
                    System.out.println("kept: " + dir);
                }
            }
        }
        }
        if (byMode.size() == 2) {
            double[] on = byMode.get("on");
            double[] off = byMode.get("off");
            for (int i = 0; i < levels.length; i++) {
                System.out.printf("witnessing, %2d warm clients: on/off CPU per message %.2f / %.2f ms = %.3f (%+.1f%%); msg/s off/on %.3f%n",
                        levels[i], on[2 * i], off[2 * i], on[2 * i] / off[2 * i], 100 * (on[2 * i] / off[2 * i] - 1),
                        off[2 * i + 1] / on[2 * i + 1]);
            }
        }
    }

    /** user + system CPU milliseconds of process {@code pid} and of its waited-for children (USER_HZ = 100). */
    static long[] cpuMillis(long pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {(Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10, (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10};
    }

    /** One federation of three nodes as processes, and its measurements. */
    static final class Run {
        private final Path dir;
        private final TestNodes t;
        private final String classpath = System.getProperty("java.class.path");
        /** The nodes' class path (this build's unless a baseline goes first). */
        private String nodeClasspath = classpath;
        private final String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();

        Run(Path dir, Suite suite, String provider, boolean witnessed) throws Exception {
            this.dir = dir;
            this.t = new TestNodes(FederationSetup.create(dir.resolve("fed"), List.of(IT, AL, US), suite,
                    Instant.now().truncatedTo(ChronoUnit.SECONDS), Duration.ofDays(30)));
            for (AuthorityId id : List.of(IT, AL, US)) {
                TlsProviderTest.useProvider(t, id, provider);
            }
            if (!witnessed) {
                withoutWitnesses();
            }
        }

        /** The federation's directory, next edition, naming no witness and no witness key (the benchmark's "off"). */
        private void withoutWitnesses() throws Exception {
            Path file = t.federation.dir().resolve(FederationSetup.DIRECTORY);
            Directory d = DirectoryEdits.read(Files.readAllBytes(file));
            d.getAuthority().forEach(a -> {
                a.getWitnessKey().clear();
                a.setWitnesses(null);
            });
            DirectoryEdits.nextEdition(d, Instant.now().truncatedTo(ChronoUnit.SECONDS));
            SecureFiles.writeAtomically(file, DirectorySigner.sign(d, t.federation.pki().directorySigning()), false);
        }

        /** The crypto floor, with the nodes started in this JVM for their keys and trust, then stopped. */
        double floor() throws Exception {
            try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
                double floor = MessageBenchmark.cryptoFloorMillis(t, it, al);
                costs = DesignFloor.measure(t.federation.pki().authority(IT).gatewayTls(), t.federation.pki().authority(AL).gatewayTls());
                return floor;
            }
        }

        /** What each cryptographic primitive costs here (for the design floor), measured with the floor. */
        private static DesignFloor.Costs costs;

        private Map<AuthorityId, DesignFloor.Mark> auditMarks() throws Exception {
            Map<AuthorityId, DesignFloor.Mark> m = new HashMap<>();
            for (AuthorityId id : List.of(IT, AL, US)) {
                m.put(id, DesignFloor.Mark.of(t.auditDir(id)));
            }
            return m;
        }

        /** The design floor's line: the operations the nodes' logs show since {@code marks}, per message. */
        private void printDesignFloor(Map<AuthorityId, DesignFloor.Mark> marks, int messages, double floor) throws Exception {
            if (costs == null) {
                return;
            }
            DesignFloor.Tally all = new DesignFloor.Tally(0, 0, 0, 0, 0, 0, 0);
            for (AuthorityId id : List.of(IT, AL, US)) {
                all = all.plus(DesignFloor.tally(t.auditDir(id), marks.get(id)));
            }
            System.out.println("   " + DesignFloor.describe(all.perMessage(messages), costs, floor));
        }

        private Process serve(AuthorityId id) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(javaBin));
            String opts = System.getProperty("liaison.bench.nodeOpts", "");
            for (String o : opts.split(" ")) {
                if (!o.isBlank()) {
                    cmd.add(o.replace("{id}", id.value()));
                }
            }
            cmd.addAll(List.of("-Dliaison.log.level=warn", "-cp", nodeClasspath, "org.liaison.cli.Main", "serve", "--config",
                    t.config(id).toString()));
            return new ProcessBuilder(cmd).directory(new File("/")).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(id.value() + ".log").toFile()).start();
        }

        private Path profile(AuthorityId id) {
            return t.federation.profiles().get(id).get(Role.INVESTIGATOR);
        }

        /** Measures each level; returns, per level, the total CPU per message and the rate (warm clients). */
        double[] measure(int n, int[] levels, int cli, double floor) throws Exception {
            Map<AuthorityId, Process> nodes = new LinkedHashMap<>();
            try {
                for (AuthorityId id : List.of(IT, AL, US)) {
                    nodes.put(id, serve(id));
                }
                LocalClient watcher = new LocalClient(profile(IT));
                for (AuthorityId id : List.of(IT, AL, US)) {
                    LocalClient c = new LocalClient(profile(id));
                    long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos(); // a loaded machine starts a JVM slowly
                    while (true) {
                        try {
                            c.page(LocalApi.MESSAGES + "?limit=1");
                            break;
                        } catch (Exception notYet) {
                            if (!nodes.get(id).isAlive() || System.nanoTime() > deadline) {
                                throw new IllegalStateException(id + " did not start: " + Files.readString(dir.resolve(id.value() + ".log")));
                            }
                            Thread.sleep(100);
                        }
                    }
                }
                double[] out = new double[2 * levels.length];
                int warmup = Integer.getInteger("liaison.bench.warmup", 400);
                for (int i = 0; i < levels.length; i++) {
                    double[] r = warm(nodes, watcher, levels[i], i == 0 ? Math.max(warmup, 2 * levels[i]) : 2 * levels[i], n, floor);
                    out[2 * i] = r[0];
                    out[2 * i + 1] = r[1];
                }
                if (cli > 0) {
                    for (int level : levels) {
                        perCommand(nodes, watcher, level, cli, floor);
                    }
                }
                for (Map.Entry<AuthorityId, Process> e : nodes.entrySet()) {
                    // Refusals the node audited (pipelined requests: LIAISON:0043), from its audit log's entries.
                    Path entries = t.auditDir(e.getKey()).resolve("entries");
                    String audit = Files.exists(entries) ? new String(Files.readAllBytes(entries), StandardCharsets.ISO_8859_1) : "";
                    long pipelining = audit.split("LIAISON:0043", -1).length - 1;
                    long rejects = audit.split("\"reject\"", -1).length - 1;
                    if (pipelining > 0 || rejects > 0) {
                        System.out.printf("   %s audited %d refusals, %d of them LIAISON:0043 (pipelining)%n", e.getKey(), rejects, pipelining);
                    }
                }
                return out;
            } finally {
                for (Process p : nodes.values()) {
                    p.destroy(); // SIGTERM: as an operator stops a node
                }
                for (Process p : nodes.values()) {
                    if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor();
                    }
                }
            }
        }

        private Map<AuthorityId, Long> nodeCpu(Map<AuthorityId, Process> nodes) throws Exception {
            Map<AuthorityId, Long> m = new HashMap<>();
            for (Map.Entry<AuthorityId, Process> e : nodes.entrySet()) {
                m.put(e.getKey(), cpuMillis(e.getValue().pid())[0]);
            }
            { // each thread's CPU (for the JIT's share, always; printed by thread with -Dliaison.bench.threads=true)
                for (AuthorityId id : List.of(IT, AL, US)) {
                    Path tasks = Path.of("/proc/" + nodes.get(id).pid() + "/task");
                    Map<String, Long> now = new java.util.TreeMap<>();
                    try (var all = Files.list(tasks)) {
                        for (Path task : all.toList()) {
                            try {
                                String name = Files.readString(task.resolve("comm")).strip().replaceAll("[0-9]+", "N");
                                String stat = Files.readString(task.resolve("stat"));
                                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                                now.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10, Long::sum);
                            } catch (java.io.IOException | RuntimeException gone) {
                                // the thread ended meanwhile
                            }
                        }
                    }
                    Map<String, Long> before = threadsBefore.remove(id);
                    if (before == null) {
                        threadsBefore.put(id, now);
                    } else {
                        Map<String, Long> delta = new java.util.TreeMap<>();
                        now.forEach((k, v) -> delta.put(k, v - before.getOrDefault(k, 0L)));
                        threads.put(id, delta);
                    }
                }
            }
            return m;
        }

        /** With -Dliaison.bench.threads=true: each node's CPU by thread (name, digits folded) over the last window, from 0.05 ms per message. */
        private final Map<AuthorityId, Map<String, Long>> threadsBefore = new HashMap<>();
        private final Map<AuthorityId, Map<String, Long>> threads = new HashMap<>();

        /**
         * The JIT compiler threads' share of the nodes' CPU over the last window, and the total without it: a node that has
         * run for a while has compiled its path, and on 2 loaded cores C2 is still at it after a thousand messages.
         */
        private void printJit(int messages, double total, double floor) {
            double[] jit = new double[3];
            List<AuthorityId> ids = List.of(IT, AL, US);
            for (int i = 0; i < 3; i++) {
                Map<String, Long> delta = threads.get(ids.get(i));
                if (delta != null) {
                    jit[i] = delta.entrySet().stream().filter(e -> e.getKey().contains("CompilerThre")).mapToLong(Map.Entry::getValue).sum()
                            / (double) messages;
                }
            }
            double rest = total - jit[0] - jit[1] - jit[2];
            System.out.printf("   of which the JIT compiling (C1/C2 threads): sender %.2f, recipient %.2f, witness %.2f ms per message;"
                    + " without it: total %.2f -> floor/total %.3f (a longer -Dliaison.bench.warmup leaves less to compile)%n",
                    jit[0], jit[1], jit[2], rest, floor / rest);
        }

        private void printThreads(int messages) {
            if (!Boolean.getBoolean("liaison.bench.threads")) {
                return;
            }
            for (AuthorityId id : List.of(IT, AL, US)) {
                Map<String, Long> delta = threads.get(id);
                if (delta == null) {
                    continue;
                }
                StringBuilder line = new StringBuilder("   " + id + " by thread (ms per message):");
                delta.entrySet().stream().filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .filter(e -> e.getValue() >= Math.max(1, messages / 20)).forEach(e -> line.append(String.format(" %s %.2f;", e.getKey(), e.getValue() / (double) messages)));
                System.out.println(line);
            }
        }

        /** One level of warm clients: a {@link LocalSubmitters} process; {total CPU ms per message, msg/s}. */
        private double[] warm(Map<AuthorityId, Process> nodes, LocalClient watcher, int clients, int warmup, int n, double floor)
                throws Exception {
            List<String> cmd = new ArrayList<>(List.of(javaBin));
            for (String o : System.getProperty("liaison.bench.clientOpts", "").split(" ")) { // e.g. a flight recording
                if (!o.isBlank()) {
                    cmd.add(o.replace("{id}", "clients-" + clients));
                }
            }
            cmd.addAll(List.of("-cp", classpath, LocalSubmitters.class.getName(), profile(IT).toString(),
                    AL.value(), Integer.toString(clients), Integer.toString(warmup), Integer.toString(n),
                    dir.resolve("files-" + clients).toString()));
            Process p = new ProcessBuilder(cmd).directory(new File("/")).redirectError(dir.resolve("clients-" + clients + ".log").toFile())
                    .start();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    Writer go = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.US_ASCII)) {
                String ready = in.readLine();
                while (ready != null && ready.contains("[jfr")) { // a flight recording's start-up line (clientOpts)
                    ready = in.readLine();
                }
                if (ready == null || !ready.startsWith("ready ")) {
                    throw new IllegalStateException("the clients did not start: " + ready + " "
                            + Files.readString(dir.resolve("clients-" + clients + ".log")));
                }
                String[] r0 = ready.split(" ", 4);
                String last = r0[1];
                if (!r0[2].equals("0")) {
                    System.out.printf("   warm-up: %s submissions failed; first: %s%n", r0[2], r0.length > 3 ? r0[3] : "");
                }
                if (!last.equals("-")) {
                    awaitDelivered(watcher, List.of(last));
                }
                Thread.sleep(3500); // a witnessing round and the audit checkpoint after the warm-up, before the measured window
                Map<AuthorityId, Long> cpu0 = nodeCpu(nodes);
                Map<AuthorityId, DesignFloor.Mark> marks = auditMarks();
                Instant window0 = Instant.now(); // printed: to cut a flight recording to the measured window
                go.write("go\n");
                go.flush();
                Map<String, long[]> sent = new LinkedHashMap<>();
                List<String> failures = new ArrayList<>();
                long clientCpu = 0;
                for (String line = in.readLine(); line != null && !line.equals("done"); line = in.readLine()) {
                    String[] f = line.split(" ", 2);
                    switch (f[0]) {
                        case "sent" -> {
                            String[] x = line.split(" ");
                            sent.put(x[1], new long[] {Long.parseLong(x[2]), Long.parseLong(x[3])});
                        }
                        case "failed" -> failures.add(f[1]);
                        case "cpu" -> clientCpu = Long.parseLong(f[1]);
                        default -> { }
                    }
                }
                List<String> ids = new ArrayList<>(sent.keySet());
                Map<String, Instant> delivered = awaitDelivered(watcher, ids);
                Map<AuthorityId, Long> cpu1 = nodeCpu(nodes);
                System.out.println("   measured window: " + window0 + " to " + Instant.now());
                Result r = result(sent, delivered);
                double[] x = print(String.format("warm clients %2d", clients), r, cpu0, cpu1, clientCpu, "clients (1 process)", floor);
                printJit(r.messages(), x[0], floor);
                printDesignFloor(marks, r.messages(), floor);
                printThreads(r.messages());
                report(failures);
                return x;
            } finally {
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
            }
        }

        /** {@code k} messages, each by its own `liaison submit` process, {@code parallel} at a time. */
        private void perCommand(Map<AuthorityId, Process> nodes, LocalClient watcher, int parallel, int k, double floor) throws Exception {
            Path files = Files.createDirectories(dir.resolve("cli-files-" + parallel));
            java.security.SecureRandom random = new java.security.SecureRandom();
            for (int i = 0; i < k; i++) {
                byte[] content = new byte[1024];
                random.nextBytes(content);
                Files.write(files.resolve("evidence-" + i + ".bin"), content);
            }
            Thread.sleep(3500);
            Map<AuthorityId, Long> cpu0 = nodeCpu(nodes);
            long children0 = cpuMillis(ProcessHandle.current().pid())[1];
            ExecutorService pool = Executors.newFixedThreadPool(parallel);
            List<Future<String>> work = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                Path file = files.resolve("evidence-" + i + ".bin");
                work.add(pool.submit(() -> {
                    long t0 = System.currentTimeMillis();
                    // As ./liaison runs submit (its JVM options for transfers), on the class path instead of the jar.
                    Process p = new ProcessBuilder(javaBin, "-Xmx128m", "-XX:+UseSerialGC", "-cp", classpath, "org.liaison.cli.Main",
                            "--profile", profile(IT).toString(), "submit", "--to", AL.value(), "--service", "mla-request", "--case",
                            "OP-BENCH-CLI", "--legal-basis", "UNTOC art. 18", "--classification", "restricted", "--json",
                            file.toString()).directory(new File("/")).redirectErrorStream(true).start();
                    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    int rc = p.waitFor();
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"messageId\"\\s*:\\s*\"([0-9a-f-]{36})\"").matcher(output);
                    return rc == 0 && m.find() ? "sent " + m.group(1) + " " + t0 + " " + System.currentTimeMillis()
                            : "failed " + output.replace('\n', ' ');
                }));
            }
            Map<String, long[]> sent = new LinkedHashMap<>();
            List<String> failures = new ArrayList<>();
            for (Future<String> f : work) {
                String line = f.get();
                if (line.startsWith("sent ")) {
                    String[] x = line.split(" ");
                    sent.put(x[1], new long[] {Long.parseLong(x[2]), Long.parseLong(x[3])});
                } else {
                    failures.add(line.substring("failed ".length()));
                }
            }
            pool.shutdown();
            long clientCpu = cpuMillis(ProcessHandle.current().pid())[1] - children0;
            Map<String, Instant> delivered = awaitDelivered(watcher, new ArrayList<>(sent.keySet()));
            Map<AuthorityId, Long> cpu1 = nodeCpu(nodes);
            double[] x = print(String.format("CLI per message, %2d at a time", parallel), result(sent, delivered), cpu0, cpu1, clientCpu,
                    "CLI processes", floor);
            printJit(sent.size(), x[0], floor);
            printThreads(sent.size());
            report(failures);
        }

        private static void report(List<String> failures) {
            if (!failures.isEmpty()) {
                System.out.printf("   %d submissions failed; first: %s%n", failures.size(), failures.get(0));
                long pipelining = failures.stream().filter(f -> f.contains("LIAISON:0043")).count();
                if (pipelining > 0) {
                    System.out.printf("   of which LIAISON:0043 (pipelining refused): %d%n", pipelining);
                }
            }
        }

        record Result(int messages, double rate, double p50, double p99) {}

        private static Result result(Map<String, long[]> sent, Map<String, Instant> delivered) {
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            List<Double> latencies = new ArrayList<>();
            for (Map.Entry<String, long[]> e : sent.entrySet()) {
                long at = delivered.get(e.getKey()).toEpochMilli();
                first = Math.min(first, e.getValue()[0]);
                last = Math.max(last, at);
                latencies.add((double) (at - e.getValue()[0]));
            }
            Collections.sort(latencies);
            int k = sent.size();
            return new Result(k, k * 1000.0 / Math.max(1, last - first), latencies.get(k / 2),
                    latencies.get((int) Math.min(k - 1, Math.ceil(k * 0.99) - 1)));
        }

        /** One line of figures and one of CPU per message per process; returns {total CPU per message, msg/s}. */
        private static double[] print(String what, Result r, Map<AuthorityId, Long> cpu0, Map<AuthorityId, Long> cpu1, long clientCpu,
                String clientsName, double floor) {
            double sender = (cpu1.get(IT) - cpu0.get(IT)) / (double) r.messages();
            double recipient = (cpu1.get(AL) - cpu0.get(AL)) / (double) r.messages();
            double witness = (cpu1.get(US) - cpu0.get(US)) / (double) r.messages();
            double clients = clientCpu / (double) r.messages();
            double total = sender + recipient + witness + clients;
            System.out.printf("%-32s %6.1f msg/s accepted->receipt (%d messages), latency p50 %5.0f ms, p99 %5.0f ms%n", what + ":", r.rate(),
                    r.messages(), r.p50(), r.p99());
            System.out.printf("   CPU ms per message: sender node %.2f, recipient node %.2f, witness node %.2f, %s %.2f;"
                    + " total %.2f vs floor %.2f -> floor/total %.3f (nodes only: %.3f)%n", sender, recipient, witness, clientsName, clients,
                    total, floor, floor / total, floor / (sender + recipient + witness));
            return new double[] {total, r.rate()};
        }

        /**
         * Waits until every message in {@code ids} has its receipt, asking the sender's local API: the status of the last
         * one (a small request) until it is delivered, then one listing for all of them. The delivery times from the store.
         */
        private static Map<String, Instant> awaitDelivered(LocalClient watcher, List<String> ids) throws Exception {
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            String last = ids.get(ids.size() - 1);
            while (deliveredAt(watcher.get(LocalApi.message(java.util.UUID.fromString(last)))) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("message " + last + " was not delivered in 10 minutes");
                }
                Thread.sleep(1000); // each status is a request with a full TLS handshake at the sender: rarely
            }
            Map<String, Instant> out = new HashMap<>();
            while (true) {
                String cursor = null;
                do {
                    LocalClient.Page page = watcher.page(LocalApi.MESSAGES + "?limit=1000" + (cursor == null ? "" : "&after=" + cursor));
                    for (JsonNode row : page.rows()) {
                        Instant at = deliveredAt(row);
                        if (at != null) {
                            out.put(row.path("messageId").asText(), at);
                        }
                    }
                    cursor = page.next();
                } while (cursor != null && !out.keySet().containsAll(ids));
                if (out.keySet().containsAll(ids)) {
                    return out;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("not all messages were delivered in 10 minutes");
                }
                Thread.sleep(500);
            }
        }

        private static Instant deliveredAt(JsonNode status) {
            JsonNode d = status.path("deliveries");
            if (d.size() == 0 || !d.get(0).path("state").asText().equals("delivered") || d.get(0).path("deliveredAt").isNull()) {
                return null;
            }
            return Instant.parse(d.get(0).path("deliveredAt").asText());
        }
    }
}
