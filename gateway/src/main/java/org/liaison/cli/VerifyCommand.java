package org.liaison.cli;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.gateway.config.UserProfile;
import org.liaison.gateway.store.SequentialReader;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.pkg.EvidenceFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify an evidence package folder offline: signature, certificate, every file.", "",
            "Checks the investigator's signature on the manifest, the",
            "investigator's certificate (chain to their national CA from the directory, revocation, role), and every",
            "file's size and SHA-256. One line per check; exit code 0 only if every check holds."},
        footer = {"", "Examples:",
            "  liaison verify received/OP-CORRIDOR-2026 --federation federation",
            "  liaison verify pkg --directory directory.xml --operator-ca operator.pem --operator-crl operator.crl \\",
            "      --crl it-dna.crl --at 2026-11-28T12:00:00Z --json"})
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Package folder: manifest.xml and files/.")
    Path dir;

    @Mixin
    FederationOptions federation;

    @picocli.CommandLine.ParentCommand
    LiaisonCommand root;

    @Option(names = "--at", paramLabel = "TIME", description = "Check certificates at this instant (ISO-8601) instead of now.")
    String at;

    @Option(names = "--json", description = "Print the checks as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) {
            throw new UserException(dir + " is not a folder; give the folder that holds manifest.xml");
        }
        Instant when = Main.instantOrNow("--at", at);
        if (federation.directory == null && federation.federation == null && root != null && root.profileIfAny() != null) {
            // With a profile and nothing else, trust what the profile's federation folder holds.
            Path profile = root.profileIfAny();
            federation.federationDir(profile.resolve(UserProfile.load(profile).federation()).normalize());
        }
        Trust trust = federation.trust(Instant.now());
        EvidenceFolder.Report report = EvidenceFolder.verify(dir, trust, when, SequentialReader::open);
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("valid", report.valid());
            List<Map<String, Object>> checks = new ArrayList<>();
            for (EvidenceFolder.Check c : report.checks()) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("ok", c.ok());
                x.put("check", c.what());
                x.put("detail", c.detail());
                checks.add(x);
            }
            m.put("checks", checks);
            if (report.manifest() != null) {
                m.put("case", report.manifest().manifest().getCase());
                m.put("from", report.manifest().from().value());
            }
            o.println(Json.write(m));
        } else {
            for (EvidenceFolder.Check c : report.checks()) {
                o.printf("%s  %-24s %s%n", c.ok() ? "ok  " : "FAIL", printable(c.what()), printable(c.detail()));
            }
            o.println(report.valid() ? "VALID: every check holds." : "INVALID: do not rely on this package.");
        }
        return report.valid() ? Main.OK : Main.FAILED;
    }
}
