package org.liaison.gateway.node;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The overdue-request gauges ({@code liaison.requests.overdue}, received and sent), as a metrics scrape reads them:
 * the last count, never a count made by the scrape. Counting the overdue requests reads every one of them (at a
 * million messages held, some 200,000: 0.3 s typically, 5 s at worst per scrape), so a scrape only asks for a new
 * count, made on this class's own thread, when the last one is due: {@link #EVERY} old (by the system's ticker
 * or by the node's clock, which tests move), or when the node stored something that changes what is owed (a
 * request received, a reply sealed or received: {@link #changed()}). A scrape therefore costs the same whatever
 * the history, and the database counts at most once per {@link #EVERY} plus once per change that a scrape follows.
 * The value a scrape shows is at most one interval (and one count) old; NaN until the first count after start, or
 * when the last count failed (as a failing count showed before).
 */
public final class OverdueCounts {
    private static final Logger LOG = LogManager.getLogger(OverdueCounts.class);
    /** How old a count may be before a scrape asks for a new one. */
    public static final Duration EVERY = Duration.ofSeconds(10);

    /** Counts the requests overdue at an instant. */
    public interface Count {
        long at(Instant now);
    }

    private final Count received;
    private final Count sent;
    private final Clock clock;
    private final Executor executor;
    private final Duration every;
    private final LongSupplier ticker;
    /** Negative: no count (NaN). */
    private volatile long receivedCount = -1;
    private volatile long sentCount = -1;
    private volatile Instant countedAt;
    private volatile long countedTicks;
    private volatile boolean changed = true;
    private final AtomicBoolean counting = new AtomicBoolean();

    /** Counts on {@code executor} (one thread is enough: never two counts at once), at most every {@code every}. */
    public OverdueCounts(Count received, Count sent, Clock clock, Executor executor, Duration every, LongSupplier ticker) {
        this.received = received;
        this.sent = sent;
        this.clock = clock;
        this.executor = executor;
        this.every = every;
        this.ticker = ticker;
    }

    /** Received requests overdue at the last count (what this authority owes). */
    public double received() {
        refreshIfDue();
        long n = receivedCount;
        return n < 0 ? Double.NaN : n;
    }

    /** Sent requests overdue at the last count (what is owed to this authority). */
    public double sent() {
        refreshIfDue();
        long n = sentCount;
        return n < 0 ? Double.NaN : n;
    }

    /** Something that changes what is owed was stored: the next scrape asks for a new count. */
    public void changed() {
        changed = true;
    }

    /** Asks for a new count when the last one is due (see the class comment); returns at once. */
    public void refreshIfDue() {
        Instant at = countedAt;
        boolean due = changed || at == null || ticker.getAsLong() - countedTicks >= every.toNanos()
                || Duration.between(at, clock.instant()).abs().compareTo(every) >= 0;
        if (due && counting.compareAndSet(false, true)) {
            try {
                executor.execute(this::count);
            } catch (RejectedExecutionException stopping) {
                counting.set(false);
            }
        }
    }

    private void count() {
        try {
            changed = false; // a change stored while counting marks it again: counted next time
            Instant now = clock.instant();
            long r = received.at(now);
            long s = sent.at(now);
            receivedCount = r;
            sentCount = s;
            countedTicks = ticker.getAsLong();
            countedAt = now;
        } catch (RuntimeException e) {
            receivedCount = -1;
            sentCount = -1;
            changed = true;
            LOG.warn("cannot count the overdue requests: {}", e.toString());
        } finally {
            counting.set(false);
        }
    }
}
