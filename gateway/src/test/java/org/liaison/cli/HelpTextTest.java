package org.liaison.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The help a newcomer reads: every command's one-line summary is a whole sentence that fits the list. */
class HelpTextTest {
    @Test
    void everyCommandsSummaryIsOneWholeSentence() {
        List<String> bad = new ArrayList<>();
        walk(Main.commandLine(new LiaisonCommand(), null), bad);
        assertThat(bad).as("summaries cut mid-sentence or too long for the command list").isEmpty();
    }

    private static void walk(CommandLine cl, List<String> bad) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            String name = sub.getCommandSpec().qualifiedName();
            if (sub.getCommandSpec().usageMessage().hidden() || sub.getCommandName().equals("help")) {
                continue;
            }
            String[] header = sub.getCommandSpec().usageMessage().header();
            String[] description = sub.getCommandSpec().usageMessage().description();
            String summary = header.length > 0 ? header[0] : description.length > 0 ? description[0] : "";
            // The command list shows this line only: it must end its sentence and fit beside the command's name.
            if (!summary.endsWith(".") || summary.length() > 100) {
                bad.add(name + ": \"" + summary + "\"");
            }
            walk(sub, bad);
        }
    }
}
