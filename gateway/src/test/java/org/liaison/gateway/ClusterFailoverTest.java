package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.PostgresMessageStore;

/**
 * Two node processes of one authority (Italy) on one PostgreSQL database and one data folder, both
 * listed as Italy's endpoints; Albania (SQLite, in this JVM) exchanges with them. Under a load of
 * 150 messages each way, the node that integrates the shared audit log is killed with SIGKILL and
 * restarted. Every accepted message is delivered, and stored by its recipient exactly once; the
 * shared audit log verifies with no gap or fork; leadership moved to the surviving node.
 */
class ClusterFailoverTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final LogsOnFailure logs = new LogsOnFailure(() -> dir);

    private static Process serve(Path config, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dliaison.delivery.lease=PT3S", "-cp", System.getProperty("java.class.path"), "org.liaison.cli.Main", "serve",
                "--config", config.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    @Test
    void twoNodesOfOneAuthorityOnPostgresqlSurviveTheDeathOfOne() throws Exception {
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        FederationSetup.Result f = FederationSetup.create(dir.resolve("fed"), List.of(IT, AL), Suite.MODERN,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Duration.ofDays(30));
        TestNodes t = new TestNodes(f);
        Path itDir = f.dir().resolve(IT.value());
        // Italy's two nodes are both its endpoints (no load balancer here): a retry goes to the other.
        TestCluster.Nodes cluster = TestCluster.configure(f, IT, 2, db);
        Path[] configs = cluster.configs().toArray(new Path[0]);
        // An investigator profile per Italian node.
        Path investigator = f.profiles().get(IT).get(Role.INVESTIGATOR);
        Path[] profiles = {TestCluster.profileFor(investigator, "1", cluster.localPorts().get(0)),
            TestCluster.profileFor(investigator, "2", cluster.localPorts().get(1))};

        Path[] logs = {dir.resolve("it-1.log"), dir.resolve("it-2.log")};
        Process[] nodes = new Process[2];
        nodes[0] = serve(configs[0], logs[0]);
        List<UUID> toAl = Collections.synchronizedList(new ArrayList<>());
        List<UUID> toIt = Collections.synchronizedList(new ArrayList<>());
        MemoryAuditLog alAudit = new MemoryAuditLog();
        try (GatewayNode al = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST)) {
            ServeProcessTest.awaitLog(logs[0], "now integrates", Duration.ofSeconds(60)); // it-1 leads
            nodes[1] = serve(configs[1], logs[1]);
            ServeProcessTest.awaitLog(logs[1], "IT-DNA gateway started", Duration.ofSeconds(60));
            Path evidence = Files.writeString(dir.resolve("evidence.txt"), "ledger");
            int killedAt = 50;
            for (int i = 0; i < 150; i++) {
                toIt.add(al.outbox().submit(t.submission(AL, List.of(IT), null, null, TestNodes.text("to Italy " + i))));
                // Italy's investigator submits through node 1, or node 2 once node 1 is gone; a submit that fails
                // is made again through the other node with the same idempotency key (what the CLI's re-run does).
                String key = "load-" + i;
                UUID id = null;
                for (int attempt = 0; id == null && attempt < 6; attempt++) {
                    Path profile = profiles[(i + attempt) % 2 == 0 && nodes[0].isAlive() ? 0 : 1];
                    BackupRestoreTest.Run r = BackupRestoreTest.cli("--profile", profile.toString(), "submit", "--to", "AL-PP",
                            "--service", "mla-request", "--case", "OP-LOAD", "--legal-basis", "UNTOC art. 18", "--idempotency-key", key,
                            evidence.toString());
                    if (r.code() == 0) {
                        id = UUID.fromString(r.out().strip().lines().reduce((a, b) -> b).orElseThrow().strip());
                    } else {
                        Thread.sleep(200);
                    }
                }
                assertThat(id).as("submit " + i).isNotNull();
                toAl.add(id);
                if (i == killedAt) {
                    nodes[0].destroyForcibly(); // SIGKILL: the integrator dies with its leases and connections
                    assertThat(nodes[0].waitFor(30, TimeUnit.SECONDS)).isTrue();
                }
                if (i == killedAt + 40) {
                    nodes[0] = serve(configs[0], logs[0]);
                }
            }
            assertThat(new HashSet<>(toAl)).hasSize(150);

            // Everything accepted is delivered, and stored by its recipient exactly once.
            try (PostgresMessageStore italy = PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 2,
                    itDir.resolve("data"), "observer")) {
                TestNodes.await("every message delivered both ways", Duration.ofSeconds(120), () ->
                        toAl.stream().allMatch(id -> delivered(italy, id)) && toIt.stream().allMatch(id -> delivered(al.store(), id)));
                assertThat(italy.inbox().all()).extracting(MessageStore.Received::messageId).containsExactlyInAnyOrderElementsOf(toIt);
                assertThat(al.store().inbox().all()).extracting(MessageStore.Received::messageId).containsExactlyInAnyOrderElementsOf(toAl);
                Map<String, Integer> receptions = new HashMap<>();
                alAudit.events().stream().filter(e -> e.type().equals("receive")).forEach(e -> receptions.merge(e.messageId(), 1, Integer::sum));
                assertThat(receptions).hasSize(150).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
                long retried = toAl.stream().filter(id -> italy.deliveries().of(id).get(0).attempts() > 1).count();
                long alRetried = toIt.stream().filter(id -> al.store().deliveries().of(id).get(0).attempts() > 1).count();
                System.out.printf("cluster failover: 150 messages each way; Italy's deliveries needing more than one attempt: %d,"
                        + " Albania's: %d; duplicates Albania answered with the stored receipt: %d%n", retried, alRetried,
                        alAudit.events().stream().filter(e -> e.type().startsWith("receive") && !e.type().equals("receive")).count());
            }
            // The shared log, pulled through the surviving node by Italy's auditor, verifies; leadership moved.
            Path auditor = TestCluster.profileFor(f.profiles().get(IT).get(Role.AUDITOR), "2",
                    cluster.localPorts().get(1));
            BackupRestoreTest.Run pull = BackupRestoreTest.cli("--profile", auditor.toString(), "audit", "pull", "--out",
                    dir.resolve("it-audit").toString());
            assertThat(pull.code()).as(pull.out() + pull.err()).isZero();
            assertThat(pull.out()).contains("VALID");
            String vkey = Files.readString(dir.resolve("it-audit/log.vkey")).strip();
            assertThat(AuditLogVerifier.verify(dir.resolve("it-audit"), vkey).valid()).isTrue();
            List<String> leaders = new ArrayList<>();
            for (byte[] e : AuditLogVerifier.entries(dir.resolve("it-audit"))) {
                String s = new String(e, StandardCharsets.UTF_8);
                if (s.contains("\"type\":\"audit-leader\"")) {
                    leaders.add(s.replaceAll(".*\"actor\":\"([^\"]+)\".*", "$1"));
                }
            }
            assertThat(leaders).startsWith("it-dna-1", "it-dna-2");
            System.out.println("cluster failover: integrators in order: " + leaders);
            // Albania checked Italy's checkpoints from both nodes against the listed key: no alarm.
            assertThat(al.metrics().scrape()).doesNotContain("liaison_audit_peer_alarms_total");
            assertThat(alAudit.events()).noneMatch(e -> e.type().equals("peer-log-alarm"));
        } finally {
            for (Process p : nodes) {
                if (p != null) {
                    p.destroy();
                    p.waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static boolean delivered(MessageStore s, UUID id) {
        List<MessageStore.Delivery> ds = s.deliveries().of(id);
        return !ds.isEmpty() && ds.stream().allMatch(d -> d.state() == MessageStore.State.DELIVERED);
    }
}
