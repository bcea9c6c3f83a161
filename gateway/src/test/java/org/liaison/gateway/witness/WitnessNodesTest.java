package org.liaison.gateway.witness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.cli.Doctor;
import org.liaison.cli.Main;
import org.liaison.gateway.TestNodes;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.delivery.PeerClient;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.protocol.tlog.AddCheckpoint;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.tlog.TlogProof;
import org.liaison.protocol.tlog.WitnessPolicy;

/** Witnessing between real nodes on loopback: checkpoints cosigned to a quorum, and a split view caught. */
class WitnessNodesTest {
    @TempDir
    Path dir;

    static boolean forkAudited(TestNodes t, AuthorityId witness) {
        try {
            return AuditLogVerifier.entries(t.auditDir(witness)).stream().map(e -> new String(e, StandardCharsets.UTF_8))
                    .anyMatch(e -> e.contains("\"type\":\"witness-fork\"") && e.contains("IT-DNA"));
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void eachNodesCheckpointsGetTheirQuorumOverThePeerApi() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        try (GatewayNode it = t.startLogged(IT); GatewayNode al = t.startLogged(AL); GatewayNode us = t.startLogged(US)) {
            TestNodes.await("a checkpoint", Duration.ofSeconds(20), () -> it.audit().checkpoint() != null);
            TestNodes.await("a quorum", Duration.ofSeconds(30), () -> it.submitter().round().map(WitnessPolicy.Result::satisfied).orElse(false));
            String first = it.submitter().latestWithQuorum();
            assertThat(it.trust().directory().witnessing().policy(IT).check(first).cosignedBy()).containsExactlyInAnyOrder("AL-PP", "US-OIA");

            // the log grows: the next checkpoint is cosigned from the size each witness holds, with a consistency proof
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("one")));
            long before = Checkpoint.ofNote(first).size();
            TestNodes.await("a larger quorum checkpoint", Duration.ofSeconds(30), () -> {
                it.submitter().round();
                String q = it.submitter().latestWithQuorum();
                return q != null && Checkpoint.ofNote(q).size() > before;
            });
            assertThat(al.metrics().scrape()).contains("liaison_witness_requests_total{log=\"IT-DNA\",outcome=\"cosigned\"}");
            assertThat(it.metrics().scrape()).contains("liaison_audit_quorum_met 1.0");
            // a witness's monitoring answer: the latest it cosigned, verifiable by anyone with the directory
            String held = it.witnessedCheckpoint(AL, IT);
            assertThat(Cosignature.verify(held, it.trust().directory().witnessing().keysOf(AL).get(0))).isPresent();
            assertThat(id).isNotNull();
        }

        assertThat(Doctor.examine(t.config(IT), Doctor.Limits.DEFAULT,
                java.time.Clock.systemUTC())).filteredOn(c -> c.name().equals("witness key")).singleElement().satisfies(c -> {
                    assertThat(c.status()).isEqualTo(Doctor.Status.OK);
                    assertThat(c.detail()).startsWith("liaison-witness/IT-DNA+").contains("witnesses 2 log(s)");
                });

        // a backup keeps what the node cosigned as a witness and its own cosigned checkpoints
        Path backup = dir.resolve("backup-al");
        String[] backedUp = cli("store", "backup", "--config", t.config(AL).toString(), "--out", backup.toString());
        assertThat(backedUp[0]).as(backedUp[1] + backedUp[2]).isEqualTo("0");
        assertThat(backup.resolve("witness").resolve(Witness.originHash("liaison/IT-DNA") + ".checkpoint")).exists();
        Path backupIt = dir.resolve("backup-it");
        assertThat(cli("store", "backup", "--config", t.config(IT).toString(), "--out", backupIt.toString())[0]).isEqualTo("0");
        assertThat(backupIt.resolve("audit-cosigned").resolve(Submitter.QUORUM)).exists();

