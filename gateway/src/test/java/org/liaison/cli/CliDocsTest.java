package org.liaison.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shell completion and man pages, checked with the real shell and the real formatter (groff). */
class CliDocsTest {
    @TempDir
    Path dir;

    @Test
    void bashCompletionCompletesCommandsSubcommandsAndOptions() throws Exception {
        StringWriter out = new StringWriter();
        assertThat(Main.run(new String[] {"completion", "bash"}, new PrintWriter(out), new PrintWriter(new StringWriter()))).isZero();
        Path script = Files.writeString(dir.resolve("liaison.bash"), out.toString());
        assertThat(complete(script, "liaison au")).contains("audit");
        assertThat(complete(script, "liaison audit ve")).contains("verify");
        assertThat(complete(script, "liaison submit --in")).contains("--in-reply-to");
        assertThat(complete(script, "liaison completion ")).isNotNull();
    }

    @Test
    void zshCompletionIsTheBashScriptUnderBashcompinit() {
        StringWriter out = new StringWriter();
        assertThat(Main.run(new String[] {"completion", "zsh"}, new PrintWriter(out), new PrintWriter(new StringWriter()))).isZero();
        assertThat(out.toString()).startsWith("#compdef liaison\nautoload -U +X bashcompinit && bashcompinit\n")
                .contains("complete -F _complete_liaison");
    }

    @Test
    void anUnknownShellIsAUsageError() {
        StringWriter err = new StringWriter();
        assertThat(Main.run(new String[] {"completion", "fish"}, new PrintWriter(new StringWriter()), new PrintWriter(err)))
                .isEqualTo(Main.USAGE);
        assertThat(err.toString()).contains("expected: bash or zsh");
    }

    @Test
    void everyCommandHasAManPageThatGroffFormatsWithoutAWarning() throws Exception {
        List<Path> pages = ManPages.write(dir, "test");
        assertThat(pages).extracting(p -> p.getFileName().toString())
                .contains("liaison.1", "liaison-submit.1", "liaison-audit-verify.1", "liaison-certs-issue.1", "liaison-completion.1");
        for (Path page : pages) {
            assertThat(Files.readString(page, StandardCharsets.US_ASCII)).as(page.toString()).matches("(?s)\\p{ASCII}*");
        }
        List<String> cmd = new java.util.ArrayList<>(List.of("groff", "-man", "-Tutf8", "-ww", "-z"));
        pages.forEach(p -> cmd.add(p.toString()));
        Process groff = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String warnings = new String(groff.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(groff.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(groff.exitValue()).isZero();
        assertThat(warnings).isEmpty();

        Process man = new ProcessBuilder("man", "-l", dir.resolve("man1/liaison-submit.1").toString())
                .redirectErrorStream(true).start();
        String text = new String(man.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(man.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(text).contains("LIAISON-SUBMIT(1)").contains("NAME").contains("--in-reply-to").contains("EXAMPLES")
                .contains("liaison(1)");
    }

    /** What bash's completion offers for a command line typed so far. */
    private static String complete(Path script, String line) throws Exception {
        String words = line.endsWith(" ") ? line + "''" : line;
        String program = "source " + script + "; COMP_LINE='" + line + "'; COMP_WORDS=(" + words + "); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ));"
                + " COMP_POINT=${#COMP_LINE}; _complete_liaison; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
