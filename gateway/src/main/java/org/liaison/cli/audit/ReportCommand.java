package org.liaison.cli.audit;

import java.time.Instant;
import java.util.concurrent.Callable;
import org.liaison.cli.Main;
import org.liaison.cli.NewFile;
import org.liaison.gateway.audit.AuditLogVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true,
        header = "Write the audit report as one self-contained, offline HTML page.",
        description = {"Write the audit report: one self-contained HTML page (no script, no external resource; it works",
            "offline and can be mailed or archived) with the log's verification result and the content-free figures of",
            "'audit stats' as tables and charts: volume per period and counterpart, delivery times and times to answer,",
            "refusals by reason, packages with protection marks. Exit code 1 when the log does not verify: the report",
            "is still written and says so, without figures (--unverified to include them anyway)."},
        footer = {"", "Examples:",
            "  liaison audit report al-pp-audit --out al-pp-report.html",
            "  liaison audit report al-pp-audit --period week --since 2026-01-01 --out q1.html",
            "  chromium --headless --screenshot=report.png --window-size=1200,2400 al-pp-report.html   # a picture of it"})
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    AuditCommand.Folder folder;

    @Mixin
    Selection selection;

    @Option(names = "--period", defaultValue = "month", paramLabel = "LENGTH",
            description = "day, week, month or year (default: ${DEFAULT-VALUE}).")
    AuditStats.Period period;

    @Mixin
    NewFile out;

    @Override
    public Integer call() throws Exception {
        out.refuseIfExists();
        String key = folder.key();
        AuditLogVerifier.Report verification = AuditLogVerifier.verify(folder.dir, key);
        // A log that does not verify gives no figures (they could be anyone's), unless --unverified asks for them anyway.
        AuditStats.Report stats = AuditStats.compute(verification.valid() || selection.unverified
                ? selection.filter().apply(selection.read(folder)) : java.util.List.of(), period);
        String name = key.contains("+") ? key.substring(0, key.indexOf('+')) : "audit log";
        out.write(AuditReport.html(name, verification, stats, Instant.now())
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        spec.commandLine().getOut().println("Wrote " + out + " (" + (verification.valid() ? "the log verifies" : "THE LOG DOES NOT VERIFY")
                + "; " + verification.entries() + " entries).");
        return verification.valid() ? Main.OK : Main.FAILED;
    }
}
