package org.liaison.gateway.net;

import io.netty.channel.EventLoopGroup;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs work on one of a group's event loops, as a request's handler does (the suite runs with {@code liaison.assertOffLoop}). */
public final class OnLoop {
    private OnLoop() {}

    /** What {@code work} threw on the loop (null: nothing). */
    public static Throwable run(EventLoopGroup group, Runnable work) throws Exception {
        try {
            group.next().submit(work).get(10, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }
}
