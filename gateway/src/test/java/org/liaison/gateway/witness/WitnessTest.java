package org.liaison.gateway.witness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Pem;
import org.liaison.gateway.TestNodes;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.tlog.AddCheckpoint;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.tlog.SignedNote;

/** The tlog-witness add-checkpoint rules, each refusal with its status and its audit entry; state durable across a restart. */
class WitnessTest {
    @TempDir
    static Path shared;
    static TestNodes nodes;
    static FederationDirectory directory;

    @TempDir
    Path dir;
    final MemoryAuditLog audit = new MemoryAuditLog();
    final List<String> outcomes = new CopyOnWriteArrayList<>();
    final List<AuthorityId> forks = new CopyOnWriteArrayList<>();
    final List<String> unrecorded = new CopyOnWriteArrayList<>();
    Witness al;

    @BeforeEach
    void setUp() throws Exception {
        synchronized (WitnessTest.class) {
            if (nodes == null) {
                nodes = new TestNodes(shared.resolve("federation"));
                Path fed = nodes.federation.dir();
                directory = new DirectoryVerifier(Pem.readCertificate(fed.resolve("operator/ca/ca.pem")),
                        List.of(Pem.readCrl(fed.resolve("operator/ca/crl.pem"))))
                        .verify(Files.readAllBytes(fed.resolve("directory.xml")), Instant.now());
            }
        }
        al = witness(dir);
    }

    Witness witness(Path state) throws Exception {
        return witness(state, java.time.Clock.systemUTC());
    }

    Witness witness(Path state, java.time.Clock clock) throws Exception {
        return new Witness(state, AL, WitnessKeys.load(nodes.federation.dir().resolve("AL-PP").resolve(WitnessKeys.FILE), AL),
                () -> directory, audit, new Witness.Events() {
                    @Override
                    public void outcome(AuthorityId log, String outcome) {
                        outcomes.add(log + " " + outcome);
                    }

                    @Override
                    public void fork(AuthorityId log) {
                        forks.add(log);
                    }

                    @Override
                    public void unrecorded(AuthorityId log, String what) {
                        unrecorded.add(log + " " + what);
                    }
                }, clock);
    }

    ForkableLog italy(String tag) throws Exception {
        return new ForkableLog(IT, nodes.federation.dir().resolve("IT-DNA").resolve(FederationSetup.AUDIT_KEY), tag);
    }

    static String text(Witness.Answer a) {
        return new String(a.body(), StandardCharsets.UTF_8);
    }

    List<AuditEvent> events(String type) {
        return audit.events().stream().filter(e -> e.type().equals(type)).toList();
    }

