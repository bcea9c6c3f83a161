package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overdue counts (what the overdue gauges' background count runs, see OverdueCounts) read the requests owed from a
 * partial index alone, on SQLite: the received ones from inbox_owed (urgent, owed_ms: set only while a request is owed),
 * the sent ones from outbox_owed_kept (not answered, not deleted), never a row of the table. Before, the sent count read
 * outbox_owed, which keeps deleted requests too, and read the row of each one to leave the deleted out. (PostgreSQL:
 * {@link PostgresListingPlanTest}.)
 */
class OverdueCountPlanTest {
    @TempDir
    Path dir;

    /** The statements Listings.overdue runs on {@code c}, captured. */
    private static List<String> statements(Connection real, boolean received) throws Exception {
        List<String> ran = new ArrayList<>();
        Connection c = (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, m, args) -> {
                    if (m.getName().equals("prepareStatement")) {
                        ran.add((String) args[0]);
                    }
                    try {
                        return m.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Listings.overdue(c, Instant.now(), received);
        return ran;
    }

    @Test
    void theOverdueCountsReadTheRequestsOwedFromAPartialIndexAlone() throws Exception {
        Path file = dir.resolve("messages.db");
        SqliteMessageStore.open(file).close(); // the schema, as a node has it
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            for (boolean received : new boolean[] {true, false}) {
                List<String> ran = statements(c, received);
                assertThat(ran).hasSize(1);
                List<String> plan = new ArrayList<>();
                try (PreparedStatement p = c.prepareStatement("EXPLAIN QUERY PLAN " + ran.get(0)); var r = p.executeQuery()) {
                    while (r.next()) {
                        plan.add(r.getString(4));
                    }
                }
                assertThat(plan).as(ran.get(0)).containsExactly(received
                        ? "SEARCH inbox USING COVERING INDEX inbox_owed (urgent=? AND owed_ms<?)"
                        : "SEARCH outbox USING COVERING INDEX outbox_owed_kept (respond_ms<?)");
            }
        }
    }
}
