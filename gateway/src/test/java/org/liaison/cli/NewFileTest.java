package org.liaison.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command that writes one new file with {@code --out} refuses an existing one at once and leaves it as it was. */
class NewFileTest {
    @TempDir
    Path dir;

    @Test
    void anExistingOutFileIsRefusedBeforeAnyWorkAndKept() throws Exception {
        Path kept = Files.writeString(dir.resolve("kept.txt"), "someone's file");
        String out = kept.toString();
        String missing = dir.resolve("missing").toString();
        List<String[]> commands = List.of(
                new String[] {"audit", "export", missing, "--out", out},
                new String[] {"audit", "report", missing, "--out", out},
                new String[] {"--profile", missing, "evidence", "export", "3f2a0c7e-0000-4000-8000-000000000000", "--out", out},
                new String[] {"directory", "edit", missing, "--authority", "IT-DNA", "--out", out},
                new String[] {"directory", "sign", missing, "--key", missing, "--out", out});
        for (String[] args : commands) {
            StringWriter err = new StringWriter();
            int code = Main.run(args, new PrintWriter(new StringWriter()), new PrintWriter(err));
            assertThat(code).as(String.join(" ", args)).isEqualTo(Main.FAILED);
            assertThat(err.toString()).as(String.join(" ", args)).contains(out + " already exists; choose another --out");
            assertThat(Files.readString(kept)).isEqualTo("someone's file");
        }
    }

    @Test
    void theOptionKeepsItsNameAndHelp() {
        StringWriter help = new StringWriter();
        assertThat(Main.run(new String[] {"audit", "export", "--help"}, new PrintWriter(help), new PrintWriter(new StringWriter())))
                .isEqualTo(Main.OK);
        assertThat(help.toString()).contains("--out=FILE").contains("The file to write (refused if it exists).");
    }
}
