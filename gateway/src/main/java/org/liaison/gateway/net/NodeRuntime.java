package org.liaison.gateway.net;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a node runs on, built once by the node and handed to its parts instead of each building its
 * own: the node's clock, and its executors by kind — blocking work (fsyncs, store commits,
 * signatures), writers (payload bytes hashed, encrypted and written), TLS handshakes' delegated tasks,
 * unbounded task pools, and single-thread schedulers. Each part asks for its own named executor, so
 * that pools stay apart as they always were (a flood of uploads does not hold up receptions); the
 * runtime owns every executor it made and stops those still running at {@link #close()}. Tests give a
 * manual clock and executors of their own ({@link Factory}).
 */
public final class NodeRuntime implements AutoCloseable {
    /** The kinds of pools. */
    public enum Kind { BLOCKING, WRITERS, TLS, TASKS }

    /** Makes the executors (production: {@link #SYSTEM}). */
    public interface Factory {
        /** A pool of {@code kind} whose threads are named after {@code name}. */
        ExecutorService pool(Kind kind, String name);

        /** A single-thread scheduler whose thread is named {@code threadName}. */
        ScheduledExecutorService scheduler(String threadName);
    }

    /**
     * Daemon threads: blocking, writer and TLS pools fixed at one thread per core (at least two), named
     * {@code liaison-NAME}; task pools cached; schedulers single-threaded, dropping queued tasks at shutdown
     * (see {@link GracefulStop}).
     */
    public static final Factory SYSTEM = new Factory() {
        @Override
        public ExecutorService pool(Kind kind, String name) {
            return kind == Kind.TASKS ? Executors.newCachedThreadPool(r -> daemon(r, name)) : Workers.pool(name);
        }

        @Override
        public ScheduledExecutorService scheduler(String threadName) {
            return GracefulStop.scheduler(threadName);
        }
    };

    private final Clock clock;
    private final Factory factory;
    private final List<ExecutorService> made = new ArrayList<>();

    public NodeRuntime(Clock clock, Factory factory) {
        this.clock = java.util.Objects.requireNonNull(clock, "clock");
        this.factory = java.util.Objects.requireNonNull(factory, "factory");
    }

    /** The system's executors with {@code clock}. */
    public static NodeRuntime system(Clock clock) {
        return new NodeRuntime(clock, SYSTEM);
    }

    /** The node's time: deadlines, backoff, retention, certificate and receipt checks, audit entries. */
    public Clock clock() {
        return clock;
    }

    /** Blocking work off the event loops (fsyncs, store commits, signatures). */
    public ExecutorService blocking(String name) {
        return keep(factory.pool(Kind.BLOCKING, name));
    }

    /** Where bytes are hashed, encrypted and written in order while the event loops read on. */
    public ExecutorService writers(String name) {
        return keep(factory.pool(Kind.WRITERS, name));
    }

    /** Where TLS handshakes' delegated tasks (certificate checks) run. */
    public ExecutorService tls(String name) {
        return keep(factory.pool(Kind.TLS, name));
    }

    /** An unbounded pool of tasks that each wait on something else (a peer's answer, say). */
    public ExecutorService tasks(String name) {
        return keep(factory.pool(Kind.TASKS, name));
    }

    /** A single-thread scheduler whose thread is named {@code threadName}. */
    public ScheduledExecutorService scheduler(String threadName) {
        return keep(factory.scheduler(threadName));
    }

    private synchronized <T extends ExecutorService> T keep(T e) {
        made.add(e);
        return e;
    }

    /** Stops every executor still running (the parts stop theirs first, in the node's close order). */
    @Override
    public synchronized void close() {
        for (ExecutorService e : made) {
            e.shutdownNow();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
