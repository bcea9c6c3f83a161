package org.liaison.cli.audit;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.liaison.gateway.audit.AuditEntries;

/**
 * Content-free figures from an audit log, for reporting on how the cooperation works (as the
 * reports on implementation of the Convention and the Protocol ask): messages sent and received by
 * service and counterpart, delivery times (seal to receipt) and response times (a received message
 * to the reply sealed here), requests declined by reason code, failures by error code — per period, in UTC. No ids, no cases, no
 * names: only counts and durations.
 */
public final class AuditStats {
    private static final Pattern CODE = Pattern.compile("LIAISON:\\d{4}");

    /** The length of a reporting period. */
    public enum Period {
        DAY, WEEK, MONTH, YEAR;

        public String label(Instant t) {
            ZonedDateTime z = t.atZone(ZoneOffset.UTC);
            switch (this) {
                case DAY:
                    return z.toLocalDate().toString();
                case WEEK:
                    return String.format(Locale.ROOT, "%d-W%02d", z.get(IsoFields.WEEK_BASED_YEAR), z.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
                case MONTH:
                    return String.format(Locale.ROOT, "%d-%02d", z.getYear(), z.getMonthValue());
                default:
                    return Integer.toString(z.getYear());
            }
        }
    }

    public record Count(String period, String service, String counterpart, long count) {}

    public record Times(String period, long count, double medianSeconds, double p90Seconds) {}

    public record Failure(String period, String kind, String code, long count) {}

    /** Messages carrying a protection mark, by direction ("sent", "received") and mark. */
    public record Marked(String period, String direction, String mark, long count) {}

    /** Time from a request received to the reply sealed here, by the request's service. */
    public record ServiceTimes(String service, long count, double medianSeconds, double p90Seconds) {}

    /**
     * Requests received here that asked for an answer by a date, per period of their reception: answered
     * in time, answered late, and not answered (so far).
     */
    public record Deadlines(String period, long inTime, long late, long unanswered) {}

    /**
     * Requests declined, by reason code: "given" by this authority (a decline it sent), "received" (a
     * recipient declined a request sent from here).
     */
    public record Declined(String period, String direction, String reason, long count) {}

    public record Report(String periodLength, List<Count> sent, List<Count> received, List<Times> deliveryTimes,
            List<Times> responseTimes, List<Failure> failures, List<Marked> marked, List<ServiceTimes> responseTimesByService,
            List<Deadlines> deadlines, List<Declined> declined) {}

    private AuditStats() {}

