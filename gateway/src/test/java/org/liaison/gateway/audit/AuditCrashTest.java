package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node process killed while it appends: every acknowledged event survives, the log verifies and goes on. */
class AuditCrashTest {
    @TempDir
    Path dir;

    record Crash(TreeSet<Long> acked, String verifierKey) {}

    Crash crash(String mode, int killAfterAcks) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), AuditCrashChild.class.getName(), dir.toString(), mode));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        TreeSet<Long> acked = new TreeSet<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    acked.add(Long.parseLong(line.substring(4)));
                    if (acked.size() == killAfterAcks) {
                        child.destroyForcibly(); // SIGKILL while the other threads are mid-append
                        break;
                    }
                }
            }
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        return new Crash(acked, Files.readString(dir.resolve(FileAuditLog.VERIFIER_KEY)).strip());
    }

    void recoversKeepingEveryAcknowledgedEvent(Crash c) throws Exception {
        assertThat(c.acked()).isNotEmpty();
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            assertThat(log.size()).isGreaterThan(c.acked().last());
            List<byte[]> entries = AuditLogVerifier.entries(dir);
            for (long i : c.acked()) {
                assertThat(new String(entries.get((int) i), StandardCharsets.UTF_8)).contains("\"index\":" + i + ",");
            }
            long next = log.record(AuditEvent.of("start", "IT-DNA", null, null, "ok", "after the crash"));
            assertThat(next).isEqualTo(entries.size());
        }
        AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, c.verifierKey());
        assertThat(r.problems()).isEmpty();
        assertThat(r.verifiedSize()).isEqualTo(r.entries());
    }

    @Test
    void killedWhileFourThreadsAppend() throws Exception {
        Crash c = crash("run", 300);
        recoversKeepingEveryAcknowledgedEvent(c);
    }

    @Test
    void diedInTheMiddleOfWritingARecord() throws Exception {
        Crash c = crash("torn", -1);
        assertThat(c.acked()).hasSize(200);
        long sizeBefore = Files.size(dir.resolve(FileAuditLog.ENTRIES));
        recoversKeepingEveryAcknowledgedEvent(c);
        assertThat(AuditLogVerifier.entries(dir)).hasSize(201); // 200 acknowledged + the "start" after recovery, no torn one
        assertThat(sizeBefore).isGreaterThan(0);
    }
}
