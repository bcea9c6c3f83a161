package org.liaison.cli.evidence;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.Pem;
import org.liaison.certs.SecureFiles;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.cli.NewFile;
import org.liaison.cli.UserException;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.evidence.AsicE;
import org.liaison.gateway.evidence.EvidenceContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "evidence", mixinStandardHelpOptions = true,
        header = "Export a message's evidence as one sealed container, and check one offline.",
        description = {"Export a message's evidence as one sealed container, and check one offline.", "",
            "The container (ASiC-E, ETSI EN 319 162-1) holds the envelope, the receipts and notices, every evidence event this",
            "node issued about the message with its audit-log inclusion proof and time-stamp, the directory edition, the",
            "certificates and CRLs, sealed by the node with XAdES. 'verify' needs nothing but the file (and the root you trust)."},
        subcommands = {EvidenceCommand.Export.class, EvidenceCommand.Verify.class},
        footer = {"", "Examples:",
            "  liaison --profile federation/IT-DNA/users/investigator evidence export 3f2a… --out request.asice",
            "  liaison evidence verify request.asice --root federation/operator/ca/ca.pem --html request.html"})
public final class EvidenceCommand {
    @ParentCommand
    LiaisonCommand root;

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write the sealed evidence container of one message (yours, or your authority's for auditors).", "",
                "Investigators export the messages they sent or follow, and received ones they may open; auditors any of their",
                "authority's. The files of the package are referenced by their SHA-256 (in the signed manifest), not included."},
            footer = {"", "Example:", "  liaison --profile P evidence export 3f2a0c7e-… --out request.asice"})
    static final class Export implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ParentCommand
        EvidenceCommand parent;

        @Parameters(paramLabel = "MESSAGE-ID", description = "The message.")
        String id;

        @Mixin
        NewFile out;

        @Override
        public Integer call() throws Exception {
            out.refuseIfExists();
            byte[] zip;
            try (InputStream in = new LocalClient(parent.root.profile()).evidence(id)) {
                zip = in.readAllBytes();
            }
            out.write(zip);
            spec.commandLine().getOut().println("wrote " + out + " (" + zip.length + " bytes); check it with: liaison evidence verify " + out);
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check an evidence container offline and print the message's timeline.", "",
                "Checks the seal, the directory, each evidence's signature at its time, its audit-log inclusion proof and",
                "signed checkpoint, the time-stamps, the receipts and notices it names, and the deadline. Every failure names",
                "the item and the reason. Exit 0 only if everything holds."},
            footer = {"", "Examples:", "  liaison evidence verify request.asice --root operator-ca.pem",
                "  liaison evidence verify request.asice --json", "  liaison evidence verify request.asice --html request.html"})
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The container.")
        Path file;

        @Option(names = "--root", paramLabel = "CERT",
                description = "The federation operator's CA certificate (PEM) you trust (default: the container's own, not pinned).")
        Path root;

        @Option(names = "--directory", paramLabel = "FILE", description = "A signed directory you trust, instead of the container's.")
        Path directory;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @Option(names = "--html", paramLabel = "OUT", description = "Also write the report as a self-contained web page.")
        Path html;

        @Override
        public Integer call() throws Exception {
            if (!Files.isRegularFile(file)) {
                throw new UserException(file + " is not a file");
            }
            X509Certificate pinned = root == null ? null : Pem.readCertificate(root);
            EvidenceContainer.Report r;
            try {
                r = EvidenceContainer.verify(file, pinned, directory == null ? null : Files.readAllBytes(directory));
            } catch (AsicE.NotAContainer e) {
                throw new UserException(file + " is not an evidence container: " + e.getMessage());
            }
            PrintWriter o = spec.commandLine().getOut();
            if (html != null) {
                SecureFiles.writeAtomically(html, EvidenceHtml.render(r, file.getFileName().toString())
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
            }
            if (json) {
                o.println(Json.write(asMap(r)));
            } else {
                print(o, r);
            }
            return r.valid() ? 0 : 1;
        }
    }

    static Map<String, Object> asMap(EvidenceContainer.Report r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("valid", r.valid());
        m.put("messageId", r.messageId() == null ? null : r.messageId().toString());
        m.put("exporter", r.exporter());
        m.put("sealed", r.sealed() == null ? null : r.sealed().toString());
        m.put("sealTimestamped", r.sealTimestamped() == null ? null : r.sealTimestamped().toString());
        m.put("sealLevel", r.sealLevel());
        m.put("directorySequence", r.directorySequence());
        m.put("rootPinned", r.rootPinned());
        m.put("deadline", r.deadline());
        m.put("timeline", r.timeline().stream().map(e -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("time", e.time().toString());
            x.put("issuer", e.issuer());
            x.put("event", e.event());
            x.put("etsiEvent", e.etsi());
            x.put("file", e.file());
            x.put("proven", e.proven());
            x.put("problems", e.problems());
            return x;
        }).toList());
        m.put("problems", r.problems());
        return m;
    }

    static void print(PrintWriter o, EvidenceContainer.Report r) {
        o.println("Message " + r.messageId() + (r.exporter() == null ? "" : ", container sealed by " + r.exporter() + " at " + r.sealed())
                + (r.sealTimestamped() == null ? "" : " (time-stamped " + r.sealTimestamped() + ")")
                + (r.sealLevel() == null ? "" : ", XAdES " + r.sealLevel()));
        o.println("Directory edition #" + r.directorySequence() + (r.rootPinned() ? ", verified with the root you gave"
                : ", verified with the container's own operator CA (pass --root to pin the one you trust)"));
        o.println();
        for (EvidenceContainer.Event e : r.timeline()) {
            o.printf("%s  %-7s %-20s%s%n", e.time(), printable(e.issuer()), printable(e.event()),
                    e.etsi() == null ? "" : " (EN 319 522: " + e.etsi() + ")");
            for (String p : e.proven()) {
                o.println("      proven: " + printable(p));
            }
            for (String p : e.problems()) {
                o.println("      FAILED: " + printable(p));
            }
        }
        if (r.deadline() != null) {
            o.println();
            o.println("Deadline: " + r.deadline());
        }
        o.println();
        if (r.valid()) {
            o.println("VALID: every signature, proof and time-stamp in the container holds.");
        } else {
            o.println("INVALID: " + r.problems().size() + " problem(s):");
            for (String p : r.problems()) {
                o.println("  - " + printable(p));
            }
        }
    }
}
