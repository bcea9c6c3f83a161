package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.SecureFiles;
import org.liaison.cli.Main;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;

class FileAuditLogTest {
    @TempDir
    Path dir;

    /** 20 events with checkpoints after 5, 10 and 20. */
    String write20() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            for (int i = 0; i < 20; i++) {
                log.record(AuditEvent.of("receive", "IT-DNA", "m-" + i, "AL-PP", "ok", null));
                if (i == 4 || i == 9) {
                    log.checkpointNow();
                }
            }
            return log.verifierKey();
        }
    }

    static byte[] entry(Path dir, int index) throws Exception {
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.ENTRIES), StandardOpenOption.READ)) {
            return AuditLogReader.records(ch, false).get(index);
        }
    }

    @Test
    void appendedEventsAreCheckpointedAndVerify() throws Exception {
        String vkey = write20();
        AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, vkey);
        assertThat(r.problems()).isEmpty();
        assertThat(r.entries()).isEqualTo(20);
        assertThat(r.checkpoints()).isEqualTo(3);
        assertThat(r.verifiedSize()).isEqualTo(20);
        assertThat(new String(entry(dir, 3))).startsWith("{\"index\":3,").contains("\"type\":\"receive\"");
    }

    /** One entry read by itself (for an evidence container): the bytes hashed, in the first and a later entry bundle, also after a reopen. */
    @Test
    void oneEntryIsReadByItselfAndProvenWithTheTiles() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            for (int i = 0; i < 300; i++) {
                log.record(AuditEvent.of("receive", "IT-DNA", "m-" + i, "AL-PP", "ok", null));
            }
            log.checkpointNow();
            for (int i : new int[] {0, 255, 256, 299}) {
                byte[] e = log.entry(i);
                assertThat(e).isEqualTo(entry(dir, i));
                assertThat(Merkle.verifyInclusion(Merkle.leafHash(e), i, 300,
                        log.inclusionProof(i, 300), log.root(300))).isTrue();
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> log.entry(300)).isInstanceOf(IllegalArgumentException.class);
        }
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            assertThat(new String(log.entry(257), java.nio.charset.StandardCharsets.UTF_8)).contains("\"m-257\"");
        }
    }

    @Test
    void everySingleByteChangeInTheEntriesOrTheCheckpointsIsDetected() throws Exception {
        String vkey = write20();
        for (String file : List.of(FileAuditLog.ENTRIES, FileAuditLog.CHECKPOINTS)) {
            byte[] original = Files.readAllBytes(dir.resolve(file));
            for (int pos = 0; pos < original.length; pos++) {
                byte[] changed = original.clone();
                changed[pos] ^= 0x01;
                Files.write(dir.resolve(file), changed);
                assertThat(AuditLogVerifier.verify(dir, vkey).valid()).as(file + " byte " + pos).isFalse();
            }
            Files.write(dir.resolve(file), original);
            assertThat(AuditLogVerifier.verify(dir, vkey).valid()).isTrue();
        }
    }

    @Test
    void aHistoryRewrittenOrRolledBackUnderTheLogsOwnKeyIsCaughtByACheckpointHeldElsewhere() throws Exception {
        String vkey = write20();
        Path held = dir.resolveSibling(dir.getFileName() + "-held.checkpoint");
        List<String> notes = AuditLogVerifier.notes(dir);
        Files.writeString(held, notes.get(notes.size() - 1)); // what a peer or an earlier pull kept: size 20
        assertThat(AuditLogVerifier.verify(dir, vkey, List.of(Files.readString(held))).valid()).isTrue();

        // The operator, who has the log key, rebuilds the log from entry 10 on with other events and re-signs it.
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        long keep = 0;
        for (int i = 0; i < 10; i++) {
            keep += 4 + entry0(all, i).length;
        }
        Files.write(dir.resolve(FileAuditLog.ENTRIES), java.util.Arrays.copyOf(all, (int) keep));
        Files.write(dir.resolve(FileAuditLog.CHECKPOINTS), new byte[0]);
        // The tile state still holds the signed size 20: the node refuses to open the cut log...
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1)))
                .hasMessageContaining("fewer entries");
        // ...so the operator removes the derived files too (the tiles, their index and state).
        removeTiles(dir);
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            for (int i = 10; i < 25; i++) {
                log.record(AuditEvent.of("receive", "IT-DNA", "other-" + i, "AL-PP", "ok", null));
            }
        }
        assertThat(AuditLogVerifier.verify(dir, vkey).valid()).as("on its own the forged log verifies").isTrue();
        AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, vkey, List.of(Files.readString(held)));
        assertThat(r.valid()).isFalse();
        assertThat(r.problems()).anyMatch(p -> p.contains("held checkpoint #0 (size 20)") && p.contains("rewritten"));

        // Rolled back to 15 entries: shorter than what is held.
        all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        keep = 0;
        for (int i = 0; i < 15; i++) {
            keep += 4 + entry0(all, i).length;
        }
        Files.write(dir.resolve(FileAuditLog.ENTRIES), java.util.Arrays.copyOf(all, (int) keep));
        Files.write(dir.resolve(FileAuditLog.CHECKPOINTS), new byte[0]);
        removeTiles(dir);
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            assertThat(log.size()).isEqualTo(15); // re-signed at close
        }
        StringWriter out = new StringWriter();
        int code = Main.run(new String[] {"audit", "verify", dir.toString(), "--key", vkey, "--held", held.toString()},
                new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertThat(code).isEqualTo(Main.FAILED);
        assertThat(out.toString()).contains("held checkpoint #0 covers 20 entries but the log holds 15: the log was rolled back");
    }

    /** Removes what a log derives from its entries (tiles, index, state): what someone rewriting the entries would do. */
    static void removeTiles(Path dir) throws java.io.IOException {
        SecureFiles.deleteTree(dir.resolve("tile"));
        Files.deleteIfExists(dir.resolve(FileAuditLog.INDEX));
        Files.deleteIfExists(dir.resolve(TileState.FILE));
    }

    @Test
    void changeIsLocatedBetweenTheCheckpointsAroundIt() throws Exception {
        String vkey = write20();
        byte[] e7 = entry(dir, 7);
        String s = new String(Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES)), java.nio.charset.StandardCharsets.ISO_8859_1);
        String target = new String(e7, java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(dir.resolve(FileAuditLog.ENTRIES), s.replace(target, target.replace("m-7", "m-X"))
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, vkey);
        assertThat(r.verifiedSize()).isEqualTo(5);
        assertThat(r.problems()).anyMatch(p -> p.contains("checkpoint #1 (size 10)") && p.contains("index 5 to 9"));
    }

    @Test
    void removedReorderedInsertedAndForgedEntriesAndCheckpointsAreDetected() throws Exception {
        String vkey = write20();
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        byte[] last = entry(dir, 19);
        // The last entry removed.
        Files.write(dir.resolve(FileAuditLog.ENTRIES), java.util.Arrays.copyOf(all, all.length - 4 - last.length));
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).anyMatch(p -> p.contains("entries were removed"));
        // Two entries swapped.
        byte[] e2 = entry0(all, 2);
        byte[] e3 = entry0(all, 3);
        String s = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1);
        String a = frame(e2);
        String b = frame(e3);
        Files.write(dir.resolve(FileAuditLog.ENTRIES), s.replace(a + b, b + a).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).anyMatch(p -> p.startsWith("entry 2: its index field says 3"));
        // An entry deleted from the middle.
        Files.write(dir.resolve(FileAuditLog.ENTRIES), s.replace(frame(entry0(all, 8)), "").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).anyMatch(p -> p.startsWith("entry 8: its index field says 9"));
        // A forged entry inserted in the middle, numbered to fit, and the later ones renumbered: the roots differ.
        StringBuilder withInserted = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            String e = new String(entry0(all, i), java.nio.charset.StandardCharsets.ISO_8859_1);
            if (i == 12) {
                withInserted.append(frame(("{\"index\":12,\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"fetch\",\"actor\":\"IT-DNA\"}")
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
            }
            int n = i >= 12 ? i + 1 : i;
            withInserted.append(frame(e.replace("{\"index\":" + i + ",", "{\"index\":" + n + ",").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
        }
        Files.write(dir.resolve(FileAuditLog.ENTRIES), withInserted.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        AuditLogVerifier.Report inserted = AuditLogVerifier.verify(dir, vkey);
        assertThat(inserted.valid()).isFalse();
        assertThat(inserted.verifiedSize()).isEqualTo(10); // checkpoints at 5 and 10 still hold; the one at 20 does not
        assertThat(inserted.problems()).anyMatch(p -> p.contains("checkpoint #2 (size 20) does not match the entries"));
        // A checkpoint signed by another key.
        Files.write(dir.resolve(FileAuditLog.ENTRIES), all);
        byte[] cps = Files.readAllBytes(dir.resolve(FileAuditLog.CHECKPOINTS));
        SignedNote.Signer forger = SignedNote.Signer.of("liaison/IT-DNA", new byte[32]);
        String forged = SignedNote.sign(new Checkpoint("liaison/IT-DNA", 20, new byte[32]).text(), forger);
        byte[] f = forged.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(dir.resolve(FileAuditLog.CHECKPOINTS), ByteBuffer.allocate(cps.length + 4 + f.length).put(cps).putInt(f.length)
                .put(f).array());
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).anyMatch(p -> p.startsWith("checkpoint #3"));
        // The whole log checked against another log's key.
        Files.write(dir.resolve(FileAuditLog.CHECKPOINTS), cps);
        assertThat(AuditLogVerifier.verify(dir, vkey.replaceFirst("\\+[0-9a-f]{8}\\+", "+00000000+")).valid()).isFalse();
    }

    static byte[] entry0(byte[] all, int index) {
        ByteBuffer b = ByteBuffer.wrap(all);
        for (int i = 0; ; i++) {
            int n = b.getInt();
            byte[] e = new byte[n];
            b.get(e);
            if (i == index) {
                return e;
            }
        }
    }

    static String frame(byte[] e) {
        return new String(ByteBuffer.allocate(4 + e.length).putInt(e.length).put(e).array(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    @Test
    void anIncompleteFinalRecordFromACrashIsTruncatedAndNothingAcknowledgedIsLost() throws Exception {
        String vkey = write20();
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.ENTRIES), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(10).putInt(500).put(new byte[] {'{', '"', 'i'}).flip()); // half-written append
        }
        assertThat(AuditLogVerifier.verify(dir, vkey).valid()).isFalse();
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            assertThat(log.size()).isEqualTo(20);
            log.record(AuditEvent.of("start", "IT-DNA", null, null, "ok", null));
        }
        AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, vkey);
        assertThat(r.problems()).isEmpty();
        assertThat(r.entries()).isEqualTo(21);
    }

    @Test
    void proveAndConsistencyCommandsGiveProofsThatVerifyIndependently() throws Exception {
        String vkey = write20();
        StringWriter out = new StringWriter();
        int code = Main.run(new String[] {"audit", "prove", dir.toString(), "--index", "7", "--key", vkey, "--json"},
                new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertThat(code).isZero();
        var proof = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
        assertThat(proof.path("treeSize").asLong()).isEqualTo(20);
        List<byte[]> path = new java.util.ArrayList<>();
        proof.path("inclusionProof").forEach(h -> path.add(java.util.HexFormat.of().parseHex(h.asText())));
        byte[] leaf = Merkle.leafHash(proof.path("entry").asText().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(Merkle.verifyInclusion(leaf, 7, 20, path,
                java.util.HexFormat.of().parseHex(proof.path("rootHash").asText()))).isTrue();
        // The proof carries the signed checkpoint: a third party authenticates the root with the log's key alone.
        Checkpoint signed = Checkpoint.parse(SignedNote.open(proof.path("signedCheckpoint").asText(), vkey));
        assertThat(java.util.HexFormat.of().formatHex(signed.rootHash())).isEqualTo(proof.path("rootHash").asText());
        assertThat(signed.size()).isEqualTo(20);

        StringWriter cj = new StringWriter();
        assertThat(Main.run(new String[] {"audit", "consistency", dir.toString(), "--from", "0", "--to", "2", "--key", vkey, "--json"},
                new PrintWriter(cj), new PrintWriter(new StringWriter()))).isZero();
        var cons = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cj.toString());
        Checkpoint fromSigned = Checkpoint.parse(SignedNote.open(cons.path("fromSignedCheckpoint").asText(), vkey));
        Checkpoint toSigned = Checkpoint.parse(SignedNote.open(cons.path("toSignedCheckpoint").asText(), vkey));
        List<byte[]> cpath = new java.util.ArrayList<>();
        cons.path("consistencyProof").forEach(h -> cpath.add(java.util.HexFormat.of().parseHex(h.asText())));
        assertThat(Merkle.verifyConsistency(fromSigned.size(), toSigned.size(), fromSigned.rootHash(),
                toSigned.rootHash(), cpath)).isTrue();

        StringWriter c = new StringWriter();
        int cc = Main.run(new String[] {"audit", "consistency", dir.toString(), "--from", "0", "--to", "2", "--key", vkey},
                new PrintWriter(c), new PrintWriter(new StringWriter()));
        assertThat(cc).isZero();
        assertThat(c.toString()).contains("fromSize          5").contains("toSize            20").contains("verified          true");
    }

    @Test
    void auditVerifyCommandReportsValidAndInvalid() throws Exception {
        String vkey = write20();
        StringWriter out = new StringWriter();
        int ok = Main.run(new String[] {"audit", "verify", dir.toString(), "--key", vkey}, new PrintWriter(out),
                new PrintWriter(new StringWriter()));
        assertThat(ok).isZero();
        assertThat(out.toString()).contains("VALID: 20 entries, 3 signed checkpoints");
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        all[all.length - 3] ^= 1;
        Files.write(dir.resolve(FileAuditLog.ENTRIES), all);
        StringWriter bad = new StringWriter();
        int code = Main.run(new String[] {"audit", "verify", dir.toString(), "--key", vkey}, new PrintWriter(bad),
                new PrintWriter(new StringWriter()));
        assertThat(code).isEqualTo(Main.FAILED);
        assertThat(bad.toString()).contains("INVALID");
    }
}
