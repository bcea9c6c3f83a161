package org.liaison.gateway.audit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.TileFiles;
import org.liaison.protocol.tlog.TilePath;
import org.liaison.protocol.tlog.TileStore;
import org.liaison.protocol.tlog.TiledTree;

/**
 * Where the shared audit log keeps its tiles, measured (run by scripts/bench-audit-tiles; not a test):
 * <ul>
 *   <li>{@code store TILES DIR}: TILES full tiles written in batches of 64 and read back at random, as
 *       files under DIR (the shared folder's layout, {@link TileFiles}) and as rows in PostgreSQL
 *       ({@link PostgresTiles}, a throwaway server on loopback);
 *   <li>{@code open N...}: a shared log of N entries (inserted directly), converted into tiles once, then
 *       opened from its tiles: the conversion's and the open's times at each N.
 * </ul>
 */
public final class SharedLogTilesBenchmark {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("store")) {
            store(Integer.parseInt(args[1]), Path.of(args[2]));
        } else if (args[0].equals("open")) {
            for (int i = 1; i < args.length; i++) {
                open(Long.parseLong(args[i]), Files.createTempDirectory("liaison-shared-open"));
            }
        } else {
            throw new IllegalArgumentException("store TILES DIR | open N...");
        }
    }

    static Map<TilePath.Tile, byte[]> batch(int from, int n, Random rnd) {
        Map<TilePath.Tile, byte[]> out = new LinkedHashMap<>();
        for (int i = from; i < from + n; i++) {
            byte[] t = new byte[TilePath.FULL_BYTES];
            rnd.nextBytes(t);
            out.put(new TilePath.Tile(0, i, TilePath.WIDTH), t);
        }
        return out;
    }

    static void store(int tiles, Path dir) throws Exception {
        Random rnd = new Random(1);
        TileFiles files = new TileFiles(dir);
        long t0 = System.nanoTime();
        for (int i = 0; i < tiles; i += 64) {
            files.write(batch(i, Math.min(64, tiles - i), rnd));
        }
        double fileWrite = (System.nanoTime() - t0) / 1e3 / tiles;
        t0 = System.nanoTime();
        for (int i = 0; i < tiles; i++) {
            files.read(0, rnd.nextInt(tiles));
        }
        double fileRead = (System.nanoTime() - t0) / 1e3 / tiles;

        LocalPostgres.Database db = LocalPostgres.newDatabase();
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password())) {
            PostgresAuditLog.createSchema(c);
            t0 = System.nanoTime();
            for (int i = 0; i < tiles; i += 64) {
                c.setAutoCommit(false);
                PostgresTiles.write(c, batch(i, Math.min(64, tiles - i), rnd));
                c.commit();
            }
            c.setAutoCommit(true);
        }
        double pgWrite = (System.nanoTime() - t0) / 1e3 / tiles;
        PostgresTiles pg = new PostgresTiles(() -> DriverManager.getConnection(db.url(), db.user(), db.password()));
        pg.read(0, 0);
        t0 = System.nanoTime();
        for (int i = 0; i < tiles; i++) {
            pg.read(0, rnd.nextInt(tiles));
        }
        double pgRead = (System.nanoTime() - t0) / 1e3 / tiles;
        pg.close();
        System.out.printf("%d tiles of 8 KiB, written 64 at a time (durably) and read at random: folder %.0f us/tile written, %.0f us/tile"
                + " read; PostgreSQL %.0f us/tile written, %.0f us/tile read%n", tiles, fileWrite, fileRead, pgWrite, pgRead);
    }

    static void open(long n, Path dir) throws Exception {
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        Path key = dir.resolve("audit-log.key");
        String origin = "liaison/IT-DNA";
        FileAuditLog.createKey(key, origin);
        SignedNote.Signer signer = FileAuditLog.signer(key, origin);
        TiledTree tree = new TiledTree(TileStore.NONE, 1);
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password())) {
            PostgresAuditLog.createSchema(c);
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO audit_entries (seq, entry, node) VALUES (?, ?, 'bench')")) {
                for (long i = 0; i < n; i++) {
                    byte[] e = FileAuditLog.entryBytes(i, AuditEvent.of("receive", "AL-PP", "m" + i, "AL-PP", "ok", null)
                            .with("service", "mla-request"));
                    tree.append(Merkle.leafHash(e));
                    tree.taken(tree.pending().keySet());
                    p.setLong(1, i);
                    p.setBytes(2, e);
                    p.addBatch();
                    if (i % 5000 == 4999) {
                        p.executeBatch();
                    }
                }
                p.executeBatch();
            }
            try (Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE audit_head SET next = " + n);
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO audit_checkpoints (size, note, node) VALUES (?, ?, 'bench')")) {
                p.setLong(1, n);
                p.setString(2, SignedNote.sign(new Checkpoint(origin, n, tree.root(n)).text(), signer));
                p.executeUpdate();
            }
            c.commit();
        }
        long t0 = System.nanoTime();
        PostgresAuditLog.open(db.url(), db.user(), db.password().toCharArray(), key, origin, "bench", Duration.ofHours(1),
                dir.resolve("snapshots")).close();
        double convert = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        PostgresAuditLog log = PostgresAuditLog.open(db.url(), db.user(), db.password().toCharArray(), key, origin, "bench",
                Duration.ofHours(1), dir.resolve("snapshots"));
        double open = (System.nanoTime() - t0) / 1e6;
        long heap = AuditLogSizeBenchmark.heapAfterGc();
        Random rnd = new Random(2);
        double[] proofs = AuditLogSizeBenchmark.proofs(log::inclusionProof, log::consistencyProof, n, rnd, 1000);
        log.close();
        System.out.printf("N=%d shared log on PostgreSQL tiles: conversion of the earlier format %.1f s; open from the tiles %.0f ms, heap"
                + " after %d MiB; inclusion / consistency proof %.0f / %.0f us (first 1000 after open)%n", n, convert, open, heap >> 20,
                proofs[0], proofs[1]);
    }
}
