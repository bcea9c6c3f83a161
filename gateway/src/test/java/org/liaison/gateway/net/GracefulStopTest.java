package org.liaison.gateway.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A node's scheduler stops before the store it uses closes: the task running ends uninterrupted (its outcome
 * recorded), no queued, delayed or periodic task starts after the stop, and a task that does not end within
 * the bound is interrupted.
 */
class GracefulStopTest {
    @Test
    void theTaskRunningEndsUninterruptedAndNoOtherStarts() throws Exception {
        ScheduledExecutorService s = NodeRuntime.SYSTEM.scheduler("graceful-test");
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean finished = new AtomicBoolean();
        AtomicInteger later = new AtomicInteger();
        s.execute(() -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
            finished.set(true);
        });
        s.execute(later::incrementAndGet); // queued behind it
        s.schedule(later::incrementAndGet, 1, TimeUnit.MILLISECONDS);
        s.scheduleWithFixedDelay(later::incrementAndGet, 1, 1, TimeUnit.MILLISECONDS);
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        Thread stopper = new Thread(() -> GracefulStop.stop(s, "test", Duration.ofSeconds(30)));
        stopper.start();
        TimeUnit.MILLISECONDS.sleep(50); // the stop is waiting (no timing asserted: only that it does not return early)
        assertThat(s.isShutdown()).isTrue();
        assertThat(stopper.isAlive()).as("the stop waits for the task in flight").isTrue();
        release.countDown();
        stopper.join(10_000);

        assertThat(stopper.isAlive()).isFalse();
        assertThat(s.isTerminated()).isTrue();
        assertThat(finished).isTrue();
        assertThat(interrupted).as("not interrupted").isFalse();
        assertThat(later).as("nothing queued ran after the stop").hasValue(0);
    }

    @Test
    void aTaskThatOutlivesTheBoundIsInterrupted() throws Exception {
        ScheduledExecutorService s = NodeRuntime.SYSTEM.scheduler("graceful-test");
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        s.execute(() -> {
            running.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(GracefulStop.stop(s, "test", Duration.ofMillis(100))).isFalse();
        assertThat(interrupted).isTrue();
        assertThat(s.isTerminated()).isTrue();
    }
}
