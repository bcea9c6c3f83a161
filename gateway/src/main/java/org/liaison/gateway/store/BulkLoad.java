package org.liaison.gateway.store;

/**
 * A store that can run many of its own calls in one transaction: a bulk load (such as {@code scripts/bench-history}'s
 * seeding) commits once per batch of rows instead of once per row. Both SQL stores offer it, each on its own terms
 * (SQLite: its one connection, held for the batch; PostgreSQL: one pooled connection per calling thread).
 */
public interface BulkLoad {
    /**
     * Runs {@code calls} (calls of this store, made on the calling thread) in one transaction: committed together, or
     * none of them (the failure is thrown as a {@link StoreException}, or as the calls threw it). Calls that open
     * transactions of their own join this one; a batch opened inside a batch is part of it.
     */
    void inOneTransaction(Runnable calls);
}
