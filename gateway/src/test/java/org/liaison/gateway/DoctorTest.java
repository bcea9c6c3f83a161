package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Suite;
import org.liaison.cli.Doctor;
import org.liaison.cli.Doctor.Check;
import org.liaison.cli.Doctor.Status;
import org.liaison.cli.Main;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.node.GatewayNode;

/** {@code liaison doctor} against healthy nodes and against each way a node's set-up breaks. */
class DoctorTest {
    @TempDir
    Path dir;

    private static Check check(List<Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + checks));
    }

    private static List<Check> examine(Path config, Clock clock) {
        return Doctor.examine(config, Doctor.Limits.DEFAULT, clock);
    }

    @Test
    void aHealthyRunningNodePassesAndSeesItsPeers() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            List<Check> checks = examine(t.config(IT), Clock.systemUTC());
            assertThat(checks).as(checks.toString()).noneMatch(c -> c.status() == Status.FAIL);
            assertThat(check(checks, "port peer").detail()).contains("in use by this node");
            assertThat(check(checks, "listed").status()).isEqualTo(Status.OK);
            assertThat(check(checks, "certificate tls").detail()).contains("expires");
            assertThat(check(checks, "peer " + AL).status()).isEqualTo(Status.OK);
            assertThat(check(checks, "peer " + AL).detail()).contains("reachable").contains("its clock");
            assertThat(check(checks, "peer " + US).status()).isEqualTo(Status.WARN); // not running
            assertThat(check(checks, "peer " + US).detail()).contains("not reachable");

            // This machine's clock 10 minutes ahead: beyond what peers tolerate.
            List<Check> skewed = examine(t.config(IT), Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10)));
            assertThat(check(skewed, "peer " + AL).status()).isEqualTo(Status.FAIL);
            assertThat(check(skewed, "peer " + AL).detail()).contains("fix the clocks");
            // 45 seconds: a warning.
            List<Check> drifting = examine(t.config(IT), Clock.offset(Clock.systemUTC(), Duration.ofSeconds(45)));
            assertThat(check(drifting, "peer " + AL).status()).isEqualTo(Status.WARN);
        }
        // Stopped: the ports are free.
        assertThat(check(examine(t.config(IT), Clock.systemUTC()), "port peer").detail()).contains("is free");
    }

    @Test
    void staleCrlsExpiringCertificatesAndAFullDiskAreReported() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        FederationSetup.Result f = FederationSetup.create(dir.resolve("f"), List.of(IT, AL), Suite.MODERN, now, Duration.ofDays(20));
        Path config = f.dir().resolve(IT.value()).resolve(FederationSetup.NODE_CONFIG);

        // Today: certificates valid for 20 days, under the 30-day warning.
        List<Check> today = Doctor.examine(config, new Doctor.Limits(Duration.ofDays(30), Duration.ofDays(2), 0, Duration.ofSeconds(30),
                Duration.ofMinutes(5), Duration.ofSeconds(2), false), Clock.systemUTC());
        assertThat(check(today, "certificate tls").status()).isEqualTo(Status.WARN);
        assertThat(Doctor.failed(today)).as(today.toString()).isFalse();

        // In 8 days the CRLs (7 days) are stale; in 25 days the certificates have expired.
        List<Check> later = examine(config, Clock.offset(Clock.systemUTC(), Duration.ofDays(8)));
        Check crl = check(later, "crl ../IT-DNA/ca/crl.pem");
        assertThat(crl.status()).isEqualTo(Status.FAIL);
        assertThat(crl.detail()).contains("stale");
        List<Check> expired = examine(config, Clock.offset(Clock.systemUTC(), Duration.ofDays(25)));
        assertThat(check(expired, "certificate tls").status()).isEqualTo(Status.FAIL);
        assertThat(check(expired, "certificate tls").detail()).contains("expired");
        assertThat(check(expired, "certificate encryption").status()).isEqualTo(Status.FAIL);

        // A disk with less free space than the minimum (the threshold as computed; no real disk is filled).
        List<Check> full = Doctor.examine(config, new Doctor.Limits(Duration.ofDays(1), Duration.ofDays(1), Long.MAX_VALUE,
                Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofSeconds(2), false), Clock.systemUTC());
        assertThat(check(full, "disk").status()).isEqualTo(Status.FAIL);
        assertThat(check(full, "disk").detail()).contains("below the minimum");
    }

    @Test
    void aPortTakenByAnotherProcessAWrongPasswordAndABrokenConfigFail() throws Exception {
        TestNodes t = new TestNodes(dir);
        Path config = t.config(IT);
        NodeConfig c = NodeConfig.load(config);
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(c.peer().host(), c.peer().port()));
            Check port = check(examine(config, Clock.systemUTC()), "port peer");
            assertThat(port.status()).isEqualTo(Status.FAIL);
            assertThat(port.detail()).contains("taken by another process");
        }

        Path password = config.resolveSibling("encryption.password");
        String kept = Files.readString(password);
        Files.writeString(password, "not-the-password\n");
        List<Check> wrong = examine(config, Clock.systemUTC());
        assertThat(check(wrong, "keystores").status()).isEqualTo(Status.FAIL);
        assertThat(check(wrong, "keystores").detail()).contains("encryption");
        Files.writeString(password, kept);

        // Through the command: exit code and JSON.
        StringWriter out = new StringWriter();
        int ok = Main.run(new String[] {"doctor", "--config", config.toString(), "--no-peers", "--min-free", "0", "--json"},
                new PrintWriter(out), new PrintWriter(new StringWriter()));
        assertThat(ok).as(out.toString()).isEqualTo(Main.OK);
        assertThat(out.toString()).contains("\"check\" : \"listed\"").contains("\"status\" : \"ok\"");

        Files.writeString(config, Files.readString(config).replace("authority: IT-DNA", "authority: italy"));
        StringWriter text = new StringWriter();
        int failed = Main.run(new String[] {"doctor", "--config", config.toString()}, new PrintWriter(text),
                new PrintWriter(new StringWriter()));
        assertThat(failed).isEqualTo(Main.FAILED);
        assertThat(text.toString()).contains("FAIL  config").contains("authority: italy");
    }
}
