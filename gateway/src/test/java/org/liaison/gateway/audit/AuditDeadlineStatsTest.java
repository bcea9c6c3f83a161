package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.liaison.cli.audit.AuditReport;
import org.liaison.cli.audit.AuditStats;

/** Deadlines met, counted from the log alone: a request's date is in its receive entry, the answer is the seal of a reply. */
class AuditDeadlineStatsTest {
    private static byte[] entry(long index, Instant at, String type, String id, Map<String, String> details) {
        return FileAuditLog.entryBytes(index, new AuditEvent(at, type, "AL-PP", id, "IT-DNA", "ok", null, details));
    }

    @Test
    void requestsAnsweredInTimeLateOrNotAtAllAreCountedPerPeriodOfReception() throws Exception {
        Instant t = Instant.parse("2026-11-02T10:00:00Z");
        List<byte[]> raw = new ArrayList<>();
        raw.add(entry(0, t, "receive", "m1", Map.of("service", "mla-request", "respondBy", t.plusSeconds(600).toString())));
        raw.add(entry(1, t, "receive", "m2", Map.of("service", "mla-request", "respondBy", t.plusSeconds(60).toString())));
        raw.add(entry(2, t, "receive", "m3", Map.of("service", "mla-request", "respondBy", t.plusSeconds(60).toString())));
        raw.add(entry(3, t, "receive", "m4", Map.of("service", "mla-request"))); // asked no date: not counted
        raw.add(entry(4, t.plusSeconds(300), "seal", "r1", Map.of("service", "mla-response", "inReplyTo", "m1")));
        raw.add(entry(5, t.plusSeconds(300), "seal", "r2", Map.of("service", "mla-response", "inReplyTo", "m2")));
        raw.add(entry(6, t.plusSeconds(400), "seal", "r2b", Map.of("service", "mla-response", "inReplyTo", "m2"))); // a second reply
        AuditStats.Report r = AuditStats.compute(AuditEntries.parseAll(raw), AuditStats.Period.MONTH);
        assertThat(r.deadlines()).containsExactly(new AuditStats.Deadlines("2026-11", 1, 1, 1));
        assertThat(r.responseTimesByService()).singleElement().satisfies(s -> {
            assertThat(s.service()).isEqualTo("mla-request");
            assertThat(s.count()).isEqualTo(3);
        });
        String html = AuditReport.html("liaison/AL-PP", new AuditLogVerifier.Report(7, 1, 7, List.of()), r, t);
        assertThat(html).contains("id=\"chart-deadlines\"").contains("answered in time").contains("not answered");
    }

    private static byte[] stage(long index, Instant at, String id, String stage, String reason, String notice) {
        return FileAuditLog.entryBytes(index, new AuditEvent(at, "stage", "AL-PP", id, "IT-DNA", stage, reason,
                Map.of("service", "mla-request", "notice", notice)));
    }

    @Test
    void declinedRequestsAreCountedByReasonAndDirection() throws Exception {
        Instant t = Instant.parse("2026-11-02T10:00:00Z");
        List<byte[]> raw = new ArrayList<>();
        raw.add(stage(0, t, "m1", "declined", "dual-criminality", "sent"));
        raw.add(stage(1, t, "m2", "declined", "dual-criminality", "sent"));
        raw.add(stage(2, t, "m3", "declined", "essential-interests", "received"));
        raw.add(stage(3, t, "m4", "acknowledged", null, "sent"));
        raw.add(stage(4, t, "m5", "opened", null, "received"));
        AuditStats.Report r = AuditStats.compute(AuditEntries.parseAll(raw), AuditStats.Period.MONTH);
        assertThat(r.declined()).containsExactly(new AuditStats.Declined("2026-11", "given", "dual-criminality", 2),
                new AuditStats.Declined("2026-11", "received", "essential-interests", 1));
        String html = AuditReport.html("liaison/AL-PP", new AuditLogVerifier.Report(5, 1, 5, List.of()), r, t);
        assertThat(html).contains("Requests declined, by reason").contains("dual-criminality").contains("by a recipient");
    }
}
