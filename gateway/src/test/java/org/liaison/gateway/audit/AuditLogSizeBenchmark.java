package org.liaison.gateway.audit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/**
 * What a big audit log costs: appending N entries, opening the log (re-reading and re-hashing every
 * entry to rebuild the tree), the heap the tree takes, and a full `audit verify`. Run by
 * scripts/bench-audit-size; not a test.
 */
public final class AuditLogSizeBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path dir = Files.createTempDirectory("liaison-audit-size");
        long t0 = System.nanoTime();
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            for (int i = 0; i < n; i++) {
                log.append(AuditEvent.of("receive", "AL-PP", UUID.randomUUID().toString(), "AL-PP", "ok", null)
                        .with("service", "mla-request").with("conversation", UUID.randomUUID().toString()));
            }
        }
        long t1 = System.nanoTime();
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long before = rt.totalMemory() - rt.freeMemory();
        long t2 = System.nanoTime();
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            long t3 = System.nanoTime();
            System.gc();
            long after = rt.totalMemory() - rt.freeMemory();
            long t4 = System.nanoTime();
            AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, log.verifierKey());
            long t5 = System.nanoTime();
            System.out.printf("%d entries, %d MiB: append %.1f s, open %.2f s, tree on the heap ~%d MiB, verify %.2f s (%s)%n", n,
                    Files.size(dir.resolve(FileAuditLog.ENTRIES)) >> 20, (t1 - t0) / 1e9, (t3 - t2) / 1e9, (after - before) >> 20,
                    (t5 - t4) / 1e9, r.valid() ? "valid" : "INVALID");
        }
    }
}
