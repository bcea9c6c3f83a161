package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;

/**
 * The life of a request between two `liaison serve` processes: the sender's node is down when the
 * recipient opens and declines the request, so the notices wait in the recipient's store and arrive
 * when the sender is back; then the recipient's retention ends, the message is deleted and its
 * audit log, read by the auditor's commands, still verifies and lists the deletion.
 */
class RequestLifeProcessTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final LogsOnFailure logs = new LogsOnFailure(() -> dir);

    @Test
    void noticesWaitForASenderThatIsDownAndRetentionLeavesAVerifiableLog() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Files.writeString(t.config(AL), "retention:\n  mla-request: PT20S\n", StandardOpenOption.APPEND);
        String itUser = t.federation.profiles().get(IT).get(Role.INVESTIGATOR).toString();
        String alUser = t.federation.profiles().get(AL).get(Role.INVESTIGATOR).toString();
        Path file = Files.writeString(dir.resolve("request.txt"), "please hear witness W-17");
        Process it = ServeProcessTest.serve(t.config(IT), dir.resolve("it.log"));
        Process al = ServeProcessTest.serve(t.config(AL), dir.resolve("al.log"));
        try {
            ServeProcessTest.awaitLog(dir.resolve("it.log"), "gateway started", Duration.ofSeconds(60));
            ServeProcessTest.awaitLog(dir.resolve("al.log"), "gateway started", Duration.ofSeconds(60));
            CliEndToEndTest.Run submit = CliEndToEndTest.liaison("--profile", itUser, "submit", "--to", "AL-PP", "--service", "mla-request",
                    "--case", "OP-LIFE", "--legal-basis", "UNTOC art. 18", file.toString());
            assertThat(submit.exit()).as(submit.err()).isZero();
            String id = submit.out().trim();
            TestNodes.await("delivery", Duration.ofSeconds(30),
                    () -> CliEndToEndTest.liaison("--profile", itUser, "status", id).out().contains("delivered"));

            // Italy's node stops; Albania opens and declines the request meanwhile.
            it.destroy();
            assertThat(it.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(CliEndToEndTest.liaison("--profile", alUser, "fetch", id, "--out", dir.resolve("got").toString()).exit()).isZero();
            CliEndToEndTest.Run decline = CliEndToEndTest.liaison("--profile", alUser, "decline", id, "--reason", "insufficient-basis",
                    "--note", "please name the witness's address");
            assertThat(decline.exit()).as(decline.err()).isZero();

            // Back up: the waiting notices arrive, and Italy's status shows both stages.
            it = ServeProcessTest.serve(t.config(IT), dir.resolve("it2.log"));
            ServeProcessTest.awaitLog(dir.resolve("it2.log"), "gateway started", Duration.ofSeconds(60));
            TestNodes.await("the stages at Italy", Duration.ofSeconds(60), () -> {
                String s = CliEndToEndTest.liaison("--profile", itUser, "status", id).out();
                return s.contains("opened") && s.contains("declined");
            });
            assertThat(CliEndToEndTest.liaison("--profile", itUser, "status", id).out()).contains("reason: insufficient-basis")
                    .contains("please name the witness's address");

            // Albania's retention of twenty seconds ends: the message goes, the log records it.
            TestNodes.await("the deletion at Albania", Duration.ofSeconds(60),
                    () -> CliEndToEndTest.liaison("--profile", alUser, "inbox").out().contains("The inbox is empty"));
            assertThat(t.federation.dir().resolve("AL-PP/data/blobs/inbox/IT-DNA")).isEmptyDirectory();
        } finally {
            it.destroy();
            al.destroy();
            it.waitFor(30, TimeUnit.SECONDS);
            al.waitFor(30, TimeUnit.SECONDS);
        }
        Path audit = t.auditDir(AL);
        String vkey = Files.readString(audit.resolve("log.vkey")).strip();
        CliEndToEndTest.Run verify = CliEndToEndTest.liaison("audit", "verify", audit.toString(), "--key", vkey);
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        CliEndToEndTest.Run deletions = CliEndToEndTest.liaison("audit", "query", audit.toString(), "--key", vkey, "--type", "delete");
        assertThat(deletions.out()).contains("delete").contains("retention PT20S expired");
        CliEndToEndTest.Run stages = CliEndToEndTest.liaison("audit", "query", audit.toString(), "--key", vkey, "--type", "stage");
        assertThat(stages.out()).contains("opened").contains("declined");
    }
}
