package org.liaison.gateway.net;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * How a node's background executors stop before the client, the store and the audit log they use close: no
 * new task starts (queued, delayed and periodic ones are dropped), and the task running finishes — its
 * outcome reaches the store — within a bound. It is not interrupted first: an interrupt in the middle of a
 * write closes the file channel it writes (the audit log's), and the peer client turns it into a failed
 * attempt. Only a task still running after the bound is interrupted, and then waited for briefly.
 */
public final class GracefulStop {
    private static final Logger LOG = LogManager.getLogger(GracefulStop.class);
    /** How long a close waits for a task in flight: a notice's POST, a store count, a trust reload. */
    public static final Duration GRACE = Duration.ofSeconds(10);
    /** After the interrupt, how long the task gets to record its outcome. */
    static final Duration AFTER_INTERRUPT = Duration.ofSeconds(2);

    private GracefulStop() {}

    /**
     * A single-thread scheduler (daemon thread {@code threadName}) whose delayed and periodic tasks are dropped
     * at shutdown; {@link #stop} drops those already due too, and waits only for the task running.
     */
    public static ScheduledExecutorService scheduler(String threadName) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        s.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        return s;
    }

    /** Stops {@code executor} as {@link GracefulStop} says, waiting at most {@link #GRACE}. Whether it ended in time. */
    public static boolean stop(ExecutorService executor, String what) {
        return stop(executor, what, GRACE);
    }

    /** As {@link #stop(ExecutorService, String)}, waiting at most {@code grace}. */
    public static boolean stop(ExecutorService executor, String what, Duration grace) {
        executor.shutdown();
        if (executor instanceof ThreadPoolExecutor pool) {
            // Tasks queued but not started do not start (a shutdown alone runs those already due).
            for (Runnable queued : pool.getQueue().toArray(new Runnable[0])) {
                if (pool.remove(queued) && queued instanceof Future<?> f) {
                    f.cancel(false);
                }
            }
        }
        try {
            if (executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return true;
            }
            LOG.warn("{}: a task still runs after {} ms; interrupted", what, grace.toMillis());
            executor.shutdownNow();
            executor.awaitTermination(AFTER_INTERRUPT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        return false;
    }
}
