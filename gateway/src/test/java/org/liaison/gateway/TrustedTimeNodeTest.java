package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.evidence.OpensslTsa;
import org.liaison.gateway.evidence.TrustedTime;
import org.liaison.gateway.node.GatewayNode;

/**
 * A node configured with a TSA (node.yaml {@code timestamping}) that cannot reach it keeps accepting
 * submissions until it has been without trusted time for {@code maxWithout}, then refuses them with
 * LIAISON:0058, and accepts them again once the TSA answers; the evidence issued meanwhile is covered by the
 * checkpoint stamped then, and the token verifies with openssl ts -verify.
 */
class TrustedTimeNodeTest {
    @TempDir
    Path dir;

    private static BackupRestoreTest.Run submit(Path profile, Path file) {
        return BackupRestoreTest.cli("--profile", profile.toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case",
                "OP-TIME", "--legal-basis", "UNTOC art. 18", "--new", file.toString());
    }

    @Test
    void submissionsStopAfterMaxWithoutTrustedTimeAndResumeWhenTheTsaAnswers() throws Exception {
        TestNodes t = new TestNodes(dir.resolve("fed"));
        Path it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        Path file = Files.writeString(dir.resolve("request.txt"), "records of account 4711");
        try (OpensslTsa tsa = OpensslTsa.start(dir.resolve("tsa"))) {
            Files.writeString(t.config(IT), "timestamping:\n  url: " + tsa.url() + "\n  certificates: " + tsa.chainPem + "\n  every: 1\n"
                    + "  maxWithout: 600\n", StandardOpenOption.APPEND);
            tsa.down.set(true);
            TestClock clock = new TestClock();
            try (GatewayNode node = GatewayNode.start(t.config(IT), TestNodes.FAST.toBuilder().clock(clock).build())) {
                TrustedTime time = node.evidence().trustedTime().orElseThrow();
                BackupRestoreTest.Run first = submit(it, file);
                assertThat(first.code()).as(first.err()).isZero();
                TestNodes.await("a failed stamp", Duration.ofSeconds(30), () -> time.failures() > 0);

                clock.advance(Duration.ofSeconds(601));
                TestNodes.await("past the limit", Duration.ofSeconds(30), () -> time.secondsWithout() > 600);
                BackupRestoreTest.Run refused = submit(it, file);
                assertThat(refused.code()).isNotZero();
                assertThat(refused.err()).contains("LIAISON:0058").contains("trusted time");

                tsa.down.set(false);
                TestNodes.await("a token", Duration.ofSeconds(30), () -> time.secondsWithout() == 0);
                BackupRestoreTest.Run again = submit(it, file);
                assertThat(again.code()).as(again.err()).isZero();

                EvidenceIssuer.Stored accepted = node.evidence().of(UUID.fromString(first.out().strip())).get(0);
                TrustedTime.Stamp stamp = time.covering(accepted.auditIndex()).orElseThrow();
                Path stamps = t.auditDir(IT).resolveSibling(TrustedTime.FOLDER);
                assertThat(tsa.opensslVerify(stamps.resolve(stamp.size() + ".checkpoint"), stamps.resolve(stamp.size() + ".tsr"))).isZero();
            }
        }
    }
}
