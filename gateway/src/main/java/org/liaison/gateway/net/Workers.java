package org.liaison.gateway.net;

import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.apache.logging.log4j.LogManager;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** The pools where a server's handlers do what must not run on an event loop: fsyncs, store commits, signatures. */
public final class Workers {
    private Workers() {}

    /** A fixed pool of daemon threads named {@code liaison-NAME}, one per core (at least two). */
    public static ExecutorService pool(String name) {
        return Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "liaison-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Blocking work that may fail with a refusal or anything else. */
    public interface Work<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code work} on {@code pool} with the channel's reading paused, then calls {@code done}
     * back on the channel's event loop with the result or the refusal: the work's own
     * ProtocolException, INTERNAL ("the node could not {@code what}", logged) for anything else,
     * UNAVAILABLE when the pool is stopping. Reading resumes after a success; after a refusal the
     * caller answers and closes.
     */
    public static <T> void offLoop(ChannelHandlerContext ctx, Executor pool, String what, Work<T> work,
            BiConsumer<T, ProtocolException> done) {
        ctx.channel().config().setAutoRead(false);
        try {
            pool.execute(() -> {
                T result = null;
                ProtocolException refused = null;
                try {
                    result = work.run();
                } catch (ProtocolException e) {
                    refused = e;
                } catch (Exception e) {
                    refused = refusal(what, e);
                }
                T answer = result;
                ProtocolException failure = refused;
                ctx.executor().execute(() -> {
                    done.accept(answer, failure);
                    if (failure == null) {
                        ctx.channel().config().setAutoRead(true);
                    }
                });
            });
        } catch (RejectedExecutionException stopping) {
            done.accept(null, new ProtocolException(ErrorCode.UNAVAILABLE, "the node is stopping"));
        }
    }

    /**
     * The refusal for a failure that is not the caller's fault: STORAGE_FULL (retryable; one ERROR
     * line, no stack trace) when the disk is full, else INTERNAL (logged with its trace).
     */
    public static ProtocolException refusal(String what, Exception e) {
        if (StorageFull.causedBy(e)) {
            LogManager.getLogger(Workers.class).error("STORAGE FULL: could not {}: {} (free space in the data folder; the node"
                    + " takes work again by itself)", what, e.getMessage());
            return new ProtocolException(ErrorCode.STORAGE_FULL, "the node's storage is full, so nothing was accepted; try again later");
        }
        LogManager.getLogger(Workers.class).error("could not {}", what, e);
        return new ProtocolException(ErrorCode.INTERNAL, "the node could not " + what);
    }

    /** Runs {@code work} on {@code pool}, logging (not throwing) a failure or a pool that is stopping. */
    public static void quietly(Executor pool, Runnable work, String what) {
        Runnable logged = () -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                LogManager.getLogger(Workers.class).error("could not {}: {}", what, e.getMessage());
            }
        };
        try {
            pool.execute(logged);
        } catch (RejectedExecutionException stopping) {
            logged.run(); // stopping: do it here rather than lose it
        }
    }

    /** Lets the work in hand finish (up to {@code seconds}), so that nothing accepted is cut off before the store closes. */
    public static void drain(ExecutorService pool, int seconds) {
        pool.shutdown();
        try {
            pool.awaitTermination(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
