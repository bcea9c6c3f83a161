package org.liaison.gateway.store;

/**
 * The five aggregate stores over one database ({@link SqlDb}); a subclass opens the database (connections,
 * migrations) and closes it.
 */
abstract class SqlMessageStore implements MessageStore {
    final SqlDb db;
    private final SqlInbox inbox;
    private final SqlSent sent;
    private final SqlDeliveries deliveries;
    private final SqlNotices notices;
    private final SqlCases cases;

    /** {@code leaseHolder}: whether the deliveries table records which node holds a lease. */
    SqlMessageStore(SqlDb db, boolean leaseHolder) {
        this.db = db;
        this.inbox = new SqlInbox(db);
        this.sent = new SqlSent(db);
        this.deliveries = new SqlDeliveries(db, leaseHolder);
        this.notices = new SqlNotices(db);
        this.cases = new SqlCases(db);
    }

    @Override
    public InboxStore inbox() {
        return inbox;
    }

    @Override
    public SentStore sent() {
        return sent;
    }

    @Override
    public DeliveryStore deliveries() {
        return deliveries;
    }

    @Override
    public NoticeStore notices() {
        return notices;
    }

    @Override
    public CaseStore cases() {
        return cases;
    }

    /** The SQL inbox, for a caller that stores a reception in its own transaction. */
    SqlInbox sqlInbox() {
        return inbox;
    }
}