        // The auditor's side, offline with the directory alone: the node's folder, its cosigned checkpoints beside it.
        Path fed = t.federation.dir();
        Path audit = t.auditDir(IT);
        String[] verified = cli("audit", "verify", audit.toString(), "--federation", fed.toString());
        assertThat(verified[0]).as(verified[1] + verified[2]).isEqualTo("0");
        assertThat(verified[1]).contains("witnesses: cosigned checkpoint of size").contains("quorum 2: met").contains("VALID");
        Path proof = dir.resolve("entry-0.tlog-proof");
        String[] proved = cli("audit", "prove", audit.toString(), "--index", "0", "--tlog-proof", proof.toString());
        assertThat(proved[0]).as(proved[2]).isEqualTo("0");
        assertThat(Files.readString(proof)).startsWith("c2sp.org/tlog-proof@v1\nextra ");
        String[] checked = cli("audit", "check-proof", proof.toString(), "--federation", fed.toString());
        assertThat(checked[0]).as(checked[1] + checked[2]).isEqualTo("0");
        assertThat(checked[1]).contains("2 of 2 witnesses cosigned");

        // the same proof with one cosignature dropped: the quorum is not met, a non-zero exit
        String text = Files.readString(proof);
        String us = text.lines().filter(l -> l.startsWith("— liaison-witness/US-OIA ")).findFirst().orElseThrow();
        Path weak = dir.resolve("weak.tlog-proof");
        Files.writeString(weak, text.replace(us + "\n", ""));
        String[] refused = cli("audit", "check-proof", weak.toString(), "--federation", fed.toString());
        assertThat(refused[0]).isEqualTo(Integer.toString(Main.FAILED));
        assertThat(refused[1]).contains("QUORUM NOT MET");
        Path weakNote = dir.resolve("weak.note");
        Files.writeString(weakNote, TlogProof.parse(text.replace(us + "\n", "")).checkpointNote());
        String[] unwitnessed = cli("audit", "verify", audit.toString(), "--federation", fed.toString(), "--cosigned", weakNote.toString());
        assertThat(unwitnessed[0]).isEqualTo(Integer.toString(Main.FAILED));
        assertThat(unwitnessed[1]).contains("QUORUM NOT MET").contains("NOT WITNESSED");

