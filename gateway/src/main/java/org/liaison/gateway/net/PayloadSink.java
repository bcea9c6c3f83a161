package org.liaison.gateway.net;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the bytes of one streamed body are processed — a received message's payloads hashed and
 * written, an upload encrypted — on a worker, in order, so that the event loop only decrypts TLS and
 * decodes HTTP while the worker works on the bytes before (the two overlap). Memory is bounded: reading pauses while more than {@value #HIGH} bytes of this
 * message, or {@value #ALL_HIGH} of all messages, wait; it resumes once this message's queue is below
 * {@value #LOW}. Each pause follows a queued write, whose completion looks at resuming, so reading
 * never stays paused.
 */
public final class PayloadSink {
    public static final int HIGH = 1 << 20;
    public static final int LOW = 256 << 10;
    public static final long ALL_HIGH = 32L << 20;
    private static final AtomicLong ALL = new AtomicLong();

    /** What the sink asks of the connection. */
    public interface Flow {
        /** Stop reading (called on the event loop, right after a write was queued). */
        void pause();

        /** Read again (called from the worker). */
        void resume();

        /**
         * Pauses and resumes reading on a channel: the resume is done on its event loop, and only while
         * {@code stillWanted} (the request is still being read, not answered or paused for other work).
         */
        static Flow autoRead(io.netty.channel.ChannelHandlerContext ctx, java.util.function.BooleanSupplier stillWanted) {
            return new Flow() {
                @Override
                public void pause() {
                    ctx.channel().config().setAutoRead(false);
                }

                @Override
                public void resume() {
                    ctx.executor().execute(() -> {
                        if (stillWanted.getAsBoolean()) {
                            ctx.channel().config().setAutoRead(true);
                        }
                    });
                }
            };
        }
    }

    private final Executor pool;
    private final Flow flow;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicBoolean paused = new AtomicBoolean();

    public PayloadSink(Executor pool, Flow flow) {
        this.pool = pool;
        this.flow = flow;
    }

    /** Queues {@code task}, which consumes {@code bytes} bytes; pauses reading when too much waits. */
    public void write(int bytes, Runnable task) {
        queued.addAndGet(bytes);
        long all = ALL.addAndGet(bytes);
        execute(() -> {
            try {
                task.run();
            } finally {
                ALL.addAndGet(-bytes);
                if (queued.addAndGet(-bytes) < LOW && paused.compareAndSet(true, false)) {
                    flow.resume();
                }
            }
        });
        if ((queued.get() > HIGH || all > ALL_HIGH) && paused.compareAndSet(false, true)) {
            flow.pause();
        }
    }

    /**
     * Queues the bytes left in {@code data} (consumed now) for {@code task}, which gets them on the worker.
     * They wait in a pooled buffer, released once the task ran: reused memory rather than garbage.
     */
    public void write(java.nio.ByteBuffer data, java.util.function.Consumer<java.nio.ByteBuffer> task) {
        io.netty.buffer.ByteBuf copy = io.netty.buffer.PooledByteBufAllocator.DEFAULT.heapBuffer(data.remaining());
        copy.writeBytes(data);
        write(copy.readableBytes(), () -> {
            try {
                task.accept(copy.nioBuffer());
            } finally {
                copy.release();
            }
        });
    }

    /** Runs {@code task} after everything queued before it. */
    public void execute(Runnable task) {
        tasks.add(task);
        schedule();
    }

    /** Blocks until everything queued so far has run. */
    public void drain() throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        execute(done::countDown);
        done.await();
    }

    private void schedule() {
        if (running.compareAndSet(false, true)) {
            try {
                pool.execute(this::run);
            } catch (RejectedExecutionException stopping) {
                run(); // the node is stopping: here rather than never
            }
        }
    }

    private void run() {
        Runnable t;
        while ((t = tasks.poll()) != null) {
            try {
                t.run();
            } catch (RuntimeException e) {
                org.apache.logging.log4j.LogManager.getLogger(PayloadSink.class).error("a payload write failed unexpectedly", e);
            }
        }
        running.set(false);
        if (!tasks.isEmpty()) {
            schedule();
        }
    }
}
