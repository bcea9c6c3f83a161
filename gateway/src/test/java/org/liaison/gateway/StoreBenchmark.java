package org.liaison.gateway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Random;
import java.util.UUID;

/**
 * The store decision, measured: durable transactions of the node's shape (insert a message with
 * an 8 KiB envelope and its delivery row, then update the delivery), one commit each, in SQLite
 * (WAL, synchronous=FULL: fsync at every commit) and H2 (MVStore, WRITE_DELAY=0: written at every
 * commit, but not fsynced per commit), side by side in one run.
 * Run by scripts/bench-store; not part of the test suite.
 */
public final class StoreBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        Path dir = Files.createTempDirectory("liaison-store-bench");
        byte[] envelope = new byte[8192];
        new Random(1).nextBytes(envelope);
        for (int round = 0; round < 2; round++) {
            double sqlite = run(sqlite(dir.resolve("r" + round + ".db")), n, envelope);
            double h2 = run(DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("r" + round + "-h2") + ";WRITE_DELAY=0"), n, envelope);
            System.out.printf("round %d: SQLite %.0f tx/s, H2 %.0f tx/s, SQLite/H2 %.2f (%d messages, 2 commits each)%n",
                    round + 1, sqlite, h2, sqlite / h2, n);
        }
    }

    static Connection sqlite(Path file) throws Exception {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA synchronous=FULL");
        }
        return c;
    }

    static double run(Connection c, int n, byte[] envelope) throws Exception {
        try (c; Statement s = c.createStatement()) {
            s.execute("CREATE TABLE outbox (id VARCHAR(36) PRIMARY KEY, envelope BLOB NOT NULL)");
            s.execute("CREATE TABLE deliveries (id VARCHAR(36), recipient VARCHAR(32), state VARCHAR(16), PRIMARY KEY (id, recipient))");
            c.setAutoCommit(false);
            long start = System.nanoTime();
            try (PreparedStatement o = c.prepareStatement("INSERT INTO outbox VALUES (?, ?)");
                    PreparedStatement d = c.prepareStatement("INSERT INTO deliveries VALUES (?, 'AL-PP', 'QUEUED')");
                    PreparedStatement u = c.prepareStatement("UPDATE deliveries SET state = 'DELIVERED' WHERE id = ?")) {
                for (int i = 0; i < n; i++) {
                    String id = UUID.randomUUID().toString();
                    o.setString(1, id);
                    o.setBytes(2, envelope);
                    o.executeUpdate();
                    d.setString(1, id);
                    d.executeUpdate();
                    c.commit();
                    u.setString(1, id);
                    u.executeUpdate();
                    c.commit();
                }
            }
            return 2.0 * n / ((System.nanoTime() - start) / 1e9);
        }
    }
}