        // a witness's answer showing another history at a size this copy holds: the auditor learns of the split view
        Path key = fed.resolve("IT-DNA").resolve(FederationSetup.AUDIT_KEY);
        ForkableLog other = new ForkableLog(IT, key, "another history").grow(2);
        String otherNote = Cosignature.withSignatures(other.note(), List.of(Cosignature.sign(Cosignature.body(other.note()),
                WitnessKeys.load(fed.resolve("AL-PP").resolve(WitnessKeys.FILE), AL), 1_700_000_000L)));
        Path forked = dir.resolve("al-latest.note");
        Files.writeString(forked, otherNote);
        String[] split = cli("audit", "verify", audit.toString(), "--federation", fed.toString(), "--cosigned", forked.toString());
        assertThat(split[0]).isEqualTo(Integer.toString(Main.FAILED));
        assertThat(split[1]).contains("a split view").contains("cosigned by [AL-PP]");
    }

    static String[] cli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = Main.run(args, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void aSplitViewCannotReachAQuorumAndTheWitnessesAndAnAuditorLearnOfIt() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("federation"));
        // Italy's node is the misbehaving one: its log keeps no checkpoints of its own (memory), and the test
        // plays its forked log, signed with its valid key, through its real peer client.
        try (GatewayNode it = t.start(IT); GatewayNode al = t.startLogged(AL); GatewayNode us = t.startLogged(US)) {
            Path key = t.federation.dir().resolve("IT-DNA").resolve(FederationSetup.AUDIT_KEY);
            ForkableLog common = new ForkableLog(IT, key, "common").grow(3);
            // both histories share 3 entries, then differ: same size 6, different roots
            ForkableLog forAl = copy(common, key, "for AL").grow(3);
            ForkableLog forUs = copy(common, key, "for US").grow(3);
            assertThat(forAl.note()).isNotEqualTo(forUs.note());
            assertThat(Checkpoint.ofNote(forAl.note()).size()).isEqualTo(Checkpoint.ofNote(forUs.note()).size());

            // each witness sees one history and cosigns it
            PeerClient.Answer a = it.askWitness(AL, forAl.request(0));
            PeerClient.Answer u = it.askWitness(US, forUs.request(0));
            assertThat(a.status()).isEqualTo(200);
            assertThat(u.status()).isEqualTo(200);
            WitnessPolicy policy = it.trust().directory().witnessing().policy(IT);
            String historyA = Cosignature.withSignatures(forAl.note(), List.of(new String(a.body(), StandardCharsets.UTF_8)));
            String historyB = Cosignature.withSignatures(forUs.note(), List.of(new String(u.body(), StandardCharsets.UTF_8)));
            // neither history reaches the quorum (2 of 2): a majority of witnesses cannot cosign two histories
            assertThat(policy.check(historyA).satisfied()).isFalse();
            assertThat(policy.check(historyB).satisfied()).isFalse();

            // to get the missing cosignature, the node shows each witness the other history: refused, and recorded
            PeerClient.Answer crossed = it.askWitness(US, forAl.request(6));
            assertThat(crossed.status()).isEqualTo(409); // the held size with another root: the spec's 409
            PeerClient.Answer crossed2 = it.askWitness(AL, forUs.request(0));
            assertThat(crossed2.status()).isEqualTo(409);
            assertThat(crossed2.contentType()).isEqualTo(AddCheckpoint.SIZE_TYPE);
            assertThat(new String(crossed2.body(), StandardCharsets.UTF_8)).isEqualTo("6\n");
            TestNodes.await("the forks audited", Duration.ofSeconds(10), () -> forkAudited(t, US) && forkAudited(t, AL));
            assertThat(us.metrics().scrape()).contains("liaison_witness_forks_total{log=\"IT-DNA\"} 1.0");
            assertThat(al.metrics().scrape()).contains("liaison_witness_forks_total{log=\"IT-DNA\"} 1.0");
            // a later checkpoint of either history never links to the other witness's
            forAl.grow(2);
            assertThat(it.askWitness(US, forAl.request(6)).status()).isEqualTo(422);

            // an auditor holding history A compares it with what the witnesses cosigned: US's is a conflict
            ForkableLog auditorsCopy = forAl;
            Map<AuthorityId, String> witnessed = Map.of(AL, it.witnessedCheckpoint(AL, IT), US, it.witnessedCheckpoint(US, IT));
            List<WitnessComparison.Finding> findings = WitnessComparison.compare(IT, it.trust().directory(), auditorsCopy.tree.size(),
                    n -> auditorsCopy.tree.root(n), witnessed);
            assertThat(findings).anySatisfy(f -> {
                assertThat(f.witness()).isEqualTo(US);
                assertThat(f.verdict()).isEqualTo(WitnessComparison.Verdict.CONFLICT);
            });
            assertThat(findings).anySatisfy(f -> {
                assertThat(f.witness()).isEqualTo(AL);
                assertThat(f.verdict()).isEqualTo(WitnessComparison.Verdict.CONSISTENT);
            });
            // and one holding history B learns it the same way
            List<WitnessComparison.Finding> fromB = WitnessComparison.compare(IT, it.trust().directory(), forUs.tree.size(),
                    n -> forUs.tree.root(n), witnessed);
            assertThat(fromB).filteredOn(f -> f.verdict() == WitnessComparison.Verdict.CONFLICT).extracting(WitnessComparison.Finding::witness)
                    .containsExactly(AL);
            assertThat(Optional.ofNullable(it.submitter().latest())).isEmpty(); // the misbehaving node itself submitted nothing
        }
    }

    /** A log with the entries of {@code base}, tagged from now on with {@code tag}. */
    private static ForkableLog copy(ForkableLog base, Path key, String tag) throws Exception {
        ForkableLog l = new ForkableLog(IT, key, tag);
        for (long i = 0; i < base.tree.size(); i++) {
            l.tree.append(base.tree.leaf(i));
        }
        return l;
    }
}
