package org.liaison.gateway.store;

/** {@link HistoryContract} on PostgreSQL (a throwaway server on loopback: {@link LocalPostgres}). */
class PostgresHistoryTest extends HistoryContract {
    @Override
    MessageStore open() throws Exception {
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        return PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 4, dir, "node-a");
    }
}
