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
    void demoTellsTheWholeStoryAndLeavesAVerifiablePackage() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Path run = dir.resolve("run");
        int code = Main.run(new String[] {"demo", "--dir", run.toString()}, new PrintWriter(out), new PrintWriter(err));
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).contains("AL-PP   verified the mla-request from IT-DNA")
                .contains("receipt for envelope").contains("[LIAISON:0013]").contains("[LIAISON:0012]")
                .contains("failed authentication").contains("revoked on").contains("3 receipts");

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