    public static Report compute(List<AuditEntries.Entry> entries, Period period) {
        Map<List<String>, Long> sent = new TreeMap<>(AuditStats::compareKeys);
        Map<List<String>, Long> received = new TreeMap<>(AuditStats::compareKeys);
        Map<List<String>, Long> failures = new TreeMap<>(AuditStats::compareKeys);
        Map<String, List<Duration>> delivery = new TreeMap<>();
        Map<String, List<Duration>> response = new TreeMap<>();
        Map<String, Instant> sealedAt = new HashMap<>();
        Map<String, Instant> receivedAt = new HashMap<>();
        Map<String, String> receivedService = new HashMap<>();
        Map<String, Instant> receivedDeadline = new HashMap<>();
        Map<String, String> receivedPeriod = new HashMap<>();
        Map<String, Boolean> answeredInTime = new HashMap<>();
        Map<List<String>, Long> marked = new TreeMap<>(AuditStats::compareKeys);
        Map<String, List<Duration>> responseByService = new TreeMap<>();
        Map<List<String>, Long> declined = new TreeMap<>(AuditStats::compareKeys);
        for (AuditEntries.Entry e : entries) {
            String p = period.label(e.time());
            String service = e.details().getOrDefault("service", "unknown");
            switch (e.type()) {
                case "seal":
                    sealedAt.put(e.messageId(), e.time());
                    for (String to : e.counterparts()) {
                        sent.merge(List.of(p, service, to), 1L, Long::sum);
                    }
                    Instant asked = e.detail("inReplyTo") == null ? null : receivedAt.get(e.detail("inReplyTo"));
                    Instant deadline = e.detail("inReplyTo") == null ? null : receivedDeadline.get(e.detail("inReplyTo"));
                    if (deadline != null) {
                        answeredInTime.putIfAbsent(e.detail("inReplyTo"), !e.time().isAfter(deadline));
                    }
                    if (asked != null) {
                        response.computeIfAbsent(p, k -> new ArrayList<>()).add(Duration.between(asked, e.time()));
                        responseByService.computeIfAbsent(receivedService.getOrDefault(e.detail("inReplyTo"), "unknown"), k -> new ArrayList<>())
                                .add(Duration.between(asked, e.time()));
                    }
                    marks(e, p, "sent", marked);
                    break;
                case "receive":
                    receivedAt.putIfAbsent(e.messageId(), e.time());
                    receivedService.putIfAbsent(e.messageId(), service);
                    if (e.detail("respondBy") != null) {
                        try {
                            receivedDeadline.putIfAbsent(e.messageId(), Instant.parse(e.detail("respondBy")));
                            receivedPeriod.putIfAbsent(e.messageId(), p);
                        } catch (java.time.format.DateTimeParseException ignored) {
                            // not a date this program wrote
                        }
                    }
                    received.merge(List.of(p, service, String.valueOf(e.counterpart())), 1L, Long::sum);
                    marks(e, p, "received", marked);
                    break;
                case "stage":
                    if ("declined".equals(e.outcome())) {
                        declined.merge(List.of(p, "received".equals(e.detail("notice")) ? "received" : "given",
                                e.reason() == null ? "none" : e.reason()), 1L, Long::sum);
                    }
                    break;
                case "fetch-refused":
                    failures.merge(List.of(p, "fetch refused", code(e.reason())), 1L, Long::sum);
                    break;
                case "receipt":
                    Instant sealed = sealedAt.get(e.messageId());
                    if (sealed != null) {
                        delivery.computeIfAbsent(period.label(sealed), k -> new ArrayList<>()).add(Duration.between(sealed, e.time()));
                    }
                    break;
                case "send-attempt":
                    failures.merge(List.of(p, "delivery " + e.outcome(), code(e.reason())), 1L, Long::sum);
                    break;
                case "expire":
                    failures.merge(List.of(p, "delivery expired", "expired"), 1L, Long::sum);
                    break;
                case "reject":
                    failures.merge(List.of(p, "refused", code(e.reason())), 1L, Long::sum);
                    break;
                case "auth-failure":
                    failures.merge(List.of(p, "authentication", "refused"), 1L, Long::sum);
                    break;
                default:
                    break;
            }
        }
        return new Report(period.name().toLowerCase(Locale.ROOT), counts(sent), counts(received), times(delivery), times(response),
                failures.entrySet().stream().map(x -> new Failure(x.getKey().get(0), x.getKey().get(1), x.getKey().get(2), x.getValue()))
                        .toList(),
                marked.entrySet().stream().map(x -> new Marked(x.getKey().get(0), x.getKey().get(1), x.getKey().get(2), x.getValue()))
                        .toList(),
                times(responseByService).stream().map(t -> new ServiceTimes(t.period(), t.count(), t.medianSeconds(), t.p90Seconds()))
                        .toList(),
                deadlines(receivedPeriod, answeredInTime),
                declined.entrySet().stream().map(x -> new Declined(x.getKey().get(0), x.getKey().get(1), x.getKey().get(2), x.getValue()))
                        .toList());
    }

    private static List<Deadlines> deadlines(Map<String, String> periodOf, Map<String, Boolean> answeredInTime) {
        Map<String, long[]> by = new TreeMap<>();
        periodOf.forEach((id, p) -> {
            long[] n = by.computeIfAbsent(p, k -> new long[3]);
            Boolean inTime = answeredInTime.get(id);
            n[inTime == null ? 2 : inTime ? 0 : 1]++;
        });
        List<Deadlines> out = new ArrayList<>();
        by.forEach((p, n) -> out.add(new Deadlines(p, n[0], n[1], n[2])));
        return out;
    }

    private static void marks(AuditEntries.Entry e, String period, String direction, Map<List<String>, Long> marked) {
        String h = e.detail("handling");
        if (h != null) {
            for (String mark : h.split(",")) {
                marked.merge(List.of(period, direction, mark), 1L, Long::sum);
            }
        }
    }

    private static String code(String reason) {
        if (reason == null) {
            return "none";
        }
        Matcher m = CODE.matcher(reason);
        return m.find() ? m.group() : "other";
    }

    private static int compareKeys(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static List<Count> counts(Map<List<String>, Long> m) {
        return m.entrySet().stream().map(x -> new Count(x.getKey().get(0), x.getKey().get(1), x.getKey().get(2), x.getValue())).toList();
    }

    private static List<Times> times(Map<String, List<Duration>> m) {
        List<Times> out = new ArrayList<>();
        m.forEach((p, ds) -> {
            List<Duration> sorted = ds.stream().sorted().toList();
            out.add(new Times(p, sorted.size(), seconds(percentile(sorted, 50)), seconds(percentile(sorted, 90))));
        });
        return out;
    }

    /** Nearest-rank percentile of a sorted, non-empty list. */
    static Duration percentile(List<Duration> sorted, int pct) {
        int rank = (int) Math.ceil(pct / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
