package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;

/**
 * The authority's shared audit log on PostgreSQL, with two nodes writing at once: one order with
 * no gaps, one integrator at a time (taken over when it goes), checkpoints any node signs agree,
 * a pulled copy verifies like a file log, and a changed entry keeps the log from opening.
 */
class PostgresAuditLogTest {
    @TempDir
    Path dir;

    /** The database of each test: a new one on the loopback server ({@link PostgresContainerAuditLogTest}: in a container). */
    LocalPostgres.Database database() throws Exception {
        return LocalPostgres.newDatabase();
    }

    private PostgresAuditLog open(LocalPostgres.Database db, Path key, String node) throws Exception {
        return PostgresAuditLog.open(db.url(), db.user(), db.password().toCharArray(), key, "liaison/IT-DNA", node,
                Duration.ofMillis(100), dir.resolve("snapshots").resolve(node));
    }

    private static void await(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /** The entry a node makes when it takes the lead is at the node's time (a manual clock here), not the system's. */
    @Test
    void theLeadersEntryIsAtTheNodesTime() throws Exception {
        LocalPostgres.Database db = database();
        Path key = dir.resolve("audit-log.key");
        FileAuditLog.createKey(key, "liaison/IT-DNA");
        java.time.Instant then = java.time.Instant.parse("2031-05-06T07:08:09Z");
        try (PostgresAuditLog a = PostgresAuditLog.open(db.url(), db.user(), db.password().toCharArray(), key, "liaison/IT-DNA", "node-a",
                Duration.ofMillis(100), dir.resolve("snapshots").resolve("node-a"), java.time.Clock.fixed(then, java.time.ZoneOffset.UTC))) {
            await("the lead", a::isLeader);
            a.record(AuditEvent.of("fetch", "AL-PP", "m", null, "ok", null));
            AuditLog.Snapshot s = a.snapshot();
            Path copy = Files.createDirectories(dir.resolve("copy"));
            Files.copy(s.entries(), copy.resolve(FileAuditLog.ENTRIES));
            Files.copy(s.checkpoints(), copy.resolve(FileAuditLog.CHECKPOINTS));
            List<String> leader = AuditLogVerifier.entries(copy).stream().map(e -> new String(e, java.nio.charset.StandardCharsets.UTF_8))
                    .filter(e -> e.contains("\"type\":\"audit-leader\"")).toList();
            assertThat(leader).singleElement().asString().contains("\"" + then + "\"");
        }
    }

    @Test
    void twoNodesAppendInOneOrderWithoutGapsAndOneIntegratesAtATime() throws Exception {
        LocalPostgres.Database db = database();
        Path key = dir.resolve("audit-log.key");
        String vkey = FileAuditLog.createKey(key, "liaison/IT-DNA");
        PostgresAuditLog a = open(db, key, "node-a");
        PostgresAuditLog b = open(db, key, "node-b");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            await("a leader", () -> a.isLeader() || b.isLeader());
            assertThat(a.isLeader() && b.isLeader()).isFalse();
            List<Future<Long>> indices = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                PostgresAuditLog log = i % 2 == 0 ? a : b;
                int n = i;
                indices.add(pool.submit(() -> log.record(AuditEvent.of("receive", "AL-PP", "m" + n, "AL-PP", "ok", null))));
            }
            Set<Long> got = new TreeSet<>();
            for (Future<Long> f : indices) {
                got.add(f.get());
            }
            assertThat(got).hasSize(200);
            // Receipts' checkpoints from either node cover their entries and agree with each other.
            String fromA = a.checkpointCovering(150);
            String fromB = b.checkpointCovering(150);
            Checkpoint ca = Checkpoint.parse(SignedNote.open(fromA, vkey));
            Checkpoint cb = Checkpoint.parse(SignedNote.open(fromB, vkey));
            assertThat(ca.size()).isGreaterThan(150);
            long common = Math.min(ca.size(), cb.size());
            assertThat(Merkle.verifyConsistency(common, Math.max(ca.size(), cb.size()), (ca.size() == common ? ca : cb).rootHash(),
                    (ca.size() == common ? cb : ca).rootHash(), a.consistencyProof(common, Math.max(ca.size(), cb.size())))).isTrue();

            // The leader goes: the other takes over.
            PostgresAuditLog leader = a.isLeader() ? a : b;
            PostgresAuditLog other = leader == a ? b : a;
            leader.close();
            await("the other node to take over", other::isLeader);
            other.record(AuditEvent.of("fetch", "AL-PP", "m-last", null, "ok", null));

            // A pulled copy verifies as a file log does, and names both leaders.
            AuditLog.Snapshot s = other.snapshot();
            Path copy = Files.createDirectories(dir.resolve("copy"));
            Files.copy(s.entries(), copy.resolve(FileAuditLog.ENTRIES));
            Files.copy(s.checkpoints(), copy.resolve(FileAuditLog.CHECKPOINTS));
            AuditLogVerifier.Report report = AuditLogVerifier.verify(copy, vkey);
            assertThat(report.problems()).isEmpty();
            assertThat(report.valid()).isTrue();
            List<String> entries = AuditLogVerifier.entries(copy).stream().map(e -> new String(e, java.nio.charset.StandardCharsets.UTF_8))
                    .toList();
            assertThat(entries).filteredOn(e -> e.contains("\"type\":\"audit-leader\"")).hasSize(2);
            for (int i = 0; i < entries.size(); i++) {
                assertThat(entries.get(i)).startsWith("{\"index\":" + i + ",");
            }
            other.close();
        } finally {
            pool.shutdownNow();
        }

