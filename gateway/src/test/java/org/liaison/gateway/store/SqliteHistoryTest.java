package org.liaison.gateway.store;

/** {@link HistoryContract} on SQLite. */
class SqliteHistoryTest extends HistoryContract {
    @Override
    MessageStore open() {
        return SqliteMessageStore.open(dir.resolve("messages.db"));
    }
}
