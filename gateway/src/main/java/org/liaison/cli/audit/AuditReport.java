package org.liaison.cli.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.protocol.UntrustedText;

/**
 * The audit report a state can hand to its auditors ({@code liaison audit report}): one
 * self-contained HTML page — no script, no external resource (a Content-Security-Policy forbids
 * any), inline CSS and SVG charts drawn here — with the log's verification result and the
 * content-free figures of {@link AuditStats}: volumes per period and counterpart, delivery times
 * and times to answer, refusals by reason, packages carrying protection marks. Nothing in it names
 * a message, a case or a person.
 */
public final class AuditReport {
    private AuditReport() {}

    private static final String[] COLORS = {"#1f5f8b", "#d1822c", "#3b8f4a", "#8b3b6e", "#6b6b6b", "#b5a32a", "#2a9fb5", "#a33a3a"};

    public static String html(String logName, AuditLogVerifier.Report verification, AuditStats.Report stats, Instant generated) {
        StringBuilder h = new StringBuilder(32 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
                .append("<title>Audit report: ").append(esc(logName)).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}h1{font-size:1.5em}h2{font-size:1.2em;")
                .append("margin-top:2em;border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;")
                .append("padding:.2em .6em;text-align:left}td.n{text-align:right}.ok{background:#e3f4e3;border:1px solid #3b8f4a;padding:.6em}")
                .append(".bad{background:#f8e1e1;border:1px solid #a33a3a;padding:.6em}svg{display:block;margin:.5em 0}")
                .append(".note{color:#555;font-size:.9em}</style></head><body>\n");
        h.append("<h1>Audit report: ").append(esc(logName)).append("</h1>\n<p class=\"note\">Generated ").append(esc(generated.toString()))
                .append(" by liaison audit report. Periods are ").append(esc(stats.periodLength())).append("s, in UTC. Only counts and")
                .append(" durations: no message id, case or name.</p>\n");

        h.append("<h2>Verification</h2>\n");
        if (verification.valid()) {
            h.append("<p class=\"ok\" id=\"verification\">VALID: every entry re-hashed and every signed checkpoint checked; ")
                    .append(verification.entries()).append(" entries, ").append(verification.checkpoints())
                    .append(" signed checkpoints, the last covering ").append(verification.verifiedSize()).append(" entries.</p>\n");
        } else {
            h.append("<p class=\"bad\" id=\"verification\">INVALID: the figures below come from a log that does not verify.</p><ul>");
            verification.problems().forEach(p -> h.append("<li>").append(esc(p)).append("</li>"));
            h.append("</ul>\n");
        }

        // Volume per period and counterpart (sent and received together).
        Map<String, Map<String, Long>> volume = new TreeMap<>();
        Set<String> counterparts = new LinkedHashSet<>();
        for (List<AuditStats.Count> list : List.of(stats.sent(), stats.received())) {
            for (AuditStats.Count c : list) {
                volume.computeIfAbsent(c.period(), k -> new LinkedHashMap<>()).merge(c.counterpart(), c.count(), Long::sum);
                counterparts.add(c.counterpart());
            }
        }
        h.append("<h2>Volume per ").append(esc(stats.periodLength())).append(" and counterpart</h2>\n");
        List<String> periods = new ArrayList<>(volume.keySet());
        List<String> series = new ArrayList<>(counterparts);
        double[][] v = new double[series.size()][periods.size()];
        for (int p = 0; p < periods.size(); p++) {
            for (int s = 0; s < series.size(); s++) {
                v[s][p] = volume.get(periods.get(p)).getOrDefault(series.get(s), 0L);
            }
        }
        h.append(barChart("volume", periods, series, v, "messages"));
        table(h, List.of("Period", "Service", "Counterpart", "Sent"), stats.sent().stream()
                .map(c -> List.<Object>of(c.period(), c.service(), c.counterpart(), c.count())).toList());
        table(h, List.of("Period", "Service", "Counterpart", "Received"), stats.received().stream()
                .map(c -> List.<Object>of(c.period(), c.service(), c.counterpart(), c.count())).toList());

        h.append("<h2>Delivery time (sealed here to the recipient's signed receipt)</h2>\n");
        times(h, "delivery", stats.deliveryTimes());
        h.append("<h2>Time to answer (a request received to the reply sealed here)</h2>\n");
        times(h, "answer", stats.responseTimes());
        table(h, List.of("Service of the request", "Answers", "Median s", "90th percentile s"), stats.responseTimesByService().stream()
                .map(t -> List.<Object>of(t.service(), t.count(), seconds(t.medianSeconds()), seconds(t.p90Seconds()))).toList());
        h.append("<h2>Deadlines met (requests received here that asked for an answer by a date)</h2>\n");
        List<String> dPeriods = stats.deadlines().stream().map(AuditStats.Deadlines::period).toList();
        double[][] dv = new double[3][dPeriods.size()];
        for (int i = 0; i < dPeriods.size(); i++) {
            dv[0][i] = stats.deadlines().get(i).inTime();
            dv[1][i] = stats.deadlines().get(i).late();
            dv[2][i] = stats.deadlines().get(i).unanswered();
        }
        h.append(barChart("deadlines", dPeriods, List.of("answered in time", "answered late", "not answered"), dv, "requests"));
        table(h, List.of("Received in", "Answered in time", "Answered late", "Not answered"), stats.deadlines().stream()
                .map(d -> List.<Object>of(d.period(), d.inTime(), d.late(), d.unanswered())).toList());

        h.append("<h2>Requests declined, by reason</h2>\n");
        table(h, List.of("Period", "Declined", "Reason", "Requests"), stats.declined().stream()
                .map(d -> List.<Object>of(d.period(), d.direction().equals("given") ? "by us" : "by a recipient", d.reason(), d.count()))
                .toList());

        h.append("<h2>Refusals and failures by reason</h2>\n");
        table(h, List.of("Period", "What", "Code", "Count"), stats.failures().stream()
                .map(f -> List.<Object>of(f.period(), f.kind(), f.code(), f.count())).toList());

        h.append("<h2>Packages with protection marks</h2>\n");
        table(h, List.of("Period", "Direction", "Mark", "Packages"), stats.marked().stream()
                .map(m -> List.<Object>of(m.period(), m.direction(), m.mark(), m.count())).toList());
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void times(StringBuilder h, String id, List<AuditStats.Times> ts) {
        List<String> periods = ts.stream().map(AuditStats.Times::period).toList();
        double[][] v = new double[2][ts.size()];
        for (int i = 0; i < ts.size(); i++) {
            v[0][i] = ts.get(i).medianSeconds();
            v[1][i] = ts.get(i).p90Seconds();
        }
        h.append(barChart(id, periods, List.of("median", "90th percentile"), v, "seconds"));
        table(h, List.of("Period", "Messages", "Median s", "90th percentile s"), ts.stream()
                .map(t -> List.<Object>of(t.period(), t.count(), seconds(t.medianSeconds()), seconds(t.p90Seconds()))).toList());
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    private static void table(StringBuilder h, List<String> head, List<List<Object>> rows) {
        if (rows.isEmpty()) {
            h.append("<p class=\"note\">None.</p>\n");
            return;
        }
        h.append("<table><tr>");
        head.forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
        h.append("</tr>");
        for (List<Object> r : rows) {
            h.append("<tr>");
            for (Object c : r) {
                boolean number = c instanceof Number || (c instanceof String s && s.matches("[0-9.]+"));
                h.append(number ? "<td class=\"n\">" : "<td>").append(esc(String.valueOf(c))).append("</td>");
            }
            h.append("</tr>");
        }
        h.append("</table>\n");
    }

    /** A grouped bar chart: one group per category, one bar per series, with a value axis and a legend. */
    static String barChart(String id, List<String> categories, List<String> series, double[][] values, String unit) {
        if (categories.isEmpty()) {
            return "<p class=\"note\">No data.</p>\n";
        }
        double max = 0;
        for (double[] s : values) {
            for (double x : s) {
                max = Math.max(max, x);
            }
        }
        if (max <= 0) {
            max = 1;
        }
        int left = 60;
        int top = 20;
        int plotH = 200;
        int barW = 18;
        int gap = 16;
        int groupW = Math.max(1, series.size()) * barW + gap;
        int width = left + categories.size() * groupW + 20;
        int legendY = top + plotH + 40;
        int height = legendY + 20 * series.size() + 10;
        StringBuilder s = new StringBuilder();
        s.append("<svg id=\"chart-").append(esc(id)).append("\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" role=\"img\" aria-label=\"").append(esc(id)).append(" chart\">");
        s.append("<line x1=\"").append(left).append("\" y1=\"").append(top).append("\" x2=\"").append(left).append("\" y2=\"")
                .append(top + plotH).append("\" stroke=\"#444\"/>");
        s.append("<line x1=\"").append(left).append("\" y1=\"").append(top + plotH).append("\" x2=\"").append(width - 10)
                .append("\" y2=\"").append(top + plotH).append("\" stroke=\"#444\"/>");
        for (int t = 0; t <= 4; t++) {
            double val = max * t / 4;
            int y = top + plotH - (int) Math.round(plotH * t / 4.0);
            s.append("<text x=\"").append(left - 6).append("\" y=\"").append(y + 4).append("\" font-size=\"10\" text-anchor=\"end\">")
                    .append(esc(String.format(Locale.ROOT, val >= 10 ? "%.0f" : "%.2f", val))).append("</text>");
        }
        s.append("<text x=\"4\" y=\"").append(top - 6).append("\" font-size=\"10\">").append(esc(unit)).append("</text>");
        for (int c = 0; c < categories.size(); c++) {
            int x0 = left + 8 + c * groupW;
            for (int k = 0; k < series.size(); k++) {
                double val = values[k][c];
                int bh = (int) Math.round(plotH * val / max);
                s.append("<rect class=\"bar\" x=\"").append(x0 + k * barW).append("\" y=\"").append(top + plotH - bh)
                        .append("\" width=\"").append(barW - 2).append("\" height=\"").append(bh).append("\" fill=\"")
                        .append(COLORS[k % COLORS.length]).append("\"><title>").append(esc(series.get(k) + ", " + categories.get(c) + ": "
                        + String.format(Locale.ROOT, "%.3f", val).replaceAll("\\.?0+$", "") + " " + unit)).append("</title></rect>");
            }
            s.append("<text x=\"").append(x0).append("\" y=\"").append(top + plotH + 14).append("\" font-size=\"10\">")
                    .append(esc(categories.get(c))).append("</text>");
        }
        for (int k = 0; k < series.size(); k++) {
            int y = legendY + 20 * k;
            s.append("<rect x=\"").append(left).append("\" y=\"").append(y - 10).append("\" width=\"12\" height=\"12\" fill=\"")
                    .append(COLORS[k % COLORS.length]).append("\"/><text x=\"").append(left + 18).append("\" y=\"").append(y)
                    .append("\" font-size=\"12\">").append(esc(series.get(k))).append("</text>");
        }
        return s.append("</svg>\n").toString();
    }

    /**
     * Text for HTML and SVG: the five XML specials escaped, and what a browser would act on or XML refuses —
     * controls, bidirectional overrides, line separators, from the log's fields — shown as visible escapes.
     */
    static String esc(String text) {
        String s = UntrustedText.printable(text);
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
