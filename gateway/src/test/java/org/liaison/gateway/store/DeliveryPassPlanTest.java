package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A delivery pass reads what it can start, not the backlog: SQLite's own query plans of the two
 * queries every pass runs. Before, the recipients with something due were a DISTINCT over every due
 * row (a dead peer's thousands of waiting deliveries read at each pass: 1–3.5 ms of CPU per pass with
 * 3,000 waiting, measured), and one recipient's due deliveries were all read and sorted to start a few.
 */
class DeliveryPassPlanTest {
    @TempDir
    Path dir;

    static List<String> plan(Connection c, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("EXPLAIN QUERY PLAN " + sql); ResultSet r = p.executeQuery()) {
            while (r.next()) {
                out.add(r.getString(4));
            }
        }
        return out;
    }

    @Test
    void theRecipientsWithSomethingDueAreFoundByIndexProbesNotByReadingTheDueRows() throws Exception {
        Path file = dir.resolve("messages.db");
        SqliteMessageStore.open(file).close(); // the schema, as a node has it
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            List<String> plan = plan(c, SharedRows.RECIPIENTS_DUE);
            List<String> reads = plan.stream().filter(l -> l.startsWith("SEARCH") || l.startsWith("SCAN")).filter(l -> !l.equals("SCAN r"))
                    .toList();
            assertThat(reads).isNotEmpty().allSatisfy(l -> assertThat(l).contains("USING COVERING INDEX deliveries_due_by_recipient"));
            assertThat(reads).filteredOn(l -> !l.contains("(recipient")).hasSize(1); // the first MIN(recipient): one probe
            assertThat(plan).noneMatch(l -> l.contains("TEMP B-TREE"));
        }
    }

    @Test
    void aRecipientsDueDeliveriesAreReadInIndexOrderUpToTheLimit() throws Exception {
        Path file = dir.resolve("messages.db");
        SqliteMessageStore.open(file).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            List<String> plan = plan(c, SqliteMessageStore.DUE_FOR_RECIPIENT);
            List<String> reads = plan.stream().filter(l -> l.contains("deliveries")).toList();
            assertThat(reads).hasSize(2).allSatisfy(l -> assertThat(l)
                    .startsWith("SEARCH deliveries USING INDEX deliveries_due_by_recipient (recipient=? AND state=? AND next_attempt_at<?)"));
            // Sorting happens only after each part's LIMIT (the merge of two lists of at most `limit` rows), never
            // inside a part: the part itself comes out of the index in order.
            for (int i = 0; i < plan.size(); i++) {
                if (plan.get(i).contains("TEMP B-TREE")) {
                    assertThat(plan.get(i - 1)).matches("SCAN (queued|retrying)");
                }
            }
        }
    }
}
