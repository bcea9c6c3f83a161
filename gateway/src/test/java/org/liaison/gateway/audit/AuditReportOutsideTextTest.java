package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.liaison.cli.audit.AuditReport;
import org.liaison.cli.audit.AuditStats;
import org.liaison.protocol.UntrustedText;

/** A peer's service name and a refusal's text with controls and a bidi override: the HTML report shows them inert. */
class AuditReportOutsideTextTest {
    @Test
    void theHtmlReportShowsControlsBidiAndSeparatorsAsVisibleEscapes() throws Exception {
        Instant t = Instant.parse("2026-11-02T10:00:00Z");
        String service = "mla\u001b[2J\u202erequest\u2028";
        List<byte[]> raw = List.of(
                FileAuditLog.entryBytes(0, new AuditEvent(t, "receive", "AL-PP", "m1", "IT\u009bDNA", "ok", null, Map.of("service", service))),
                FileAuditLog.entryBytes(1, new AuditEvent(t, "reject", "IT-DNA", null, "IT-DNA", "refused",
                        "LIAISON:0001 unknown request GET /\u001b[H\u2066", Map.of())));
        // The entries keep the exact text.
        assertThat(AuditEntries.parseAll(raw).get(0).detail("service")).isEqualTo(service);
        AuditStats.Report r = AuditStats.compute(AuditEntries.parseAll(raw), AuditStats.Period.MONTH);
        String html = AuditReport.html("liaison/AL-PP", new AuditLogVerifier.Report(2, 1, 1,
                List.of("entry 1: \u001b]0;owned\u0007 \u202eKO")), r, t);
        assertThat(html.chars().filter(c -> c != '\n' && UntrustedText.isUnsafe(c)).mapToObj(c -> String.format("U+%04X", c)))
                .as(html).isEmpty();
        assertThat(html).contains("mla\\x1b[2J\\u202Erequest\\u2028").contains("IT\\x9bDNA").contains("entry 1: \\x1b]0;owned\\x07 \\u202EKO");
    }
}
