package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.gateway.store.MessageStore;

/**
 * PostgreSQL's delivery counts are appended to by every change of a delivery's state and folded by a read; a node
 * nobody scrapes folds them from its periodic work, so the table stays a few rows, not one per change ever made.
 */
class DeliveryCountsFoldTest {
    @TempDir
    Path dir;

    private static long rows(LocalPostgres.Database db) {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement st = c.createStatement();
                ResultSet r = st.executeQuery("SELECT COUNT(*) FROM delivery_counts")) {
            r.next();
            return r.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aNodeNobodyScrapesFoldsItsDeliveryCounts() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        Path config = TestCluster.configure(t.federation, TestNodes.AL, 1, db).configs().get(0);
        try (GatewayNode al = GatewayNode.start(config, new MemoryAuditLog(), TestNodes.FAST)) {
            Instant now = Instant.now();
            for (int i = 0; i < 100; i++) { // a row of counts each (Italy is not up: their deliveries change state again)
                UUID id = UUID.randomUUID();
                al.store().sent().storeOutgoing(new MessageStore.Outgoing(id, now, now.plus(Duration.ofDays(30)), new byte[] {1}, null,
                        dir.resolve("o" + id), "p", "e", "me"), List.of(TestNodes.IT), now);
            }
            // No scrape: the node's reload tick (every 300 ms here) reads the counts, which folds them (above 64 rows).
            TestNodes.await("the counts folded", Duration.ofSeconds(20), () -> rows(db) <= 64);
            assertThat(al.store().deliveries().countByState().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(100);
        }
    }
}
