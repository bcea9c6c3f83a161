package org.liaison.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        header = "Check a node's set-up before and after a change, one line per check.",
        description = {"Check a node's set-up before and after a change, one line per check: the configuration, the",
            "keystores, the directory (signature, freshness) and this node's certificates in it, the store (a PostgreSQL",
            "database reachable with its password), how long each",
            "certificate, CRL and the directory stay valid, free disk in the data folder, the ports (free, or held by",
            "this node), and each peer's gateway: reachable over mutual TLS with the certificate the directory lists,",
            "and its clock's offset from this machine's.",
            "It changes nothing and can run beside the running node (as the user the node runs as).",
            "Status: ok, warn (act soon: a certificate expires within 30 days, a CRL's next update is within 2 days, a",
            "peer is unreachable, clocks differ by 30 s or more), FAIL (the node cannot work as configured).",
            "Exit code 0 when nothing failed, 1 otherwise."},
        footer = {"", "Examples:",
            "  liaison doctor --config federation/IT-DNA/node.yaml",
            "  liaison doctor --config /etc/liaison/node.yaml --json --no-peers"})
public final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The node configuration (node.yaml).")
    Path config;

    @Option(names = "--json", description = "Print the checks as JSON.")
    boolean json;

    @Option(names = "--no-peers", description = "Do not connect to the peers' gateways.")
    boolean noPeers;

    @Option(names = "--min-free", paramLabel = "MiB", defaultValue = "1024",
            description = "Free disk in the data folder below which the check fails (default: ${DEFAULT-VALUE} MiB).")
    long minFreeMib;

    @Override
    public Integer call() {
        if (minFreeMib < 0) {
            throw new UserException("--min-free: " + minFreeMib + " (expected: MiB, 0 or more)");
        }
        Doctor.Limits d = Doctor.Limits.DEFAULT;
        Doctor.Limits limits = new Doctor.Limits(d.certificateWarning(), d.crlWarning(), minFreeMib << 20, d.clockWarning(),
                d.clockFailure(), d.peerTimeout(), !noPeers);
        List<Doctor.Check> checks = Doctor.examine(config, limits, Clock.systemUTC());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(Doctor.asMaps(checks)));
        } else {
            int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(10);
            for (Doctor.Check c : checks) {
                String s = c.status() == Doctor.Status.FAIL ? "FAIL" : c.status().name().toLowerCase(Locale.ROOT);
                out.printf("%-4s  %-" + width + "s  %s%n", s, c.name(), c.detail());
            }
            long failed = checks.stream().filter(c -> c.status() == Doctor.Status.FAIL).count();
            long warned = checks.stream().filter(c -> c.status() == Doctor.Status.WARN).count();
            out.println(failed == 0 ? (warned == 0 ? "All " + checks.size() + " checks passed." : "No check failed; " + warned
                    + " warning(s).") : failed + " check(s) failed.");
        }
        out.flush();
        return Doctor.failed(checks) ? Main.FAILED : Main.OK;
    }
}
