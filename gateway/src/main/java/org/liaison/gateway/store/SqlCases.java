package org.liaison.gateway.store;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.liaison.gateway.store.MessageStore.Assignment;

/** {@link CaseStore} in SQL, the same on SQLite and PostgreSQL. */
final class SqlCases implements CaseStore {
    private final SqlDb db;

    SqlCases(SqlDb db) {
        this.db = db;
    }

    @Override
    public Optional<String> caseOf(UUID messageId, boolean received) {
        return db.with("read a message's case", c -> SharedRows.caseOf(c, messageId, received));
    }

    @Override
    public boolean assign(Assignment assignment) {
        return db.with("assign a case", c -> SharedRows.assign(c, assignment));
    }

    @Override
    public boolean unassign(String caseRef, String person) {
        return db.with("take a person off a case", c -> SharedRows.unassign(c, caseRef, person));
    }

    @Override
    public List<Assignment> assignments() {
        return db.with("read case assignments", SharedRows::assignments);
    }

    @Override
    public List<UUID> messagesOfCase(String caseRef, boolean received, boolean untagged) {
        return db.with("find a case's messages", c -> SharedRows.messagesOfCase(c, caseRef, received, untagged));
    }
}
