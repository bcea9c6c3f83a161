package org.liaison.gateway.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.FastThreadLocalThread;

/**
 * The node's event loops, on threads that know they are event loops — so that the store and the
 * audit log can refuse to be called from one ({@link #assertOffLoop}). A disk sync, a database
 * call or a signature on an event loop stalls every connection that loop serves.
 *
 * <p>The check is on when the system property {@code liaison.assertOffLoop} is {@code true} (the
 * test suite sets it): a blocking call put back on an event loop then fails the tests. In
 * production it costs one property read at class load.
 */
public final class EventLoops {
    private static final boolean ASSERT = Boolean.getBoolean("liaison.assertOffLoop");

    private EventLoops() {}

    /** A marker for event-loop threads. */
    private static final class LoopThread extends FastThreadLocalThread {
        LoopThread(ThreadGroup group, Runnable r, String name) {
            super(group, r, name);
        }
    }

    /** An NIO event loop group of {@code threads} threads (0: Netty's default) named {@code liaison-NAME-…}. */
    public static EventLoopGroup group(String name, int threads) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("liaison-" + name, true) {
            @Override
            protected Thread newThread(Runnable r, String threadName) {
                return new LoopThread(threadGroup, r, threadName);
            }
        }, NioIoHandler.newFactory());
    }

    /** Whether the current thread is one of the node's event loops. */
    public static boolean onLoop() {
        return Thread.currentThread() instanceof LoopThread;
    }

    /**
     * Fails (when the check is on) if called on an event loop.
     *
     * @param what the blocking work, for the message
     */
    public static void assertOffLoop(String what) {
        if (ASSERT && onLoop()) {
            throw new IllegalStateException(what + " on event loop " + Thread.currentThread().getName()
                    + ": blocking work belongs on a worker pool");
        }
    }
}
