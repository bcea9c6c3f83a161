package org.liaison.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir
    Path dir;

    /** As a user runs it, in its own process: the story on standard output, the nodes' logs in the demo's folder. */
    @Test
    void demoRunsTheWholeStoryOverRunningNodesAndLeavesAVerifiablePackage() throws Exception {
        Path run = dir.resolve("run");
        Path stdout = dir.resolve("stdout");
        Path stderr = dir.resolve("stderr");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), "org.liaison.cli.Main", "demo", "--dir", run.toString())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String out = Files.readString(stdout);
        String err = Files.readString(stderr);
        assertThat(p.exitValue()).as(out + "\n" + err).isZero();
        // Quiet: no node log line or audit entry on the console; they are in the demo's folder, which the output names.
        assertThat(out + err).doesNotContain(" INFO ").doesNotContain("\"index\":");
        Path log = run.resolve("logs").resolve("nodes.log");
        assertThat(out).contains("The nodes' log lines and audit entries: " + log);
        assertThat(Files.readString(log)).contains("INFO  audit - {\"index\":").contains("\"type\":\"submit\"")
                .contains("gateway started");
        assertThat(out).contains("node up").contains("AL-PP   delivered").contains("receipt SHA-256")
                .contains("Saved and verified").contains("in reply to").contains("refused  an Albanian auditor")
                .contains("4 receipts").contains("IT-DNA  VALID: ").contains("signed checkpoints")
                .contains("audit pull").contains("fetch  ")
                .contains("evidence export").contains("VALID: every signature, proof and time-stamp")
                .contains("refused  a copy with one evidence changed").contains("was changed after the seal").contains("AL-PP   holds IT-DNA's log at size")
                .contains("quorum 2: met")
                .doesNotContain("INCONSISTENT").doesNotContain("no peer checkpoints");

        StringWriter vout = new StringWriter();
        int v = Main.run(new String[] {"verify", run.resolve("received/AL-PP/OP-CORRIDOR-2026").toString(), "--federation",
            run.resolve("federation").toString()}, new PrintWriter(vout), new PrintWriter(new StringWriter()));
        assertThat(v).as(vout.toString()).isZero();
        assertThat(vout.toString()).contains("VALID");
    }

    @Test
    void demoRefusesANonEmptyFolder() {
        StringWriter err = new StringWriter();
        Main.run(new String[] {"demo", "--dir", dir.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        int code = Main.run(new String[] {"demo", "--dir", dir.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertThat(code).isEqualTo(Main.FAILED);
        assertThat(err.toString()).contains("is not empty");
    }
}
