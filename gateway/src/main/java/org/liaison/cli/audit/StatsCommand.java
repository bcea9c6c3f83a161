package org.liaison.cli.audit;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.liaison.cli.Json;
import org.liaison.cli.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Content-free figures for reporting: counts, delivery and response times, failures.", "",
            "For reporting on the cooperation, per period (UTC): messages sent and received by",
            "service and counterpart, delivery times (sealed here to receipt) and response times (a message received to the",
            "reply sealed here) as median and 90th percentile, and failures by error code. No ids, cases or names."},
        footer = {"", "Examples:",
            "  liaison audit stats federation/IT-DNA/data/audit",
            "  liaison audit stats federation/IT-DNA/data/audit --period week --since 2026-01-01 --json"})
final class StatsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    AuditCommand.Folder folder;

    @Mixin
    Selection selection;

    @Option(names = "--period", defaultValue = "month", paramLabel = "LENGTH",
            description = "day, week, month or year (default: ${DEFAULT-VALUE}).")
    AuditStats.Period period;

    @Override
    public Integer call() throws Exception {
        AuditStats.Report r = AuditStats.compute(selection.filter().apply(selection.read(folder)), period);
        PrintWriter o = spec.commandLine().getOut();
        if (folder.json) {
            o.println(Json.write(r));
            return Main.OK;
        }
        o.println("Messages sent (per recipient)");
        r.sent().forEach(c -> o.printf("  %-10s %-28s %-12s %6d%n", c.period(), printable(c.service()), printable(c.counterpart()), c.count()));
        if (r.sent().isEmpty()) {
            o.println("  none");
        }
        o.println("Messages received");
        r.received().forEach(c -> o.printf("  %-10s %-28s %-12s %6d%n", c.period(), printable(c.service()), printable(c.counterpart()),
                c.count()));
        if (r.received().isEmpty()) {
            o.println("  none");
        }
        times(o, "Delivery times (sealed to receipt)", r.deliveryTimes());
        times(o, "Response times (received to reply sealed)", r.responseTimes());
        o.println("Time to answer by the request's service");
        r.responseTimesByService().forEach(t -> o.printf("  %-28s n=%-6d median %9.3f s   p90 %9.3f s%n", printable(t.service()), t.count(),
                t.medianSeconds(), t.p90Seconds()));
        if (r.responseTimesByService().isEmpty()) {
            o.println("  none");
        }
        o.println("Deadlines of requests received (by period of reception): in time / late / not answered");
        r.deadlines().forEach(d -> o.printf("  %-10s %6d %6d %6d%n", d.period(), d.inTime(), d.late(), d.unanswered()));
        if (r.deadlines().isEmpty()) {
            o.println("  none");
        }
        o.println("Requests declined, by reason (given: by this authority; received: by a recipient)");
        r.declined().forEach(d -> o.printf("  %-10s %-9s %-26s %6d%n", d.period(), d.direction(), printable(d.reason()), d.count()));
        if (r.declined().isEmpty()) {
            o.println("  none");
        }
        o.println("Packages with protection marks");
        r.marked().forEach(m -> o.printf("  %-10s %-9s %-18s %6d%n", m.period(), m.direction(), printable(m.mark()), m.count()));
        if (r.marked().isEmpty()) {
            o.println("  none");
        }
        o.println("Failures and refusals");
        r.failures().forEach(f -> o.printf("  %-10s %-22s %-14s %6d%n", f.period(), printable(f.kind()), printable(f.code()), f.count()));
        if (r.failures().isEmpty()) {
            o.println("  none");
        }
        return Main.OK;
    }

    private static void times(PrintWriter o, String title, java.util.List<AuditStats.Times> ts) {
        o.println(title);
        ts.forEach(t -> o.printf("  %-10s n=%-6d median %9.3f s   p90 %9.3f s%n", t.period(), t.count(), t.medianSeconds(), t.p90Seconds()));
        if (ts.isEmpty()) {
            o.println("  none");
        }
    }
}
