package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link GroupCommit}: appends that queue while a transaction is written go in the next one, together, in order. */
class GroupCommitTest {
    @Test
    void appendsQueuedDuringATransactionAreWrittenTogetherInTheNext() throws Exception {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<List<String>> transactions = new ArrayList<>();
        long[] next = {0};
        GroupCommit<String> g = new GroupCommit<>(100, items -> {
            synchronized (transactions) {
                transactions.add(List.copyOf(items));
            }
            firstStarted.countDown();
            try {
                release.await(10, TimeUnit.SECONDS); // the first transaction is slow
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            long first = next[0];
            next[0] += items.size();
            return first;
        });
        ExecutorService pool = Executors.newFixedThreadPool(11);
        try {
            Future<Long> first = pool.submit(() -> g.append("a"));
            assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<Long>> later = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String item = "b" + i;
                later.add(pool.submit(() -> g.append(item)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (g.queued() < 10 && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // waits for the ten to queue behind the first transaction
            }
            assertThat(g.queued()).isEqualTo(10);
            release.countDown();
            assertThat(first.get()).isZero();
            List<Long> indexes = new ArrayList<>();
            for (Future<Long> f : later) {
                indexes.add(f.get());
            }
            assertThat(transactions).hasSize(2);
            assertThat(transactions.get(0)).containsExactly("a");
            assertThat(transactions.get(1)).hasSize(10);
            // Each caller got the index of its own item in the transaction.
            for (int i = 0; i < 10; i++) {
                assertThat(indexes.get(i)).isEqualTo(1 + transactions.get(1).indexOf("b" + i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedTransactionFailsEachOfItsAppendsAndTheNextOneIsWritten() throws Exception {
        boolean[] fail = {true};
        GroupCommit<String> g = new GroupCommit<>(4, items -> {
            if (fail[0]) {
                throw new SQLException("the database is gone");
            }
            return 7;
        });
        assertThatThrownBy(() -> g.append("x")).isInstanceOf(SQLException.class).hasMessageContaining("the database is gone");
        fail[0] = false;
        assertThat(g.append("y")).isEqualTo(7);
        assertThat(g.queued()).isZero();
    }
}
