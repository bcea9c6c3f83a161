package org.liaison.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Prints a completion script for bash or zsh, made from the command model (picocli's generator). */
@Command(name = "completion", mixinStandardHelpOptions = true,
        header = "Print a shell completion script for liaison's commands and options (bash or zsh).",
        description = {"Writes the script to standard output; load it in your shell's start-up file.",
            "The zsh script uses zsh's bash-completion compatibility (bashcompinit)."},
        footer = {"", "Examples:",
            "  source <(liaison completion bash)                       this shell only",
            "  liaison completion bash > ~/.local/share/bash-completion/completions/liaison",
            "  liaison completion zsh > \"${fpath[1]}/_liaison\"          then start a new zsh"})
public final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "bash|zsh", description = "The shell: bash or zsh.")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "completion: " + shell + " (expected: bash or zsh)");
        }
        String script = AutoComplete.bash("liaison", Main.commandLine(new LiaisonCommand(), null));
        if (shell.equals("zsh")) {
            script = "#compdef liaison\nautoload -U +X bashcompinit && bashcompinit\n" + script;
        }
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
        return Main.OK;
    }
}
