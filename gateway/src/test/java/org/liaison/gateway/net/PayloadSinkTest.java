package org.liaison.gateway.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PayloadSinkTest {
    @Test
    void writesRunInOrderReadingPausesAboveTheMarkAndResumesOnceDrained() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            AtomicInteger pauses = new AtomicInteger();
            AtomicInteger resumes = new AtomicInteger();
            PayloadSink sink = new PayloadSink(pool, new PayloadSink.Flow() {
                @Override
                public void pause() {
                    pauses.incrementAndGet();
                }

                @Override
                public void resume() {
                    resumes.incrementAndGet();
                }
            });
            CountDownLatch gate = new CountDownLatch(1);
            List<Integer> order = new CopyOnWriteArrayList<>();
            int chunk = 64 * 1024;
            // The first write blocks the worker: the queue grows past the mark and reading pauses once.
            sink.write(chunk, () -> {
                await(gate);
                order.add(0);
            });
            int n = PayloadSink.HIGH / chunk + 4;
            for (int i = 1; i <= n; i++) {
                int k = i;
                sink.write(chunk, () -> order.add(k));
            }
            assertThat(pauses.get()).isEqualTo(1);
            assertThat(resumes.get()).isZero();

            gate.countDown();
            sink.drain();

            assertThat(order).hasSize(n + 1).isSorted();
            assertThat(resumes.get()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static void await(CountDownLatch gate) {
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
