package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.FileAuditLog;

/** The design floor's counting (bench-messages): only what the audit log gained since the mark, by entry type. */
class DesignFloorTest {
    private static byte[] records(String... texts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String t : texts) {
            byte[] b = t.getBytes(StandardCharsets.UTF_8);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    @Test
    void countsWhatTheLogGainedSinceTheMarkAndLeavesOutPeersEvidenceAndATornRecord(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve(FileAuditLog.ENTRIES), records("{\"type\":\"seal\"}", "{\"type\":\"evidence\"}"));
        Files.write(dir.resolve(FileAuditLog.CHECKPOINTS), records("note 1"));
        DesignFloor.Mark mark = DesignFloor.Mark.of(dir);
        byte[] more = records("{\"type\":\"submit\"}", "{\"type\":\"seal\"}", "{\"type\":\"evidence\"}",
                "{\"type\":\"evidence\",\"evidenceIssuer\":\"AL-PP\"}", "{\"type\":\"receipt\"}", "{\"type\":\"receive\"}",
                "{\"type\":\"send-attempt\"}", "{\"type\":\"tls-handshake\",\"reason\":\"local API: key exchange x25519\"}",
                "{\"type\":\"tls-handshake\",\"reason\":\"delivery: key exchange x25519\"}",
                "{\"type\":\"tls-handshake\",\"reason\":\"peer API: key exchange x25519\"}");
        byte[] torn = java.util.Arrays.copyOf(records("{\"type\":\"seal\"}"), 8); // being written: left out
        Files.write(dir.resolve(FileAuditLog.ENTRIES), more, java.nio.file.StandardOpenOption.APPEND);
        Files.write(dir.resolve(FileAuditLog.ENTRIES), torn, java.nio.file.StandardOpenOption.APPEND);
        Files.write(dir.resolve(FileAuditLog.CHECKPOINTS), records("note 2", "note 3"), java.nio.file.StandardOpenOption.APPEND);
        DesignFloor.Tally t = DesignFloor.tally(dir, mark);
        assertThat(t).isEqualTo(new DesignFloor.Tally(1, 1, 2, 1, 1, 1, 2));
        // One message: the client's manifest signature + a seal + an evidence + 2 checkpoints; the manifest at submission,
        // envelope and manifest at reception, the receipt; one wrap, one unwrap; two handshakes as audited (the local API's and
        // the peer API's; the delivery side's entry is the same handshake as the peer API's).
        DesignFloor.Counts c = t.perMessage(1);
        assertThat(c).isEqualTo(new DesignFloor.Counts(5, 4, 1, 1, 2));
        assertThat(c.millis(new DesignFloor.Costs(1, 10, 100, 1000, 10000))).isEqualTo(5 + 40 + 100 + 1000 + 20000);
    }
}
