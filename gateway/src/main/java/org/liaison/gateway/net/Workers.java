package org.liaison.gateway.net;

import java.util.concurrent.ExecutorService;
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