    @Test
    void cosignsConsistentCheckpointsAndKeepsTheSizeAcrossARestart() throws Exception {
        ForkableLog log = italy("a").grow(5);
        Witness.Answer first = al.addCheckpoint(IT, log.request(0));
        assertThat(first.status()).as(text(first)).isEqualTo(200);
        String cosigned = Cosignature.withSignatures(log.note(), List.of(text(first)));
        Cosignature.WitnessKey alKey = directory.witnessing().keysOf(AL).get(0);
        assertThat(Cosignature.verify(cosigned, alKey)).isPresent();
        assertThat(text(first)).startsWith("— liaison-witness/AL-PP ");

        log.grow(7);
        Witness.Answer second = al.addCheckpoint(IT, log.request(5));
        assertThat(second.status()).as(text(second)).isEqualTo(200);
        // the same checkpoint again is cosigned again (same size, same root)
        assertThat(al.addCheckpoint(IT, log.request(12)).status()).isEqualTo(200);

        // a restarted witness holds size 12: an old size of 0 is a conflict answered with it
        Witness again = witness(dir);
        Witness.Answer conflict = again.addCheckpoint(IT, log.request(0));
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.contentType()).isEqualTo(AddCheckpoint.SIZE_TYPE);
        assertThat(text(conflict)).isEqualTo("12\n");
        // monitoring: the latest cosigned checkpoint, with the log's signature and the cosignature
        Witness.Answer latest = again.latest(Witness.originHash(log.origin));
        assertThat(latest.status()).isEqualTo(200);
        assertThat(Cosignature.verify(text(latest), alKey)).isPresent();
        assertThat(SignedNote.open(text(latest), directory.require(IT).auditLogKeys().get(0))).contains("\n12\n");
        assertThat(again.latest(Witness.originHash("liaison/AL-PP")).status()).isEqualTo(404);
        assertThat(events("witness-refused")).isEmpty();
        assertThat(outcomes).contains("IT-DNA cosigned", "IT-DNA conflict");
    }

    @Test
    void refusesRollbacksBadProofsUnknownLogsAndOtherKeys() throws Exception {
        ForkableLog log = italy("a").grow(8);
        assertThat(al.addCheckpoint(IT, log.request(0)).status()).isEqualTo(200);

        // rollback: an older checkpoint (old size 0 or any size other than 8) gets 409 and the held size
        ForkableLog older = italy("a").grow(4);
        Witness.Answer rollback = al.addCheckpoint(IT, older.request(0));
        assertThat(rollback.status()).isEqualTo(409);
        assertThat(text(rollback)).isEqualTo("8\n");
        // old size above the checkpoint's: 400
        assertThat(al.addCheckpoint(IT, new AddCheckpoint(8, List.of(), older.note()).encode()).status()).isEqualTo(400);

        // a proof that does not verify: 422, audited
        log.grow(3);
        List<byte[]> proof = new ArrayList<>(log.tree.consistencyProof(8, 11));
        proof.set(0, new byte[32]);
        Witness.Answer bad = al.addCheckpoint(IT, new AddCheckpoint(8, proof, log.note()).encode());
        assertThat(bad.status()).isEqualTo(422);
        assertThat(events("witness-refused")).hasSize(2).last().satisfies(e -> assertThat(e.reason()).startsWith("422 "));

        // a log AL does not witness (its own): 404; garbage: 400
        ForkableLog own = new ForkableLog(AL, nodes.federation.dir().resolve("AL-PP").resolve(FederationSetup.AUDIT_KEY), "x").grow(1);
        assertThat(al.addCheckpoint(AL, own.request(0)).status()).isEqualTo(404);
        assertThat(al.addCheckpoint(IT, "hello".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(400);

        // Italy's origin signed with another key: 403, audited
        Path otherKey = dir.resolve("other.key");
        FileAuditLog.createKey(otherKey, log.origin);
        ForkableLog impostor = new ForkableLog(IT, otherKey, "a").grow(11);
        assertThat(al.addCheckpoint(US, impostor.request(8)).status()).isEqualTo(403);
        assertThat(events("witness-refused")).hasSize(3).last().satisfies(e -> {
            assertThat(e.reason()).startsWith("403 ");
            assertThat(e.actor()).isEqualTo("US-OIA");
            assertThat(e.counterpart()).isEqualTo("IT-DNA");
        });
        // nothing of it moved the held size
        assertThat(text(al.addCheckpoint(IT, log.request(0)))).isEqualTo("8\n");
        assertThat(al.addCheckpoint(IT, log.request(8)).status()).isEqualTo(200);
        assertThat(forks).isEmpty();
    }

    @Test
    void aForkIsRefusedAndRecordedWithBothCheckpoints() throws Exception {
        ForkableLog honest = italy("a").grow(6);
        assertThat(al.addCheckpoint(IT, honest.request(0)).status()).isEqualTo(200);
        ForkableLog fork = italy("b").grow(6); // same size, another root, signed with Italy's valid key
        Witness.Answer same = al.addCheckpoint(IT, fork.request(6));
        // C2SP tlog-witness: the held size with another root is a 409 Conflict, with the held size
        assertThat(same.status()).isEqualTo(409);
        assertThat(same.contentType()).isEqualTo(AddCheckpoint.SIZE_TYPE);
        assertThat(text(same)).isEqualTo("6\n");
        Witness.Answer fresh = al.addCheckpoint(IT, fork.request(0));
        assertThat(fresh.status()).isEqualTo(409);
        assertThat(text(fresh)).isEqualTo("6\n");
        assertThat(forks).containsExactly(IT, IT);
        // the first fork of a size is recorded in full; the second is counted
        assertThat(unrecorded).containsExactly("IT-DNA fork");
        assertThat(events("witness-fork")).hasSize(1).first().satisfies(e -> {
            assertThat(e.outcome()).isEqualTo("alarm");
            assertThat(e.details().get("cosignedCheckpoint")).contains(honest.note().split("\n\n")[0]);
            assertThat(e.details().get("presentedCheckpoint")).isEqualTo(fork.note());
        });
        // the forked history's later checkpoints never link to what was cosigned
        fork.grow(4);
        assertThat(al.addCheckpoint(IT, fork.request(6)).status()).isEqualTo(422);
        assertThat(text(al.latest(Witness.originHash(honest.origin)))).contains(honest.note().split("\n\n")[0]);
    }

    @Test
    void theOperatorSetsWitnessesAndKeysWithDirectoryEdit() throws Exception {
        Path fed = nodes.federation.dir();
        Path key = dir.resolve("new-witness.key");
        String vkey = WitnessKeys.create(key, US);
        Path d1 = dir.resolve("d1.xml");
        String[] r = WitnessNodesTest.cli("directory", "edit", fed.resolve("directory.xml").toString(), "--authority", "US-OIA",
                "--add", "witness=" + vkey, "--witnesses", "1:AL-PP", "--out", d1.toString());
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        Path signed = dir.resolve("directory-2.xml");
        r = WitnessNodesTest.cli("directory", "sign", d1.toString(), "--key", fed.resolve("operator/directory-signing.p12").toString(),
                "--password-file", fed.resolve("operator/directory-signing.password").toString(), "--out", signed.toString());
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        FederationDirectory d2 = new DirectoryVerifier(Pem.readCertificate(fed.resolve("operator/ca/ca.pem")),
                List.of(Pem.readCrl(fed.resolve("operator/ca/crl.pem")))).verify(Files.readAllBytes(signed), Instant.now());
        assertThat(d2.witnessing().keysOf(US)).hasSize(2).contains(Cosignature.WitnessKey.parse(vkey));
        assertThat(d2.witnessing().of(US).orElseThrow().witnesses()).containsExactly(AL);
        assertThat(d2.witnessing().of(US).orElseThrow().quorum()).isEqualTo(1);
        // a quorum larger than the witnesses, or not a witness key: refused, nothing written
        Path d3 = dir.resolve("d3.xml");
        r = WitnessNodesTest.cli("directory", "edit", signed.toString(), "--authority", "US-OIA", "--witnesses", "2:AL-PP", "--out",
                d3.toString());
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[2]).contains("quorum 2 of 1");
        r = WitnessNodesTest.cli("directory", "edit", signed.toString(), "--authority", "US-OIA", "--add", "witness="
                + directory.require(US).auditLogKeys().get(0), "--out", d3.toString());
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[2]).contains("not a witness key");
        assertThat(d3).doesNotExist();
        // and 'directory show' names them
        r = WitnessNodesTest.cli("directory", "show", signed.toString(), "--federation", fed.toString());
        assertThat(r[1]).as(r[2]).contains("its log is witnessed by 1 of [AL-PP]");
    }

    @Test
    void concurrentSubmissionsNeverRollTheHeldSizeBack() throws Exception {
        ForkableLog log = italy("a").grow(1);
        assertThat(al.addCheckpoint(IT, log.request(0)).status()).isEqualTo(200);
        List<byte[]> requests = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            log.grow(1);
            requests.add(log.request(1)); // every one from size 1: only the first to arrive can be cosigned
        }
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        requests.parallelStream().forEach(r -> statuses.add(al.addCheckpoint(IT, r).status()));
        assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(1);
        assertThat(statuses).containsOnly(200, 409);
    }

    /** A clock the test moves. */
    static final class MovableClock extends java.time.Clock {
        volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /**
     * Issue 28: a member holding its log key signs endless conflicting checkpoints (and bad proofs). Every
     * one gets the spec's answer and is counted, but the witness's audit log records the first fork of
     * each size (a few sizes per hour) and a few refusals, not one entry per request.
     */
    @Test
    void manyForksFromOneMemberKeepTheWitnessAuditLogBounded() throws Exception {
        MovableClock clock = new MovableClock();
        Witness w = witness(dir.resolve("bounded"), clock);
        ForkableLog honest = italy("a").grow(6);
        assertThat(w.addCheckpoint(IT, honest.request(0)).status()).isEqualTo(200);
        int n = 300;
        for (int i = 0; i < n; i++) {
            ForkableLog fork = italy("fork " + i).grow(6); // another root each time, validly signed
            Witness.Answer a = w.addCheckpoint(IT, fork.request(i % 2 == 0 ? 6 : 0));
            assertThat(a.status()).isEqualTo(409);
            assertThat(text(a)).isEqualTo("6\n");
        }
        assertThat(events("witness-fork")).hasSize(1);
        assertThat(forks).hasSize(n);
        assertThat(unrecorded).hasSize(n - 1);

        // the member grows its log (validly) and forks at every new size: a few sizes are recorded per window
        for (int size = 7; size < 17; size++) {
            honest.grow(1);
            assertThat(w.addCheckpoint(IT, honest.request(size - 1)).status()).isEqualTo(200);
            for (int i = 0; i < 20; i++) {
                assertThat(w.addCheckpoint(IT, italy("fork " + size + "/" + i).grow(size).request(size)).status()).isEqualTo(409);
            }
        }
        assertThat(events("witness-fork")).hasSize(WitnessAuditBudget.FORK_SIZES);
        // bad proofs (422) from the same member: the first few are recorded
        for (int i = 0; i < 100; i++) {
            ForkableLog longer = italy("bad " + i).grow(20);
            assertThat(w.addCheckpoint(IT, new AddCheckpoint(16, longer.tree.consistencyProof(16, 20), longer.note()).encode())
                    .status()).isEqualTo(422);
        }
        assertThat(events("witness-refused")).hasSize(WitnessAuditBudget.REFUSALS);
        int bound = WitnessAuditBudget.FORK_SIZES + WitnessAuditBudget.REFUSALS;
        assertThat(audit.events()).hasSize(bound);

        // the next window: one summary of what was only counted, then the budget starts again
        clock.now = clock.now.plus(WitnessAuditBudget.WINDOW);
        assertThat(w.addCheckpoint(IT, italy("fork late").grow(16).request(16)).status()).isEqualTo(409);
        assertThat(events("witness-unrecorded")).singleElement().satisfies(e -> {
            assertThat(e.details().get("forks")).isEqualTo(Long.toString(n - 1 + 10 * 20 - (WitnessAuditBudget.FORK_SIZES - 1)));
            assertThat(e.details().get("refusals")).isEqualTo(Long.toString(100 - WitnessAuditBudget.REFUSALS));
            assertThat(e.outcome()).isEqualTo("alarm");
        });
        assertThat(events("witness-fork")).hasSize(WitnessAuditBudget.FORK_SIZES + 1);
        assertThat(audit.events()).hasSize(bound + 2);
        // none of it moved what the witness cosigned
        assertThat(text(w.latest(Witness.originHash(honest.origin)))).contains(honest.note().split("\n\n")[0]);
    }
}
