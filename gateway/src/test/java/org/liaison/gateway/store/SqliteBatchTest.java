package org.liaison.gateway.store;

/** {@link BulkLoadContract} on SQLite: {@link SqliteMessageStore#inOneTransaction} holds the one connection for the batch. */
class SqliteBatchTest extends BulkLoadContract {
    @Override
    @SuppressWarnings("unchecked")
    SqliteMessageStore open() {
        return SqliteMessageStore.open(dir.resolve("messages.db"));
    }
}
