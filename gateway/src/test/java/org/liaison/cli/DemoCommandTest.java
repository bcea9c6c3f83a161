package org.liaison.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void demoRunsTheWholeStoryOverRunningNodesAndLeavesAVerifiablePackage() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Path run = dir.resolve("run");
        int code = Main.run(new String[] {"demo", "--dir", run.toString()}, new PrintWriter(out), new PrintWriter(err));
        assertThat(code).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("node up").contains("AL-PP   delivered").contains("receipt SHA-256")
                .contains("Saved and verified").contains("in reply to").contains("refused  an Albanian auditor")
                .contains("4 receipts").contains("IT-DNA  VALID: ").contains("signed checkpoints")
                .contains("audit pull").contains("fetch  ").contains("AL-PP   holds IT-DNA's log at size")
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
