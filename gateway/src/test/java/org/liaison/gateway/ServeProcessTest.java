package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Outbox;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SqliteMessageStore;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;

/** Nodes as separate `liaison serve` processes on loopback: delivery and SIGTERM (kill -9 during a delivery: {@link ResumeTest}). */
class ServeProcessTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final LogsOnFailure logs = new LogsOnFailure(() -> dir);

    static Process serve(Path config, Path log, String... more) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "org.liaison.cli.Main", "serve", "--config", config.toString()));
        cmd.addAll(List.of(more));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static void awaitLog(Path log, String text, Duration max) throws Exception {
        TestNodes.await("'" + text + "' in " + log, max, () -> {
            try {
                return Files.exists(log) && Files.readString(log).contains(text);
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    void messageToAServeProcessIsStoredAndReceiptedAndSigtermStopsItGracefully() throws Exception {
        TestNodes t = new TestNodes(dir);
        Path log = dir.resolve("al.log");
        Path feed = dir.resolve("siem/al-audit.jsonl");
        Files.createDirectories(feed.getParent());
        Process al = serve(t.config(AL), log, "--audit-feed", feed.toString());
        try {
            awaitLog(log, "AL-PP gateway started", Duration.ofSeconds(60));
            try (GatewayNode it = t.start(IT)) {
                UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("to a process")));
                TestNodes.await("delivery", Duration.ofSeconds(30),
                        () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            }
            al.destroy(); // SIGTERM
            assertThat(al.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("received message").contains("AL-PP gateway stopped");
        } finally {
            al.destroyForcibly();
        }
        try (MessageStore store = SqliteMessageStore.open(t.federation.dir().resolve("AL-PP/data/messages.db"))) {
            assertThat(store.inbox().all()).hasSize(1);
        }
        // The SIEM feed holds every entry of the audit log, byte for byte, one per line.
        List<String> lines = Files.readAllLines(feed);
        List<String> entries = AuditLogVerifier.entries(t.federation.dir().resolve("AL-PP/data/audit")).stream()
                .map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8)).toList();
        assertThat(lines).isEqualTo(entries);
        assertThat(lines).anyMatch(l -> l.contains("\"type\":\"receive\"")).anyMatch(l -> l.contains("\"type\":\"stop\""));
    }

    /**
     * ContainerImageTest's federation without containers: three `liaison serve` processes on loopback,
     * `liaison doctor` passing for each, a package sent and fetched with the CLI, and found in both
     * auditors' pulled copies of the audit logs.
     */
    @Test
    void investigatorsUseTheCliAgainstServeProcesses() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Process it = serve(t.config(IT), dir.resolve("it.log"));
        Process al = serve(t.config(AL), dir.resolve("al.log"));
        Process us = serve(t.config(US), dir.resolve("us.log"));
        try {
            awaitLog(dir.resolve("it.log"), "gateway started", Duration.ofSeconds(60));
            awaitLog(dir.resolve("al.log"), "gateway started", Duration.ofSeconds(60));
            awaitLog(dir.resolve("us.log"), "gateway started", Duration.ofSeconds(60));
            for (AuthorityId node : List.of(IT, AL, US)) {
                CliEndToEndTest.Run doctor = CliEndToEndTest.liaison("doctor", "--config", t.config(node).toString());
                assertThat(doctor.exit()).as(node + ": " + doctor.out() + doctor.err()).isZero();
                for (AuthorityId peer : List.of(IT, AL, US)) {
                    if (!peer.equals(node)) {
                        assertThat(doctor.out()).contains("peer " + peer.value());
                    }
                }
            }
            String itUser = t.federation.profiles().get(IT).get(Role.INVESTIGATOR).toString();
            String alUser = t.federation.profiles().get(AL).get(Role.INVESTIGATOR).toString();
            Path file = Files.writeString(dir.resolve("statement.txt"), "statement for the process test");
            CliEndToEndTest.Run submit = CliEndToEndTest.liaison("--profile", itUser, "submit", "--to", "AL-PP", "--service",
                    "mla-request", "--case", "OP-PROC-1", "--legal-basis", "UNTOC art. 18", file.toString());
            assertThat(submit.exit()).as(submit.err()).isZero();
            String id = submit.out().trim();
            TestNodes.await("delivery", Duration.ofSeconds(30),
                    () -> CliEndToEndTest.liaison("--profile", itUser, "status", id).out().contains("delivered"));
            CliEndToEndTest.Run fetch = CliEndToEndTest.liaison("--profile", alUser, "fetch", id, "--out", dir.resolve("got").toString());
            assertThat(fetch.exit()).as(fetch.out() + fetch.err()).isZero();
            assertThat(Files.readString(dir.resolve("got/files/statement.txt"))).isEqualTo("statement for the process test");
            // Each side's auditor pulls its node's log (verified against the listed key) and finds the package in it.
            for (Map.Entry<AuthorityId, List<String>> e : Map.of(IT, List.of("submit", "seal", "receipt"),
                    AL, List.of("receive", "fetch")).entrySet()) {
                String auditor = t.federation.profiles().get(e.getKey()).get(Role.AUDITOR).toString();
                Path copy = dir.resolve("audit-" + e.getKey().value());
                CliEndToEndTest.Run pulled = CliEndToEndTest.liaison("--profile", auditor, "audit", "pull", "--out", copy.toString());
                assertThat(pulled.exit()).as(pulled.err()).isZero();
                CliEndToEndTest.Run q = CliEndToEndTest.liaison("audit", "query", copy.toString(), "--message", id, "--json");
                assertThat(q.exit()).as(q.err()).isZero();
                for (String type : e.getValue()) {
                    assertThat(q.out()).as(e.getKey() + "'s log").contains("\"" + type + "\"");
                }
            }
        } finally {
            it.destroy();
            al.destroy();
            us.destroy();
            it.waitFor(30, TimeUnit.SECONDS);
            al.waitFor(30, TimeUnit.SECONDS);
            us.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Deterministic content of any size, generated twice (to sign its digest, then to send it) without holding it. */
    static Outbox.Source generated(long size) {
        return () -> new InputStream() {
            final Random r = new Random(size);
            final byte[] block = new byte[64 * 1024];
            long left = size;
            int pos = block.length;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                if (pos == block.length) {
                    r.nextBytes(block);
                    pos = 0;
                }
                int n = (int) Math.min(Math.min(len, block.length - pos), left);
                System.arraycopy(block, pos, b, off, n);
                pos += n;
                left -= n;
                return n;
            }
        };
    }

    static Outbox.Submission large(TestNodes t, AuthorityId from, AuthorityId to, long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Outbox.Source source = generated(size);
        try (InputStream in = source.open()) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        byte[] manifest = Manifests.sign(new ManifestSpec("OP-LARGE-1", Service.MLA_REQUEST, from, List.of(to), null, Instrument.UNTOC,
                "18", "", Classification.RESTRICTED, Set.of(), null), List.of(new FileEntry("disk-image.bin",
                "application/octet-stream", size, HexFormat.of().formatHex(sha.digest()),
                List.of(new FileEntry.Custody("forensics lab", now, "disk image", "")))), t.investigator(from), UUID.randomUUID(), now);
        return new Outbox.Submission(manifest, List.of(source), null, null, null, Duration.ofHours(1));
    }
}
