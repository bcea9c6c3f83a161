package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.net.NodeRuntime;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.gateway.store.MessageStore;

/**
 * The overdue-request gauges (issue 26): a metrics scrape reads the last count and never counts itself (at a
 * million messages held a count read ~200,000 rows per scrape); the count, made on its own thread, follows the
 * node's clock past a respond-by date and the answers that settle a request. On SQLite and on PostgreSQL.
 */
class OverdueGaugeTest {
    @TempDir
    Path dir;

    /** The system's executors, except the overdue counter's: its tasks wait in a queue until the test runs them. */
    static final class QueuedCounter implements NodeRuntime.Factory {
        final Queue queue = new Queue();

        @Override
        public ExecutorService pool(NodeRuntime.Kind kind, String name) {
            return NodeRuntime.SYSTEM.pool(kind, name);
        }

        @Override
        public ScheduledExecutorService scheduler(String threadName) {
            return threadName.equals("liaison-overdue") ? queue : NodeRuntime.SYSTEM.scheduler(threadName);
        }
    }

    /** An executor that holds what it is given until {@link #runAll()}. */
    static final class Queue extends AbstractExecutorService implements ScheduledExecutorService {
        private final Deque<Runnable> tasks = new ArrayDeque<>();
        private volatile boolean shut;

        synchronized int size() {
            return tasks.size();
        }

        void runAll() {
            while (true) {
                Runnable r;
                synchronized (this) {
                    r = tasks.poll();
                }
                if (r == null) {
                    return;
                }
                r.run();
            }
        }

        @Override
        public synchronized void execute(Runnable command) {
            if (shut) {
                throw new java.util.concurrent.RejectedExecutionException("shut down");
            }
            tasks.add(command);
        }

        @Override
        public void shutdown() {
            shut = true;
        }

        @Override
        public synchronized List<Runnable> shutdownNow() {
            shut = true;
            List<Runnable> left = List.copyOf(tasks);
            tasks.clear();
            return left;
        }

        @Override
        public boolean isShutdown() {
            return shut;
        }

        @Override
        public boolean isTerminated() {
            return shut;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return shut;
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException("the overdue counter only executes");
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException("the overdue counter only executes");
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            throw new UnsupportedOperationException("the overdue counter only executes");
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            throw new UnsupportedOperationException("the overdue counter only executes");
        }
    }

    private static double gauge(GatewayNode node, String side) {
        return DeadlineTest.overdueMetric(node, side);
    }

    @Test
    void aScrapeReadsTheLastCountWhichFollowsTheClockAndTheAnswersOnSqlite() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        check(t.config(TestNodes.AL));
    }

    @Test
    void aScrapeReadsTheLastCountWhichFollowsTheClockAndTheAnswersOnPostgresql() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        check(TestCluster.configure(t.federation, TestNodes.AL, 1, db).configs().get(0));
    }

    private void check(Path config) throws Exception {
        TestClock clock = new TestClock();
        QueuedCounter executors = new QueuedCounter();
        Queue counter = executors.queue;
        try (GatewayNode al = GatewayNode.open(config, new MemoryAuditLog(), TestNodes.FAST.toBuilder().clock(clock)
                .executors(executors).build())) {
            Instant now = clock.instant();
            UUID soon = UUID.randomUUID();
            UUID later = UUID.randomUUID();
            for (UUID id : List.of(soon, later, UUID.randomUUID())) {
                Instant respondBy = id.equals(soon) ? now.plus(Duration.ofHours(1)) : id.equals(later) ? now.plus(Duration.ofDays(3)) : null;
                al.store().inbox().storeReceived(new MessageStore.Received(TestNodes.IT, id, now, new byte[] {1}, "00", new byte[] {2},
                        dir.resolve("b" + id), null, "OP-1", new MessageStore.Listing("mla-request", "official", List.of(), 1, 1,
                                respondBy, null, UUID.randomUUID(), null)));
            }
            UUID asked = UUID.randomUUID();
            al.store().sent().storeOutgoing(new MessageStore.Outgoing(asked, now, now.plus(Duration.ofDays(30)), new byte[] {1}, null,
                    dir.resolve("o"), "p", "e", "me", now.plus(Duration.ofHours(2)), "OP-1",
                    new MessageStore.Sealed("mla-request", "[IT-DNA]", UUID.randomUUID(), null)), List.of(TestNodes.IT), now);

            assertThat(gauge(al, "received")).as("no count yet").isNaN();
            assertThat(counter.size()).as("one count asked for, whatever the scrapes").isEqualTo(1);
            gauge(al, "sent");
            assertThat(counter.size()).isEqualTo(1);
            counter.runAll();
            assertThat(gauge(al, "received")).isEqualTo(0.0);
            assertThat(gauge(al, "sent")).isEqualTo(0.0);
            assertThat(counter.size()).as("a count made just now is not due").isZero();

            // The clock passes the first respond-by: the scrape shows the last count and asks for a new one.
            clock.advance(Duration.ofMinutes(61));
            assertThat(gauge(al, "received")).as("a scrape does not count").isEqualTo(0.0);
            assertThat(counter.size()).isEqualTo(1);
            counter.runAll();
            assertThat(gauge(al, "received")).isEqualTo(1.0);
            assertThat(gauge(al, "sent")).isEqualTo(0.0);

            clock.advance(Duration.ofMinutes(60)); // the request sent from here passes its date too
            gauge(al, "sent");
            counter.runAll();
            assertThat(gauge(al, "sent")).isEqualTo(1.0);
            assertThat(gauge(al, "received")).isEqualTo(1.0);

            // A reply sealed here settles the received request: counted again at the next scrape, the clock unmoved.
            al.store().sent().storeOutgoing(new MessageStore.Outgoing(UUID.randomUUID(), clock.instant(), now.plus(Duration.ofDays(30)),
                    new byte[] {1}, null, dir.resolve("o2"), "p", "e", "me", null, "OP-1",
                    new MessageStore.Sealed("mla-response", "[IT-DNA]", UUID.randomUUID(), soon)), List.of(TestNodes.IT), clock.instant());
            al.sealedReply(soon);
            assertThat(gauge(al, "received")).isEqualTo(1.0);
            counter.runAll();
            assertThat(gauge(al, "received")).isEqualTo(0.0);
            assertThat(gauge(al, "sent")).isEqualTo(1.0);
            assertThat(al.store().inbox().overdue(clock.instant())).isZero();
            assertThat(al.store().sent().overdue(clock.instant())).isEqualTo(1);
        }
    }
}
