package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;

/**
 * Deadlines travel in the signed manifest: the recipient's inbox puts what is owed first (overdue,
 * then urgent, then by date), flags and filters overdue requests, counts them in a metric, and a
 * reply sealed there settles one. Consular notifications are urgent by default.
 */
class DeadlineTest {
    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String submit(Path profile, Path file, String... more) {
        List<String> args = new ArrayList<>(List.of("--profile", profile.toString(), "submit", "--to", "AL-PP", "--case", "OP-DUE",
                "--legal-basis", "UNTOC art. 18", "--new"));
        args.addAll(List.of(more));
        if (!args.contains("--service")) {
            args.addAll(List.of("--service", "mla-request"));
        }
        args.add(file.toString());
        BackupRestoreTest.Run r = BackupRestoreTest.cli(args.toArray(new String[0]));
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    private static double overdueMetric(GatewayNode node) {
        return overdueMetric(node, "received");
    }

    /** The {@code liaison_requests_overdue} gauge of {@code side} ("received" or "sent") in a scrape of the node's metrics. */
    static double overdueMetric(GatewayNode node, String side) {
        String series = "liaison_requests_overdue{side=\"" + side + "\"} ";
        for (String line : node.metrics().scrape().split("\n")) {
            if (line.startsWith(series)) {
                return Double.parseDouble(line.substring(series.length()).trim());
            }
        }
        throw new AssertionError("no " + series);
    }

    @Test
    void whatIsOwedComesFirstAndAnOverdueRequestIsFlaggedUntilItIsAnswered() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path al = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "please send the records");
        MemoryAuditLog itAudit = new MemoryAuditLog();
        // Both nodes keep time by one test clock: the test moves it past a deadline instead of waiting for one.
        TestClock clock = new TestClock();
        GatewayNode.Tuning tuning = TestNodes.FAST.toBuilder().clock(clock).build();
        try (GatewayNode itNode = GatewayNode.start(t.config(IT), itAudit, tuning);
                GatewayNode alNode = GatewayNode.start(t.config(AL), new MemoryAuditLog(), tuning)) {
            // Refused before anything is sent: a deadline in the past, or not a date.
            BackupRestoreTest.Run past = BackupRestoreTest.cli("--profile", it.toString(), "submit", "--to", "AL-PP", "--service",
                    "mla-request", "--case", "OP-DUE", "--legal-basis", "UNTOC art. 18", "--respond-by", "2020-01-01", file.toString());
            assertThat(past.code()).isNotZero();
            assertThat(past.err()).contains("not in the future");

            String plain = submit(it, file);
            String later = submit(it, file, "--respond-by", "P14D", "--urgency", "urgent");
            String consular = submit(it, file, "--service", "consular-notification");
            String soon = submit(it, file, "--respond-by", "PT1H");
            TestNodes.await("four deliveries", Duration.ofSeconds(20), () -> alNode.store().inbox().all().size() == 4);
            // The gauge shows the last count, made off the scrape (see OverdueCounts): awaited, not read at once.
            TestNodes.await("nothing overdue yet", Duration.ofSeconds(20), () -> overdueMetric(alNode) == 0.0);
            clock.advance(Duration.ofMinutes(61));
            TestNodes.await("one overdue", Duration.ofSeconds(20), () -> overdueMetric(alNode) == 1.0);

            JsonNode inbox = JsonLines.of(BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--json").out());
            List<String> order = new ArrayList<>();
            inbox.forEach(m -> order.add(m.path("messageId").asText()));
            assertThat(order.get(0)).isEqualTo(soon);
            assertThat(order.subList(1, 3)).containsExactlyInAnyOrder(later, consular);
            assertThat(order.get(3)).isEqualTo(plain);
            assertThat(inbox.get(0).path("overdue").asBoolean()).isTrue();
            JsonNode c = inbox.get(order.indexOf(consular));
            assertThat(c.path("urgency").asText()).isEqualTo("urgent");
            assertThat(c.has("respondBy")).isFalse();

            BackupRestoreTest.Run overdue = BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--overdue");
            assertThat(overdue.out()).contains(soon).contains("OVERDUE").doesNotContain(later).doesNotContain(plain);
            assertThat(overdueMetric(alNode)).isEqualTo(1.0);

            // Italy sees it too, audits the passed deadline once, and counts it.
            TestNodes.await("Italy's audit of the passed deadline", Duration.ofSeconds(20), () -> itAudit.events().stream()
                    .anyMatch(e -> e.type().equals("deadline-passed") && soon.equals(e.messageId())));
            BackupRestoreTest.Run sentOverdue = BackupRestoreTest.cli("--profile", it.toString(), "status", "--overdue");
            assertThat(sentOverdue.out()).contains(soon).contains("OVERDUE").doesNotContain(later);
            TestNodes.await("one overdue at Italy", Duration.ofSeconds(20), () -> overdueMetric(itNode, "sent") == 1.0);

            // Albania answers: settled.
            BackupRestoreTest.Run reply = BackupRestoreTest.cli("--profile", al.toString(), "submit", "--in-reply-to", soon, "--to", "IT-DNA",
                    "--service", "mla-response", "--case", "OP-DUE", "--legal-basis", "UNTOC art. 18", file.toString());
            assertThat(reply.code()).as(reply.err()).isZero();
            JsonNode after = JsonLines.of(BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--json").out());
            after.forEach(m -> {
                if (m.path("messageId").asText().equals(soon)) {
                    assertThat(m.path("overdue").asBoolean()).isFalse();
                    assertThat(m.path("answered").asBoolean()).isTrue();
                }
            });
            assertThat(BackupRestoreTest.cli("--profile", al.toString(), "inbox", "--overdue").out()).contains("No request is overdue");
            TestNodes.await("settled", Duration.ofSeconds(20), () -> overdueMetric(alNode) == 0.0);
            // The reply reaches Italy: settled there as well, and the deadline was audited only once.
            TestNodes.await("the reply at Italy", Duration.ofSeconds(20), () -> overdueMetric(itNode, "sent") == 0.0);
            assertThat(BackupRestoreTest.cli("--profile", it.toString(), "status", soon).out()).contains("(answered)");
            assertThat(itAudit.events()).filteredOn(e -> e.type().equals("deadline-passed")).hasSize(1);
        }
    }
}
