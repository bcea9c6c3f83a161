package org.liaison.gateway.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;

/**
 * Direct I/O ({@code O_DIRECT}) for large payload files, which are written once and read once:
 * past the page cache, whose fresh pages cost these virtual machines about 2 ns of kernel CPU per
 * byte (a 1 GiB {@code dd}: 2.5 s of system time buffered, 0.10 s with {@code oflag=direct}).
 * Buffers, file positions and lengths must then be multiples of the file system's block size
 * ({@link #alignment}). A file system that refuses direct I/O gets buffered I/O, logged once;
 * {@code -Dliaison.directIo=false} turns it off.
 */
public final class DirectIo {
    /** Files at least this large are read and written with direct I/O. */
    public static final long FROM = 4L << 20;
    /** The largest block size direct I/O is used with. */
    public static final int MAX_ALIGNMENT = 64 << 10;
    private static final boolean ALLOWED = !"false".equals(System.getProperty("liaison.directIo"));
    private static volatile boolean refusalLogged;

    private DirectIo() {}

    /**
     * Files holding 1 MiB buffers at once, at most (two each: one filled or read while the other goes to or
     * comes from the disk; about 68 MiB of direct memory in all): a member that opens many transfers, or a
     * user many fetches, cannot exhaust direct memory; beyond it a file gets one 64 KiB buffer.
     */
    public static final int MAX_LARGE = 32;
    private static final java.util.concurrent.Semaphore LARGE = new java.util.concurrent.Semaphore(MAX_LARGE);

    /** Takes one of the {@link #MAX_LARGE} large buffers, if one is free. */
    static boolean reserveLarge() {
        return LARGE.tryAcquire();
    }

    static void releaseLarge() {
        LARGE.release();
    }

    private static final java.util.concurrent.ExecutorService IO = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "liaison-file-io");
        t.setDaemon(true);
        return t;
    });

    /** Where blocks are read ahead (one read in flight per file at most; idle threads end after a minute). */
    public static java.util.concurrent.Executor io() {
        return IO;
    }

    /** A read or write of a block, run in the background. */
    @FunctionalInterface
    interface Step {
        void run() throws IOException;
    }

    /** Runs {@code step} on {@link #io} (a block read ahead or written behind); its IOException fails the future. */
    static java.util.concurrent.CompletableFuture<Void> inBackground(Step step) {
        return java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                step.run();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, IO);
    }

    /** The IOException behind a background step's failure, as {@code get} or {@code join} wrapped it. */
    static IOException failure(Throwable wrapped, String what) {
        Throwable c = wrapped.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : wrapped.getCause();
        return c instanceof IOException io ? io : new IOException(what, c);
    }

    /**
     * The alignment direct I/O on {@code file} needs (its file system's block size, at least 4 KiB),
     * or 0 when direct I/O is not to be used for a file of {@code size} bytes there.
     */
    public static int alignment(Path file, long size) {
        if (!ALLOWED || size < FROM) {
            return 0;
        }
        try {
            long b = Math.max(4096, Files.getFileStore(file.toAbsolutePath().getParent()).getBlockSize());
            return b <= MAX_ALIGNMENT && Long.bitCount(b) == 1 ? (int) b : 0;
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }

    /**
     * {@code count} buffers of {@code capacity} bytes each, aligned to {@code align} (1: no alignment),
     * carved from one pooled direct buffer, which the caller releases when done: reused memory, and no
     * copy through a temporary direct buffer at each read or write.
     */
    public static io.netty.buffer.ByteBuf buffers(int count, int capacity, int align, ByteBuffer[] into) {
        int each = capacity + MAX_ALIGNMENT;
        io.netty.buffer.ByteBuf pooled = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(count * each, count * each);
        for (int i = 0; i < count; i++) {
            ByteBuffer whole = pooled.nioBuffer(i * each, each);
            into[i] = (align > 1 ? whole.alignedSlice(align) : whole).limit(capacity).slice();
        }
        return pooled;
    }

    /** Opens {@code file} for direct I/O with {@code options}, or returns null (logged once) when that is refused. */
    public static FileChannel open(Path file, OpenOption... options) {
        List<OpenOption> o = new ArrayList<>(List.of(options));
        o.add(com.sun.nio.file.ExtendedOpenOption.DIRECT);
        try {
            return FileChannel.open(file, o.toArray(new OpenOption[0]));
        } catch (IOException | UnsupportedOperationException e) {
            refused(file, e);
            return null;
        }
    }

    /** A file opened for reading: {@code align} is its block size when direct, 0 when buffered. */
    public record Reading(FileChannel channel, int align) {}

    /** Opens a file of {@code size} bytes for reading: direct when it is large and its file system allows, else buffered. */
    public static Reading openForReading(Path file, long size) throws IOException {
        int align = alignment(file, size);
        FileChannel direct = align > 0 ? open(file, StandardOpenOption.READ) : null;
        return direct != null ? new Reading(direct, align) : new Reading(FileChannel.open(file, StandardOpenOption.READ), 0);
    }

    /**
     * Direct I/O failed at the first read or write of {@code file} (an unexpected alignment, a file
     * system that fails it): closes {@code refused} and returns the file opened buffered with {@code options}.
     */
    public static FileChannel reopenBuffered(Path file, FileChannel refused, IOException why, OpenOption... options) throws IOException {
        refused(file, why);
        refused.close();
        return FileChannel.open(file, options);
    }

    /** Direct I/O failed on {@code file}: the caller goes on buffered; the first such refusal is logged. */
    public static void refused(Path file, Exception e) {
        if (!refusalLogged) {
            refusalLogged = true;
            LogManager.getLogger(DirectIo.class).warn("direct I/O refused on the file system of {} ({}): payload files go"
                    + " through the page cache", file.getParent(), e.toString());
        }
    }
}
