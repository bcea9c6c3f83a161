package org.liaison.cli.audit;

import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.liaison.cli.UserException;
import org.liaison.gateway.audit.AuditEntries;
import org.liaison.gateway.audit.AuditLogVerifier;
import picocli.CommandLine.Option;

/** Which entries an auditor asks for (query, stats, export), and reading them from a verified log. */
final class Selection {
    @Option(names = "--message", paramLabel = "ID", description = "Only entries about this message id.")
    String message;

    @Option(names = "--case", paramLabel = "REF", description = "Only entries about messages of this case reference.")
    String caseReference;

    @Option(names = "--counterpart", paramLabel = "AUTHORITY", description = "Only entries with this authority as counterpart or actor.")
    String counterpart;

    @Option(names = "--type", paramLabel = "TYPE", split = ",",
            description = "Only these event types (repeat or comma-separate): submit, seal, send-attempt, receipt, receive, reject, fetch, "
                    + "auth-failure, directory-change, peer-log-alarm, start, stop, …")
    List<String> types;

    @Option(names = "--since", paramLabel = "TIME", description = "From this time on (ISO-8601 instant, or a date: 2026-11-01 = its start, UTC).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Before this time (same forms as --since).")
    String until;

    @Option(names = "--unverified", description = "Read the log even if it does not verify (for investigating a damaged log).")
    boolean unverified;

    AuditEntries.Filter filter() {
        return new AuditEntries.Filter(message, caseReference, counterpart, types == null ? null : new LinkedHashSet<>(types),
                time("--since", since), time("--until", until));
    }

    /** What was asked, for the record (export bundles carry it). */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("message", message);
        m.put("case", caseReference);
        m.put("counterpart", counterpart);
        m.put("types", types);
        m.put("since", since);
        m.put("until", until);
        m.values().removeIf(java.util.Objects::isNull);
        return m;
    }

    static Instant time(String option, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(option + ": " + value + " (expected an ISO-8601 instant such as 2026-11-01T00:00:00Z"
                        + " or a date such as 2026-11-01)");
            }
        }
    }

    /** The log's entries, after checking the whole log verifies (unless --unverified). */
    List<AuditEntries.Entry> read(AuditCommand.Folder folder) throws IOException {
        String key = folder.key();
        if (!unverified) {
            AuditLogVerifier.Report r = AuditLogVerifier.verify(folder.dir, key);
            if (!r.valid()) {
                throw new UserException("the log does not verify (" + r.problems().get(0) + "); run 'liaison audit verify' for the "
                        + "details, or pass --unverified to read it anyway");
            }
        }
        try {
            return AuditEntries.parseAll(AuditLogVerifier.entries(folder.dir));
        } catch (IOException e) {
            throw new UserException("cannot read the entries: " + e.getMessage());
        }
    }
}
