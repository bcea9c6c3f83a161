package org.liaison.gateway.audit;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Group commit for appends to a database: callers that append while a transaction is being written wait for it,
 * and the first of them then writes everything that queued meanwhile (up to {@code max} items) in one transaction.
 * One transaction at a time, in the order items were queued; no thread of its own (the writer is one of the
 * callers). A caller returns once the transaction holding its
 * item committed (its index) or failed (the failure, for every item of that transaction: none of them was
 * written). Alone, a caller writes its item by itself at once: nothing waits for company.
 */
final class GroupCommit<E> {
    /** Writes items in one transaction, in order; returns the index of the first (the others follow it). */
    interface Writer<E> {
        long write(List<E> items) throws SQLException;
    }

    private static final class Pending<E> {
        final E item;
        boolean done;
        long index;
        Exception failure;

        Pending(E item) {
            this.item = item;
        }
    }

    private final int max;
    private final Writer<E> writer;
    private final Object lock = new Object();
    private final ArrayDeque<Pending<E>> queue = new ArrayDeque<>();
    private boolean writing;

    GroupCommit(int max, Writer<E> writer) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1");
        }
        this.max = max;
        this.writer = writer;
    }

    /** Appends {@code item}; returns its index once committed. */
    long append(E item) throws SQLException {
        Pending<E> mine = new Pending<>(item);
        boolean interrupted = false;
        try {
            synchronized (lock) {
                queue.add(mine);
            }
            while (true) {
                List<Pending<E>> batch = new ArrayList<>();
                synchronized (lock) {
                    while (!mine.done && writing) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            interrupted = true; // the append goes on: its transaction may be committing
                        }
                    }
                    if (mine.done) {
                        return result(mine);
                    }
                    writing = true;
                    while (!queue.isEmpty() && batch.size() < max) {
                        batch.add(queue.poll());
                    }
                }
                write(batch);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void write(List<Pending<E>> batch) {
        long first = -1;
        Exception failure = null;
        try {
            List<E> items = new ArrayList<>(batch.size());
            for (Pending<E> p : batch) {
                items.add(p.item);
            }
            first = writer.write(items);
        } catch (SQLException | RuntimeException e) {
            failure = e;
        } catch (Error e) {
            failure = new SQLException("the append failed: " + e, e);
            throw e;
        } finally {
            synchronized (lock) {
                for (int i = 0; i < batch.size(); i++) {
                    Pending<E> p = batch.get(i);
                    p.index = first + i;
                    p.failure = failure;
                    p.done = true;
                }
                writing = false;
                lock.notifyAll();
            }
        }
    }

    /** How many items wait for the next transaction (for tests). */
    int queued() {
        synchronized (lock) {
            return queue.size();
        }
    }

    private static long result(Pending<?> p) throws SQLException {
        if (p.failure == null) {
            return p.index;
        }
        // Each caller gets its own exception (the one failure is shared by every item of the transaction).
        if (p.failure instanceof SQLException s) {
            throw new SQLException(s.getMessage(), s.getSQLState(), s.getErrorCode(), s);
        }
        throw new IllegalStateException(p.failure.getMessage(), p.failure);
    }
}