        // A changed entry: the log refuses to open and changes nothing.
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE audit_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'm7\"', 'm8\"'), 'UTF8')"
                    + " WHERE seq = (SELECT min(seq) FROM audit_entries WHERE convert_from(entry, 'UTF8') LIKE '%\"m7\"%')");
        }
        assertThatThrownBy(() -> open(db, key, "node-c")).hasMessageContaining("do not reproduce its last checkpoint");
    }

    /**
     * Issue 25, item 13: a node opening while another integrates. The other node appends and signs a
     * larger checkpoint between the opening node's two reads of the log: an integration in flight, not
     * tampering, so the node opens (and its tree reproduces the checkpoint it holds).
     */
    @Test
    void aNodeOpensWhileTheOtherSignsALargerCheckpoint() throws Exception {
        LocalPostgres.Database db = database();
        Path key = dir.resolve("audit-log.key");
        String vkey = FileAuditLog.createKey(key, "liaison/IT-DNA");
        PostgresAuditLog a = open(db, key, "node-a");
        try {
            for (int i = 0; i < 5; i++) {
                a.record(AuditEvent.of("receive", "AL-PP", "m" + i, "AL-PP", "ok", null));
            }
            a.checkpointNow();
            Runnable otherNodeIntegrates = () -> {
                try {
                    for (int i = 5; i < 12; i++) {
                        a.record(AuditEvent.of("receive", "AL-PP", "m" + i, "AL-PP", "ok", null));
                    }
                    a.checkpointNow();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            };
            PostgresAuditLog b = PostgresAuditLog.open(db.url(), db.user(), db.password().toCharArray(), key, "liaison/IT-DNA", "node-b",
                    Duration.ofMillis(100), dir.resolve("snapshots").resolve("node-b"), otherNodeIntegrates);
            try {
                Checkpoint held = Checkpoint.parse(SignedNote.open(b.checkpoint(), vkey));
                Checkpoint latest = Checkpoint.parse(SignedNote.open(a.checkpointNow(), vkey));
                assertThat(latest.size()).isGreaterThan(held.size());
                assertThat(Merkle.verifyConsistency(held.size(), latest.size(), held.rootHash(), latest.rootHash(),
                        b.consistencyProof(held.size(), latest.size()))).isTrue();
            } finally {
                b.close();
            }
        } finally {
            a.close();
        }

        // Real tampering is still refused: an entry the last checkpoint covers removed from the end.
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries)");
        }
        assertThatThrownBy(() -> open(db, key, "node-c")).hasMessageContaining("do not reproduce its last checkpoint");
    }

    private static long count(LocalPostgres.Database db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement st = c.createStatement();
                java.sql.ResultSet r = st.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static void execute(LocalPostgres.Database db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement st = c.createStatement()) {
            st.executeUpdate(sql);
        }
    }

    /**
     * Issue 28: the shared log keeps its tree as C2SP tiles in the database. It opens from the tree state
     * (not by re-reading every entry), proofs come from the tiles, a log of the earlier format (no tiles) is
     * converted once with every stored checkpoint reproduced, and a changed tile or entry is refused.
     */
    @Test
    void theSharedLogOpensFromItsTilesAndALogWithoutTilesIsConvertedWithTheSameRoots() throws Exception {
        LocalPostgres.Database db = database();
        Path key = dir.resolve("audit-log.key");
        String vkey = FileAuditLog.createKey(key, "liaison/IT-DNA");
        List<String> notes = new ArrayList<>();
        PostgresAuditLog a = open(db, key, "node-a");
        try {
            for (int i = 0; i < 1300; i++) {
                a.record(AuditEvent.of("receive", "AL-PP", "m" + i, "AL-PP", "ok", null));
                if (i % 400 == 399) {
                    notes.add(a.checkpointNow());
                }
            }
            notes.add(a.checkpointNow());
        } finally {
            a.close();
        }
        Checkpoint last = Checkpoint.parse(SignedNote.open(notes.get(notes.size() - 1), vkey));
        long size = last.size();
        assertThat(size).isGreaterThanOrEqualTo(1300);
        // full tiles of level 0 (256 entries each) and the state at the last checkpoint are in the database
        assertThat(count(db, "SELECT count(*) FROM audit_tiles WHERE level = 0")).isEqualTo(size / 256);
        assertThat(count(db, "SELECT size FROM audit_tree")).isEqualTo(size);

        PostgresAuditLog b = open(db, key, "node-b");
        try {
            assertThat(b.size()).isGreaterThanOrEqualTo(size);
            for (String n : notes) {
                Checkpoint c = Checkpoint.parse(SignedNote.open(n, vkey));
                for (long index : new long[] {0, 255, 256, c.size() / 2, c.size() - 1}) {
                    byte[] entry = AuditLogVerifierEntries.entry(db, index);
                    assertThat(Merkle.verifyInclusion(Merkle.leafHash(entry), index, c.size(), b.inclusionProof(index, c.size()),
                            c.rootHash())).as("inclusion of %d in %d", index, c.size()).isTrue();
                }
                assertThat(Merkle.verifyConsistency(c.size(), size, c.rootHash(), last.rootHash(), b.consistencyProof(c.size(), size)))
                        .isTrue();
            }
            assertThat(b.tile(0, 1, 256)).hasSize(256 * 32);
        } finally {
            b.close();
        }

        // a log of the earlier format: entries and checkpoints only. Converted at the next open, every checkpoint reproduced.
        execute(db, "DELETE FROM audit_tiles");
        execute(db, "DELETE FROM audit_tree");
        PostgresAuditLog c = open(db, key, "node-c");
        try {
            assertThat(Checkpoint.parse(SignedNote.open(c.checkpoint(), vkey)).size()).isGreaterThanOrEqualTo(size);
            assertThat(c.consistencyProof(notesSize(notes.get(0), vkey), size)).isNotNull();
            for (String n : notes) {
                Checkpoint cp = Checkpoint.parse(SignedNote.open(n, vkey));
                assertThat(Merkle.verifyConsistency(cp.size(), size, cp.rootHash(), last.rootHash(), c.consistencyProof(cp.size(), size)))
                        .isTrue();
            }
        } finally {
            c.close();
        }
        assertThat(count(db, "SELECT count(*) FROM audit_tiles_migrated WHERE record LIKE '%every one reproduced by the tiles%'"))
                .isEqualTo(1);
        assertThat(count(db, "SELECT count(*) FROM audit_tiles WHERE level = 0")).isGreaterThanOrEqualTo(size / 256);

        // a changed tile is refused, not used
        // (its first byte inverted: overwriting it with 0 changed nothing when it was 0 already, one run in 256)
        execute(db, "UPDATE audit_tiles SET tile = set_byte(tile, 0, get_byte(tile, 0) # 255) WHERE level = 0 AND idx = 1");
        assertThatThrownBy(() -> open(db, key, "node-d")).hasMessageContaining("tile");
        // without tiles again, a changed entry is found by the conversion, which changes nothing
        execute(db, "DELETE FROM audit_tiles");
        execute(db, "DELETE FROM audit_tree");
        execute(db, "UPDATE audit_entries SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'm7\"', 'm8\"'), 'UTF8')"
                + " WHERE convert_from(entry, 'UTF8') LIKE '%\"m7\"%'");
        assertThatThrownBy(() -> open(db, key, "node-e")).hasMessageContaining("do not reproduce its signed checkpoint");
        assertThat(count(db, "SELECT count(*) FROM audit_tree")).isZero();
    }

    /**
     * A node that dies after appending past its last tree state (no checkpoint since): another node opens
     * from the state and the entries after it, and its tree is the dead node's, entry for entry.
     */
    @Test
    void aNodeOpensFromTheTreeStateAndTheEntriesAppendedAfterIt() throws Exception {
        LocalPostgres.Database db = database();
        Path key = dir.resolve("audit-log.key");
        String vkey = FileAuditLog.createKey(key, "liaison/IT-DNA");
        PostgresAuditLog a = PostgresAuditLog.open(db.url(), db.user(), db.password().toCharArray(), key, "liaison/IT-DNA", "node-a",
                Duration.ofHours(1), dir.resolve("snapshots").resolve("node-a"));
        try {
            await("node-a's first integration round", () -> a.checkpoint() != null); // the next is an hour away
            for (int i = 0; i < 700; i++) {
                a.record(AuditEvent.of("receive", "AL-PP", "m" + i, "AL-PP", "ok", null));
            }
            Checkpoint first = Checkpoint.parse(SignedNote.open(a.checkpointNow(), vkey));
            assertThat(count(db, "SELECT size FROM audit_tree")).isEqualTo(first.size());
            for (int i = 700; i < 1000; i++) {
                a.record(AuditEvent.of("receive", "AL-PP", "m" + i, "AL-PP", "ok", null));
            }
            // node-a is never closed here: no checkpoint, no tree state after entry 700 (as if it died)
            assertThat(count(db, "SELECT size FROM audit_tree")).isEqualTo(first.size());
            PostgresAuditLog b = open(db, key, "node-b");
            try {
                long entries = count(db, "SELECT count(*) FROM audit_entries");
                assertThat(entries).isEqualTo(first.size() + 300);
                assertThat(b.size()).isEqualTo(entries);
                Checkpoint later = Checkpoint.parse(SignedNote.open(b.checkpointNow(), vkey));
                assertThat(later.size()).isEqualTo(entries);
                assertThat(Merkle.verifyConsistency(first.size(), later.size(), first.rootHash(), later.rootHash(),
                        a.consistencyProof(first.size(), later.size()))).isTrue();
                for (long i : new long[] {3, 699, 700, 999, entries - 1}) {
                    assertThat(Merkle.verifyInclusion(Merkle.leafHash(AuditLogVerifierEntries.entry(db, i)), i, later.size(),
                            b.inclusionProof(i, later.size()), later.rootHash())).as("inclusion of %d", i).isTrue();
                }
            } finally {
                b.close();
            }
        } finally {
            a.close();
        }
    }

    private static long notesSize(String note, String vkey) throws Exception {
        return Checkpoint.parse(SignedNote.open(note, vkey)).size();
    }

    /** Reads one entry's bytes straight from the table. */
    static final class AuditLogVerifierEntries {
        static LocalPostgres.Database last;

        static byte[] entry(LocalPostgres.Database db, long seq) throws Exception {
            try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
                    java.sql.PreparedStatement p = c.prepareStatement("SELECT entry FROM audit_entries WHERE seq = ?")) {
                p.setLong(1, seq);
                try (java.sql.ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getBytes(1);
                }
            }
        }
    }
}
