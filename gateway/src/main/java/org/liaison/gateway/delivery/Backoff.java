package org.liaison.gateway.delivery;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter: base·2^(attempt-1), capped, times a random factor in [0.5, 1.5). */
public record Backoff(Duration base, Duration max) {
    public Backoff {
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff: base " + base + ", max " + max + " (expected: 0 < base <= max)");
        }
    }

    public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(2), Duration.ofMinutes(10));

    public Duration delay(int attempt) {
        long exp = Math.min(30, Math.max(0, attempt - 1));
        long millis = Math.min(max.toMillis(), base.toMillis() << exp);
        return Duration.ofMillis((long) (millis * (0.5 + ThreadLocalRandom.current().nextDouble())));
    }
}
