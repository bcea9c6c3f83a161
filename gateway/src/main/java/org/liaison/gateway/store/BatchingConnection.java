package org.liaison.gateway.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A JDBC connection that can hold one outer transaction around many store calls (a bulk load: one commit for a
 * batch of rows instead of one per row). While a batch is open, the store calls' own transaction control
 * ({@code setAutoCommit}, {@code commit}, {@code rollback}) is absorbed by the batch: their statements join the
 * outer transaction, which commits when the batch ends and rolls back as a whole if any call failed. Outside a
 * batch every call passes through unchanged. Not thread-safe: the store serializes its calls.
 */
final class BatchingConnection implements InvocationHandler {
    private final Connection target;
    private boolean batching;

    private BatchingConnection(Connection target) {
        this.target = target;
    }

    /** The connection to use, and its handler (to open and close batches). */
    static BatchingConnection wrap(Connection target) {
        return new BatchingConnection(target);
    }

    Connection connection() {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, this);
    }

    /** Runs {@code calls} in one transaction: all of their writes are committed together, or none (the failure is thrown). */
    void inOneTransaction(Runnable calls) throws SQLException {
        if (batching) {
            calls.run(); // already in one
            return;
        }
        target.setAutoCommit(false);
        batching = true;
        boolean done = false;
        try {
            calls.run();
            target.commit();
            done = true;
        } finally {
            batching = false;
            try {
                if (!done) {
                    target.rollback();
                }
            } finally {
                target.setAutoCommit(true);
            }
        }
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (batching) {
            switch (method.getName()) {
                case "setAutoCommit", "commit", "rollback":
                    if (method.getParameterCount() <= 1) {
                        return null; // the batch decides
                    }
                    break;
                case "getAutoCommit":
                    return false;
                default:
                    break;
            }
        }
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
