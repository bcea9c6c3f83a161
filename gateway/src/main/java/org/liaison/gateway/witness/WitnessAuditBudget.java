package org.liaison.gateway.witness;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * How much of what a witness is shown goes into its audit log. Anyone holding a log's key can sign as
 * many conflicting checkpoints as it likes; recording each in full would let one member grow the
 * witness's own log without bound. So, per witnessed log and per {@link #WINDOW}: the first fork of
 * each size is recorded in full (both checkpoints), up to {@link #FORK_SIZES} sizes; the first
 * {@link #REFUSALS} refusals of each status are recorded. The rest are counted (a metric, and one
 * summary entry when the window closes, see {@link #closed}) and answered exactly as the recorded
 * ones. Memory: one window per witnessed log (the directory bounds them). Thread-safe.
 */
final class WitnessAuditBudget {
    static final Duration WINDOW = Duration.ofHours(1);
    /** Sizes whose first fork is recorded in full, per log and window. */
    static final int FORK_SIZES = 4;
    /** Refusals recorded per log, status and window. */
    static final int REFUSALS = 16;

    /** What a window of one log did not record: forks and refusals counted only. */
    record Unrecorded(String origin, Instant from, Instant to, long forks, long refusals) {}

    private static final class Window {
        final Instant start;
        final Set<Long> forkSizes = new HashSet<>();
        final Map<Integer, Integer> refusals = new HashMap<>();
        long forksCounted;
        long refusalsCounted;

        Window(Instant start) {
            this.start = start;
        }
    }

    private final Clock clock;
    private final Map<String, Window> windows = new HashMap<>();

    WitnessAuditBudget(Clock clock) {
        this.clock = clock;
    }

    /** Whether this fork of {@code origin} at {@code size} is recorded in full (else: counted). */
    synchronized boolean fork(String origin, long size) {
        Window w = current(origin);
        if (w.forkSizes.contains(size) || w.forkSizes.size() >= FORK_SIZES) {
            w.forksCounted++;
            return false;
        }
        w.forkSizes.add(size);
        return true;
    }

    /** Whether this refusal ({@code status}) of a checkpoint of {@code origin} is recorded (else: counted). */
    synchronized boolean refusal(String origin, int status) {
        Window w = current(origin);
        int n = w.refusals.merge(status, 1, Integer::sum);
        if (n > REFUSALS) {
            w.refusalsCounted++;
            return false;
        }
        return true;
    }

    /**
     * The window of {@code origin} that ended before now, if it left anything unrecorded (taken: reported
     * once). The caller records it as one summary entry.
     */
    synchronized Unrecorded closed(String origin) {
        Window w = windows.get(origin);
        if (w == null || clock.instant().isBefore(w.start.plus(WINDOW))) {
            return null;
        }
        windows.remove(origin);
        return w.forksCounted + w.refusalsCounted == 0 ? null
                : new Unrecorded(origin, w.start, w.start.plus(WINDOW), w.forksCounted, w.refusalsCounted);
    }

    private Window current(String origin) {
        Instant now = clock.instant();
        Window w = windows.get(origin);
        if (w == null || !now.isBefore(w.start.plus(WINDOW))) {
            w = new Window(now);
            windows.put(origin, w);
        }
        return w;
    }
}
