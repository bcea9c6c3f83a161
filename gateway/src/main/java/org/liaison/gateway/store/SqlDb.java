package org.liaison.gateway.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import org.liaison.gateway.net.EventLoops;

/**
 * A store's database as its aggregates use it: a connection for each unit of work (SQLite: its one
 * connection, one unit at a time; PostgreSQL: one from the pool), the {@link SqlDialect}, the folder
 * blob paths are kept relative to, and the node's id in the leases it takes (null: the store records no
 * lease holder). Every unit runs off the event loops and turns a database error into a
 * {@link StoreException} saying what could not be done.
 */
final class SqlDb {
    /** Lends a connection for one unit of work. */
    interface Connections {
        <T> T use(SqlDialect.Work<T> w) throws SQLException;
    }

    final SqlDialect dialect;
    final String nodeId;
    private final Connections connections;
    private final Path base;

    SqlDb(SqlDialect dialect, Connections connections, Path base, String nodeId) {
        this.dialect = dialect;
        this.connections = connections;
        this.base = base.toAbsolutePath().normalize();
        this.nodeId = nodeId;
    }

    <T> T with(String what, SqlDialect.Work<T> w) {
        EventLoops.assertOffLoop("a store call");
        try {
            return connections.use(w);
        } catch (SQLException e) {
            throw new StoreException("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    /** The same unit in one transaction, rolled back if it throws. */
    <T> T transaction(String what, SqlDialect.Work<T> w) {
        return with(what, c -> SqlDialect.transaction(c, w));
    }

    /** A blob folder as the store keeps it: relative to the store's folder when under it. */
    String stored(Path blobs) {
        Path abs = blobs.toAbsolutePath().normalize();
        return abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
    }

    Path blobs(String stored) {
        return base.resolve(stored);
    }

    Object time(Instant i) {
        return dialect.time(i);
    }

    Instant instant(ResultSet r, int column) throws SQLException {
        return dialect.instant(r, column);
    }

    /** One connection, one unit of work at a time (SQLite: one writer anyway); the store that opened it closes it. */
    static Connections single(Connection c, Object lock) {
        return new Connections() {
            @Override
            public <T> T use(SqlDialect.Work<T> w) throws SQLException {
                synchronized (lock) {
                    return w.run(c);
                }
            }
        };
    }
}
