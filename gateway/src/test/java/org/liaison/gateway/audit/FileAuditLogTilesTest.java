package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.MerkleTree;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.TilePath;

/** The audit log kept as C2SP tiles: what is on disk, what an open reads, the conversion of a log of the earlier format. */
class FileAuditLogTilesTest {
    @TempDir
    Path dir;

    static AuditEvent event(int i) {
        return AuditEvent.of("receive", "IT-DNA", "m-" + i, "AL-PP", "ok", null);
    }

    FileAuditLog open() throws Exception {
        return FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1));
    }

    /** The reference tree of the entries file, as the earlier log built it at every open. */
    MerkleTree reference() throws Exception {
        MerkleTree t = new MerkleTree();
        AuditLogVerifier.entries(dir).forEach(e -> t.append(Merkle.leafHash(e)));
        return t;
    }

    @Test
    void theTreeIsOnDiskAsSpecTilesAndProofsAreTheReferenceOnes() throws Exception {
        int n = 5000;
        try (FileAuditLog log = open()) {
            for (int i = 0; i < n - 1; i++) {
                log.append(event(i));
            }
            log.record(event(n - 1));
        }
        MerkleTree ref = reference();
        assertThat(ref.size()).isEqualTo(n);
        byte[] tile0 = Files.readAllBytes(dir.resolve("tile/0/000"));
        assertThat(tile0).hasSize(8192);
        for (int i = 0; i < 256; i++) {
            assertThat(java.util.Arrays.copyOfRange(tile0, 32 * i, 32 * i + 32)).isEqualTo(ref.leaf(i));
        }
        assertThat(dir.resolve("tile/0/018")).exists(); // 19 full level-0 tiles for 5000 entries
        assertThat(dir.resolve("tile/0/019")).doesNotExist(); // the partial one is in the edge
        try (FileAuditLog log = open()) {
            assertThat(log.size()).isEqualTo(n);
            for (long at : new long[] {1, 255, 256, 257, 511, 512, 4096, 4999, 5000}) {
                assertThat(log.root(at)).isEqualTo(ref.root(at));
                assertThat(log.inclusionProof(at / 2, at)).usingElementComparator(java.util.Arrays::compare)
                        .containsExactlyElementsOf(ref.inclusionProof(at / 2, at));
                assertThat(log.consistencyProof(at / 3, at)).usingElementComparator(java.util.Arrays::compare)
                        .containsExactlyElementsOf(ref.consistencyProof(at / 3, at));
            }
            assertThat(log.tile(0, 19, 5000 - 19 * 256)).hasSize((5000 - 19 * 256) * 32);
            assertThat(log.tile(1, 0, 19)).hasSize(19 * 32);
            assertThat(log.recentAtOpen()).hasSize(FileAuditLog.RECENT);
            assertThat(new String(log.recentAtOpen().get(FileAuditLog.RECENT - 1), StandardCharsets.UTF_8)).startsWith("{\"index\":4999,");
            Checkpoint c = Checkpoint.ofNote(log.checkpoint());
            assertThat(c.size()).isEqualTo(n);
            assertThat(c.rootHash()).isEqualTo(ref.root(n));
        }
        assertThat(AuditLogVerifier.verify(dir, Files.readString(dir.resolve(FileAuditLog.VERIFIER_KEY)).strip()).problems()).isEmpty();
    }

    /**
     * An open reads the state and the last entries, not the whole log: an entry changed early on (same
     * length) is not seen by it, and the explicit full verification finds it.
     */
    @Test
    void openReadsTheStateAndTheLastEntriesAndFullVerificationReadsEverything() throws Exception {
        int n = FileAuditLog.RECENT + 3000;
        try (FileAuditLog log = open()) {
            for (int i = 0; i < n; i++) {
                log.append(event(i));
            }
        }
        String vkey = Files.readString(dir.resolve(FileAuditLog.VERIFIER_KEY)).strip();
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        String text = new String(all, StandardCharsets.ISO_8859_1).replaceFirst("\"m-10\"", "\"m-X0\"");
        Files.write(dir.resolve(FileAuditLog.ENTRIES), text.getBytes(StandardCharsets.ISO_8859_1));
        try (FileAuditLog log = open()) {
            assertThat(log.size()).isEqualTo(n);
        }
        AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, vkey);
        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).anyMatch(p -> p.contains("tile/0/000 does not match the entries"));
        assertThat(r.problems()).anyMatch(p -> p.contains("does not match the entries: an entry at index 0"));
        // The same change in the last few thousand entries is refused at open.
        Files.write(dir.resolve(FileAuditLog.ENTRIES), all);
        Files.write(dir.resolve(FileAuditLog.ENTRIES), new String(all, StandardCharsets.ISO_8859_1).replace("\"m-" + (n - 100) + "\"",
                "\"x-" + (n - 100) + "\"").getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(this::open).isInstanceOf(FileAuditLog.AuditLogDamagedException.class)
                .hasMessageContaining("entry " + (n - 100) + " is not the one its tiles hold: the log was altered");
    }

    /** Entry bundles (tile/entries/N) are served from the entries file; each entry hashes to its leaf in the level-0 tile. */
    @Test
    void entryBundlesHashToTheLevel0Tiles() throws Exception {
        try (FileAuditLog log = open()) {
            for (int i = 0; i < 700; i++) {
                log.append(event(i));
            }
            log.persist(true); // bundles 0 and 1 through the index on disk, 2 from what waits for it
            for (int i = 700; i < 800; i++) {
                log.append(event(i));
            }
            for (long[] b : new long[][] {{0, 256}, {1, 256}, {2, 256}, {3, 32}, {1, 5}}) {
                byte[] bundle = log.entryBundle(b[0], (int) b[1]);
                byte[] tile = log.tile(0, b[0], (int) b[1]);
                ByteBuffer in = ByteBuffer.wrap(bundle);
                for (int k = 0; k < b[1]; k++) {
                    byte[] e = new byte[in.getShort() & 0xffff];
                    in.get(e);
                    assertThat(Merkle.leafHash(e)).isEqualTo(java.util.Arrays.copyOfRange(tile, 32 * k, 32 * k + 32));
                    assertThat(new String(e, StandardCharsets.UTF_8)).startsWith("{\"index\":" + (b[0] * 256 + k) + ",");
                }
                assertThat(in.hasRemaining()).isFalse();
            }
            assertThatThrownBy(() -> log.entryBundle(3, 33)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond");
        }
    }

    @Test
    void fullVerificationComparesTheIndexAndTheStateWithTheEntries() throws Exception {
        try (FileAuditLog log = open()) {
            for (int i = 0; i < 1000; i++) {
                log.append(event(i));
            }
        }
        String vkey = Files.readString(dir.resolve(FileAuditLog.VERIFIER_KEY)).strip();
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).isEmpty();
        byte[] index = Files.readAllBytes(dir.resolve(FileAuditLog.INDEX));
        byte[] changed = index.clone();
        changed[15] ^= 1; // where entry 256 starts
        Files.write(dir.resolve(FileAuditLog.INDEX), changed);
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).containsExactly(FileAuditLog.INDEX
                + ": the run from entry 256 starts at byte " + ByteBuffer.wrap(index, 8, 8).getLong() + ", not where the index says");
        Files.write(dir.resolve(FileAuditLog.INDEX), index);
        Files.delete(dir.resolve("tile/0/002"));
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).containsExactly("tile/0/002 is missing (the tile state covers it)");
    }

    /** A log whose process died after its last tile state: the entries after it are added at open, and nothing is lost. */
    @Test
    void entriesWrittenAfterTheLastTileStateAreAddedAtOpen() throws Exception {
        FileAuditLog crashed = open();
        for (int i = 0; i < 600; i++) {
            crashed.append(event(i));
        }
        crashed.persist(true); // the state at 600
        for (int i = 600; i < 1500; i++) {
            crashed.record(event(i)); // acknowledged, no state after them; the process "dies" here (never closed)
        }
        String signedAt1000;
        try (FileAuditLog log = open()) {
            assertThat(log.size()).isEqualTo(1500);
            assertThat(log.root(1500)).isEqualTo(reference().root(1500));
            assertThat(new String(log.recentAtOpen().get(log.recentAtOpen().size() - 1), StandardCharsets.UTF_8))
                    .startsWith("{\"index\":1499,");
            signedAt1000 = log.checkpointCovering(999);
            log.record(event(1500));
        }
        assertThat(Checkpoint.ofNote(signedAt1000).size()).isEqualTo(1500);
        assertThat(AuditLogVerifier.verify(dir, crashed.verifierKey()).problems()).isEmpty();
    }

    /** Writes a log exactly as the earlier code did: the entries file, signed checkpoints over MerkleTree roots, no tiles. */
    String writeEarlierFormat(int n, int... checkpointAt) throws Exception {
        Files.createDirectories(dir);
        String vkey = FileAuditLog.createKey(dir.resolve(FileAuditLog.KEY), "liaison/IT-DNA");
        SignedNote.Signer signer = FileAuditLog.signer(dir.resolve(FileAuditLog.KEY), "liaison/IT-DNA");
        MerkleTree tree = new MerkleTree();
        java.io.ByteArrayOutputStream entries = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream checkpoints = new java.io.ByteArrayOutputStream();
        int next = 0;
        for (int i = 0; i <= n; i++) {
            if (next < checkpointAt.length && checkpointAt[next] == i) {
                byte[] note = SignedNote.sign(new Checkpoint("liaison/IT-DNA", i, tree.root(i)).text(), signer)
                        .getBytes(StandardCharsets.UTF_8);
                checkpoints.write(ByteBuffer.allocate(4).putInt(note.length).array());
                checkpoints.write(note);
                next++;
            }
            if (i < n) {
                byte[] e = FileAuditLog.entryBytes(i, event(i));
                entries.write(ByteBuffer.allocate(4).putInt(e.length).array());
                entries.write(e);
                tree.append(Merkle.leafHash(e));
            }
        }
        Files.write(dir.resolve(FileAuditLog.ENTRIES), entries.toByteArray());
        Files.write(dir.resolve(FileAuditLog.CHECKPOINTS), checkpoints.toByteArray());
        return vkey;
    }

    @Test
    void aLogOfTheEarlierFormatIsConvertedOnceWithEveryCheckpointItHoldsReproduced() throws Exception {
        String vkey = writeEarlierFormat(3000, 5, 256, 1000, 2999);
        String entries = Envelopes.sha256(Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES)));
        String checkpoints = Envelopes.sha256(Files.readAllBytes(dir.resolve(FileAuditLog.CHECKPOINTS)));
        assertThat(dir.resolve(TileState.FILE)).doesNotExist();
        try (FileAuditLog log = open()) {
            assertThat(log.size()).isEqualTo(3000);
            assertThat(log.recentAtOpen()).hasSize(3000);
            assertThat(Checkpoint.ofNote(log.checkpoint()).size()).isEqualTo(2999); // the last one it held
            assertThat(log.root(2999)).isEqualTo(Checkpoint.ofNote(log.checkpoint()).rootHash());
        }
        assertThat(Envelopes.sha256(Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES)))).isEqualTo(entries);
        String record = Files.readString(dir.resolve(FileAuditLog.MIGRATED));
        assertThat(record).contains("3000 entries re-hashed; 4 signed checkpoint(s) held, every one reproduced by the tiles (sizes 5 to 2999");
        assertThat(dir.resolve(TileState.FILE)).exists();
        assertThat(Files.readAllBytes(dir.resolve("tile/0/010"))).hasSize(8192);
        // The old checkpoints are kept as they were, the close added one for 3000.
        assertThat(Envelopes.sha256(java.util.Arrays.copyOf(Files.readAllBytes(dir.resolve(FileAuditLog.CHECKPOINTS)),
                (int) Files.size(dir.resolve(FileAuditLog.CHECKPOINTS)) - lastRecordLength()))).isEqualTo(checkpoints);
        // Converted once: the next open starts from the state.
        try (FileAuditLog log = open()) {
            assertThat(log.size()).isEqualTo(3000);
        }
        assertThat(Files.readString(dir.resolve(FileAuditLog.MIGRATED))).isEqualTo(record);
        AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, vkey);
        assertThat(r.problems()).isEmpty();
        assertThat(r.verifiedSize()).isEqualTo(3000);
    }

    int lastRecordLength() throws Exception {
        List<String> notes = AuditLogVerifier.notes(dir);
        return 4 + notes.get(notes.size() - 1).getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void anEarlierFormatLogWhoseEntriesDoNotGiveAnEarlierCheckpointsRootIsRefusedUntouched() throws Exception {
        writeEarlierFormat(600, 5, 300, 600);
        // Entry 100 changed, lengths kept: the checkpoint at 300 (not the last one) must catch it.
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        Files.write(dir.resolve(FileAuditLog.ENTRIES), new String(all, StandardCharsets.ISO_8859_1).replace("\"m-100\"", "\"m-1X0\"")
                .getBytes(StandardCharsets.ISO_8859_1));
        String entries = Envelopes.sha256(Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES)));
        String checkpoints = Envelopes.sha256(Files.readAllBytes(dir.resolve(FileAuditLog.CHECKPOINTS)));
        assertThatThrownBy(this::open).isInstanceOf(FileAuditLog.AuditLogDamagedException.class)
                .hasMessageContaining("its first 300 entries do not match its signed checkpoint #1").hasMessageContaining("Nothing was changed");
        assertThat(Envelopes.sha256(Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES)))).isEqualTo(entries);
        assertThat(Envelopes.sha256(Files.readAllBytes(dir.resolve(FileAuditLog.CHECKPOINTS)))).isEqualTo(checkpoints);
        assertThat(dir.resolve(TileState.FILE)).doesNotExist();
        assertThat(dir.resolve(FileAuditLog.MIGRATED)).doesNotExist();
    }

    @Test
    void aDamagedTileOrStateIsRebuiltFromTheEntriesNotTrusted() throws Exception {
        try (FileAuditLog log = open()) {
            for (int i = 0; i < 2000; i++) {
                log.append(event(i));
            }
        }
        byte[] good = Files.readAllBytes(dir.resolve("tile/0/001"));
        byte[] bad = good.clone();
        bad[7] ^= 1;
        Files.write(dir.resolve("tile/0/001"), bad);
        try (FileAuditLog log = open()) {
            assertThat(log.size()).isEqualTo(2000);
            assertThat(log.root(700)).isEqualTo(reference().root(700));
        }
        assertThat(Files.readAllBytes(dir.resolve("tile/0/001"))).isEqualTo(good);
        assertThat(Files.readString(dir.resolve(FileAuditLog.MIGRATED))).contains("tile/0/001 does not match the hash above it");
        // A state file changed on disk: its checksum fails, and the log is converted again.
        byte[] state = Files.readAllBytes(dir.resolve(TileState.FILE));
        state[40] ^= 1;
        Files.write(dir.resolve(TileState.FILE), state);
        try (FileAuditLog log = open()) {
            assertThat(log.size()).isEqualTo(2000);
        }
        assertThat(Files.readString(dir.resolve(FileAuditLog.MIGRATED)).lines()).hasSize(2)
                .anyMatch(l -> l.contains("tiles.state is damaged (its checksum does not match)"));
    }

    @Test
    void concurrentWritersAreAllInTheTilesAfterReopening() throws Exception {
        List<Thread> ts = new ArrayList<>();
        try (FileAuditLog log = open()) {
            for (int t = 0; t < 8; t++) {
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 400; i++) {
                        log.record(event(i));
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join();
            }
        }
        try (FileAuditLog log = open()) {
            assertThat(log.size()).isEqualTo(3200);
            assertThat(log.root(3200)).isEqualTo(reference().root(3200));
        }
    }
}
