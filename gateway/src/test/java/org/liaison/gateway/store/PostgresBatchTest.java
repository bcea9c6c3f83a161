package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@link BulkLoadContract} on PostgreSQL ({@link PostgresMessageStore#inOneTransaction}: one pooled connection per calling
 * thread for the batch), and the batch's rows are one transaction: nobody sees them before it commits.
 */
class PostgresBatchTest extends BulkLoadContract {
    private LocalPostgres.Database db;

    @Override
    @SuppressWarnings("unchecked")
    PostgresMessageStore open() throws Exception {
        if (db == null) {
            db = LocalPostgres.newDatabase();
        }
        return PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 2, dir, "node-a");
    }

    private long inboxRows() throws Exception {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM inbox")) {
            r.next();
            return r.getLong(1);
        }
    }

    @Test
    void theBatchsRowsAreInvisibleToOthersUntilItCommits() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        try (PostgresMessageStore s = open()) {
            long[] seenInside = new long[1];
            s.inOneTransaction(() -> {
                for (int i = 0; i < 3; i++) {
                    s.inbox().storeReceived(new MessageStore.Received(IT, UUID.randomUUID(), now, new byte[] {1}, "00", new byte[] {2},
                            dir.resolve("r" + i), null, "OP-1", new MessageStore.Listing("mla-request", "official", List.of(), 1, 1, null,
                                    null, UUID.randomUUID(), null)));
                }
                try {
                    seenInside[0] = inboxRows(); // another connection, while the batch is open
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                assertThat(s.inbox().receivedAfter(null, 10)).hasSize(3); // the batch's own calls see its rows
            });
            assertThat(seenInside[0]).isZero();
            assertThat(inboxRows()).isEqualTo(3);
        }
    }
}
