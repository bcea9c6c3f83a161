package org.liaison.gateway.audit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.TilePath;
import org.liaison.protocol.tlog.TileStore;

/**
 * The hash tiles of the shared audit log ({@link PostgresAuditLog}) in its PostgreSQL database, beside
 * its entries: {@code audit_tiles} holds each full tile once (written with the tree state that relies
 * on it, in one transaction, never changed), {@code audit_tree} the one row of the tree state (the size
 * it describes, the right edge at that size and the checkpoint signed at it). Tiles are read through a
 * connection of their own (a read happens while the log's tree is locked: taking one from the pool then
 * could wait on appends that wait for the lock).
 */
final class PostgresTiles implements TileStore {
    static final String SCHEMA = "CREATE TABLE IF NOT EXISTS audit_tiles (level INTEGER NOT NULL, idx BIGINT NOT NULL, tile BYTEA NOT NULL,"
            + " PRIMARY KEY (level, idx));"
            + "CREATE TABLE IF NOT EXISTS audit_tree (id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL, edge BYTEA NOT NULL,"
            + " note TEXT NOT NULL);"
            + "CREATE TABLE IF NOT EXISTS audit_tiles_migrated (at TIMESTAMPTZ NOT NULL DEFAULT now(), node TEXT NOT NULL, record TEXT NOT NULL)";

    /** The tree state row: the size, its right edge and the checkpoint signed at that size. */
    record State(long size, List<byte[]> edge, String note) {}

    /** Opens the connection tiles are read on (again when it broke). */
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private Connection reader;
    long reads;

    PostgresTiles(Connector connector) {
        this.connector = connector;
    }

    @Override
    public synchronized byte[] read(int level, long index) throws IOException {
        try {
            return query(level, index);
        } catch (SQLException first) {
            close(); // a broken connection (the server restarted): once more on a new one
            try {
                return query(level, index);
            } catch (SQLException e) {
                throw new IOException("cannot read tile " + TilePath.tile(level, index, TilePath.WIDTH) + " of the shared audit log: "
                        + e.getMessage(), e);
            }
        }
    }

    private byte[] query(int level, long index) throws SQLException {
        if (reader == null) {
            reader = connector.connect();
        }
        try (PreparedStatement p = reader.prepareStatement("SELECT tile FROM audit_tiles WHERE level = ? AND idx = ?")) {
            p.setInt(1, level);
            p.setLong(2, index);
            try (ResultSet r = p.executeQuery()) {
                reads++;
                return r.next() ? r.getBytes(1) : null;
            }
        }
    }

    /** Stores full tiles in {@code c}'s transaction; one already there is left as it is (tiles are deterministic and checked when read). */
    static void write(Connection c, Map<TilePath.Tile, byte[]> tiles) throws SQLException {
        if (tiles.isEmpty()) {
            return;
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO audit_tiles (level, idx, tile) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            for (Map.Entry<TilePath.Tile, byte[]> t : tiles.entrySet()) {
                p.setInt(1, t.getKey().level());
                p.setLong(2, t.getKey().index());
                p.setBytes(3, t.getValue());
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    /** The tree state, or {@code null} when the log has none yet (new, or not converted into tiles). */
    static State state(Connection c) throws SQLException, IOException {
        try (PreparedStatement p = c.prepareStatement("SELECT size, edge, note FROM audit_tree WHERE id = 1"); ResultSet r = p.executeQuery()) {
            if (!r.next()) {
                return null;
            }
            return new State(r.getLong(1), decodeEdge(r.getBytes(2)), r.getString(3));
        }
    }

    /** Moves the tree state forward to {@code s} in {@code c}'s transaction (never back: a node behind another leaves it). */
    static void advance(Connection c, State s) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO audit_tree (id, size, edge, note) VALUES (1, ?, ?, ?) ON CONFLICT (id)"
                + " DO UPDATE SET size = EXCLUDED.size, edge = EXCLUDED.edge, note = EXCLUDED.note WHERE audit_tree.size < EXCLUDED.size")) {
            p.setLong(1, s.size());
            p.setBytes(2, encodeEdge(s.edge()));
            p.setString(3, s.note());
            p.executeUpdate();
        }
    }

    static byte[] encodeEdge(List<byte[]> edge) {
        try {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            out.writeInt(edge.size());
            for (byte[] e : edge) {
                out.writeInt(e.length);
                out.write(e);
            }
            out.flush();
            return b.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<byte[]> decodeEdge(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
        int levels = in.readInt();
        if (levels < 0 || levels > 8) {
            throw new IOException("the shared audit log's tree state has " + levels + " edge levels");
        }
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            int n = in.readInt();
            if (n < 0 || n > 255 * Merkle.HASH_SIZE || n % Merkle.HASH_SIZE != 0) {
                throw new IOException("the shared audit log's tree state has an edge tile of " + n + " bytes");
            }
            out.add(in.readNBytes(n));
        }
        if (in.available() != 0) {
            throw new IOException("the shared audit log's tree state has bytes after its edge");
        }
        return out;
    }

    synchronized void close() {
        if (reader != null) {
            try {
                reader.close();
            } catch (SQLException ignored) {
                // gone either way
            }
            reader = null;
        }
    }
}
