package org.liaison.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes a man page (roff, {@code man(7)} macros) for every command of {@code liaison}, made from the
 * same command model as {@code --help}: {@code liaison.1}, {@code liaison-submit.1},
 * {@code liaison-audit-verify.1}, ... The build runs it (gateway/target/man/man1); read one with
 * {@code man -l gateway/target/man/man1/liaison-submit.1}, or all with {@code MANPATH=gateway/target/man man liaison-submit}.
 */
public final class ManPages {
    private ManPages() {}

    /** Arguments: the output folder (its man1/ is created), and optionally the version to print in the pages. */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: ManPages OUT-DIR [VERSION]");
        }
        List<Path> written = write(Path.of(args[0]), args.length > 1 ? args[1] : "development build");
        System.out.println("liaison: " + written.size() + " man pages in " + Path.of(args[0]).resolve("man1"));
    }

    /** Writes one page per command (hidden ones and {@code help} aside) into {@code dir/man1}; returns the files. */
    public static List<Path> write(Path dir, String version) throws IOException {
        Path man1 = Files.createDirectories(dir.resolve("man1"));
        CommandLine root = Main.commandLine(new LiaisonCommand(), null);
        List<Path> written = new ArrayList<>();
        writeTree(root, man1, version, written);
        return written;
    }

    private static void writeTree(CommandLine cl, Path man1, String version, List<Path> written) throws IOException {
        CommandSpec spec = cl.getCommandSpec();
        Path page = man1.resolve(pageName(spec) + ".1");
        Files.writeString(page, page(cl, version), StandardCharsets.UTF_8);
        written.add(page);
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!sub.getCommandSpec().usageMessage().hidden() && !sub.getCommandName().equals("help")) {
                writeTree(sub, man1, version, written);
            }
        }
    }

    static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    static String page(CommandLine cl, String version) {
        CommandSpec spec = cl.getCommandSpec();
        CommandLine.Help help = cl.getHelp();
        StringBuilder r = new StringBuilder();
        String name = pageName(spec);
        r.append(".\\\" Generated from the liaison command's own help; do not edit.\n");
        r.append(".TH ").append(quote(name.toUpperCase(java.util.Locale.ROOT))).append(" 1 \"\" ")
                .append(quote("Liaison " + version)).append(" \"Liaison Manual\"\n");
        r.append(".SH NAME\n").append(text(name)).append(" \\- ").append(text(summary(spec))).append('\n');
        r.append(".SH SYNOPSIS\n.nf\n").append(lines(help.synopsis(0).stripTrailing())).append(".fi\n");
        List<String> description = new ArrayList<>(List.of(spec.usageMessage().description()));
        if (description.size() > 0) {
            r.append(".SH DESCRIPTION\n").append(paragraphs(description));
        }
        List<PositionalParamSpec> positionals = spec.positionalParameters().stream().filter(p -> !p.hidden()).toList();
        if (!positionals.isEmpty()) {
            r.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : positionals) {
                r.append(".TP\n\\fI").append(text(p.paramLabel())).append("\\fR\n").append(describe(p));
            }
        }
        List<OptionSpec> options = spec.options().stream().filter(o -> !o.hidden()).toList();
        if (!options.isEmpty()) {
            r.append(".SH OPTIONS\n");
            for (OptionSpec o : options) {
                r.append(".TP\n");
                List<String> names = new ArrayList<>();
                for (String n : o.names()) {
                    names.add("\\fB" + text(n) + "\\fR" + (o.typeInfo().isBoolean() ? "" : "=\\fI" + text(o.paramLabel()) + "\\fR"));
                }
                r.append(String.join(", ", names)).append('\n').append(describe(o));
            }
        }
        List<CommandLine> subs = cl.getSubcommands().values().stream()
                .filter(s -> !s.getCommandSpec().usageMessage().hidden() && !s.getCommandName().equals("help")).toList();
        if (!subs.isEmpty()) {
            r.append(".SH COMMANDS\n");
            for (CommandLine s : subs) {
                r.append(".TP\n\\fB").append(text(s.getCommandName())).append("\\fR\n").append(text(summary(s.getCommandSpec())))
                        .append(" See \\fB").append(text(pageName(s.getCommandSpec()))).append("\\fR(1).\n");
            }
        }
        String[] footer = spec.usageMessage().footer();
        if (footer.length > 0 && String.join("", footer).strip().length() > 0) {
            r.append(".SH EXAMPLES\n.nf\n");
            List<String> f = new ArrayList<>(List.of(footer));
            while (!f.isEmpty() && f.get(0).isBlank()) {
                f.remove(0);
            }
            if (!f.isEmpty() && f.get(0).strip().matches("Examples?:")) {
                f.remove(0);
            }
            r.append(lines(String.join("\n", f))).append(".fi\n");
        }
        if (spec.parent() != null) {
            r.append(".SH SEE ALSO\n\\fB").append(text(pageName(spec.parent()))).append("\\fR(1)\n");
        }
        return r.toString();
    }

    /** The one-line summary that the command list of {@code --help} shows. */
    static String summary(CommandSpec spec) {
        String[] header = spec.usageMessage().header();
        if (header.length > 0) {
            return header[0];
        }
        String[] d = spec.usageMessage().description();
        return d.length > 0 ? d[0] : "";
    }

    private static String describe(ArgSpec a) {
        String d = String.join(" ", a.description()).replace("${DEFAULT-VALUE}", String.valueOf(a.defaultValue()))
                .replace("${COMPLETION-CANDIDATES}", a.completionCandidates() == null ? ""
                        : String.join(", ", a.completionCandidates()));
        return text(d.strip()) + "\n";
    }

    /** Help's description lines as filled paragraphs; an empty line starts the next. */
    private static String paragraphs(List<String> lines) {
        StringBuilder r = new StringBuilder();
        StringBuilder p = new StringBuilder();
        for (String l : lines) {
            if (l.isBlank()) {
                if (p.length() > 0) {
                    r.append(text(p.toString().strip())).append("\n.PP\n");
                    p.setLength(0);
                }
            } else {
                p.append(l.strip()).append(' ');
            }
        }
        if (p.length() > 0) {
            r.append(text(p.toString().strip())).append('\n');
        }
        return r.toString();
    }

    /** Literal lines (for .nf blocks). */
    private static String lines(String block) {
        StringBuilder r = new StringBuilder();
        for (String l : block.split("\n", -1)) {
            r.append(l.isEmpty() ? "" : text(l)).append('\n');
        }
        return r.toString();
    }

    /** Text escaped for roff: backslashes and hyphens, and a leading dot or quote that would start a request. */
    static String text(String s) {
        StringBuilder e = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (c == '\\') {
                e.append("\\e");
            } else if (c == '-') {
                e.append("\\-");
            } else if (c < 0x80) {
                e.appendCodePoint(c);
            } else {
                e.append(String.format("\\[u%04X]", c)); // roff's Unicode character escape: the page is ASCII
            }
        });
        String t = e.toString();
        StringBuilder r = new StringBuilder();
        for (String line : t.split("\n", -1)) {
            if (r.length() > 0) {
                r.append('\n');
            }
            r.append(line.startsWith(".") || line.startsWith("'") ? "\\&" + line : line);
        }
        return r.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "\\(dq") + "\"";
    }
}
