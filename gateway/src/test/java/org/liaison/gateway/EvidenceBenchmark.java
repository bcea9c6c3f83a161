package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.liaison.certs.Role;
import org.liaison.cli.Main;
import org.liaison.gateway.delivery.Backoff;
import org.liaison.gateway.node.GatewayNode;

/**
 * The evidence container's size and the time to export and verify it, for one package of a given
 * size (files are referenced by digest, not included): Italy sends it to Albania, its log's checkpoint
 * is cosigned by its witnesses (Albania and the US), then Italy's investigator exports the container and
 * anyone verifies it, each as one `liaison` command in its own JVM (a cold start, as a user runs it).
 * Run by scripts/bench-evidence; not a test.
 */
public final class EvidenceBenchmark {
    public static void main(String[] args) throws Exception {
        long size = args.length > 0 ? Long.parseLong(args[0]) : 1024;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("liaison-evidence-bench");
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path file = dir.resolve("package.bin");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size); // sparse zeros: the package's size is what counts here
        }
        Path root = t.federation.dir().resolve("operator/ca/ca.pem");
        // FAST's timings but reads that wait: a loaded machine (or a 1 GiB upload) must not cut the CLI off.
        GatewayNode.Tuning patient = GatewayNode.Tuning.builder().readTimeout(Duration.ofSeconds(60)).clientTimeout(Duration.ofSeconds(60))
                .backoff(new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1))).poll(Duration.ofMillis(100))
                .maxMessageBytes(2L << 30).maxEnvelopeBytes(4 << 20).reloadEvery(Duration.ofMillis(300)).build();
        try (GatewayNode itNode = GatewayNode.start(t.config(IT), patient); GatewayNode alNode = GatewayNode.start(t.config(AL), patient);
                GatewayNode usNode = GatewayNode.start(t.config(US), patient)) {
            String id = cli("--profile", it.toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "OP-BENCH",
                    "--legal-basis", "UNTOC art. 18", "--new", file.toString()).strip();
            TestNodes.await("relayed", Duration.ofMinutes(30), () -> {
                try {
                    return itNode.evidence().of(UUID.fromString(id)).size() >= 2;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long last = itNode.evidence().of(UUID.fromString(id)).stream().mapToLong(x -> x.auditIndex()).max().orElseThrow();
            itNode.audit().checkpointCovering(last);
            TestNodes.await("the witnesses' quorum", Duration.ofMinutes(1),
                    () -> itNode.submitter().round().map(r -> r.satisfied()).orElse(false));
            cli("--profile", it.toString(), "evidence", "export", id, "--out", dir.resolve("warm.asice").toString()); // the node's path warm
            for (int i = 1; i <= repeats; i++) {
                Path out = dir.resolve("c" + i + ".asice");
                long t0 = System.nanoTime();
                process("--profile", it.toString(), "evidence", "export", id, "--out", out.toString());
                long t1 = System.nanoTime();
                process("evidence", "verify", out.toString(), "--root", root.toString());
                long t2 = System.nanoTime();
                System.out.printf("package %,d bytes: container %,d bytes, export %.0f ms, verify %.0f ms (run %d)%n", size, Files.size(out),
                        (t1 - t0) / 1e6, (t2 - t1) / 1e6, i);
            }
        }
    }

    /** One `liaison` command in its own JVM (this classpath); fails when it exits non-zero. */
    private static void process(String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dliaison.log.level=warn", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", args) + " failed: " + out);
        }
    }

    private static String cli(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        if (code != 0) {
            throw new IllegalStateException(String.join(" ", args) + " failed: " + e + o);
        }
        return o.toString();
    }
}
