package org.liaison.cli.local;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.cli.FederationOptions;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.cli.UserException;
import org.liaison.gateway.config.UserProfile;
import org.liaison.protocol.model.File;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.pkg.EvidenceFolder;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = {"Download a received package and verify it before keeping it.", "",
            "Your gateway decrypts the package; this command verifies, before keeping anything,",
            "the sending investigator's signature and certificate (against the directory and CRLs of your federation",
            "folder) and every file's SHA-256. Writes DIR/manifest.xml and DIR/files/; never overwrites anything."},
        footer = {"", "Example:", "  liaison --profile federation/AL-PP/users/investigator fetch 3f2a0c7e-… --out received/request-1"})
public final class FetchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    LiaisonCommand root;

    @Parameters(paramLabel = "ID", description = "The message id (see `liaison inbox`).")
    String id;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "A new folder for the package.")
    Path out;

    @Option(names = "--json", description = "Print the verification as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out)) {
            throw new UserException(out + " already exists; fetch refuses to overwrite: give a new folder");
        }
        Path profileDir = root.profile();
        UserProfile profile = UserProfile.load(profileDir);
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + out.getFileName() + ".");
        try {
            try {
                download(profileDir, tmp);
            } catch (IOException e) {
                // The gateway ends the answer early when it cannot read the message back as it stored it.
                throw new UserException("the gateway stopped sending message " + id + " partway (" + e.getMessage() + "): it may be"
                        + " unable to read it as stored, or the connection broke; nothing was kept. Fetch again; if it happens again,"
                        + " tell your gateway's operator (the node logged it)");
            }
            FederationOptions trust = new FederationOptions();
            trust.federationDir(profileDir.resolve(profile.federation()).normalize());
            EvidenceFolder.Report report = EvidenceFolder.verify(tmp, trust.trust(Instant.now()), Instant.now());
            PrintWriter o = spec.commandLine().getOut();
            if (!report.valid()) {
                for (EvidenceFolder.Check c : report.checks()) {
                    o.printf("%s  %-24s %s%n", c.ok() ? "ok  " : "FAIL", c.what(), c.detail());
                }
                throw new UserException("the package does not verify; nothing was kept");
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
            if (json) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("messageId", id);
                r.put("folder", out.toString());
                r.put("from", report.manifest().from().value());
                r.put("case", report.manifest().manifest().getCase());
                r.put("files", report.manifest().manifest().getFile().size());
                r.put("verified", true);
                o.println(Json.write(r));
            } else {
                for (EvidenceFolder.Check c : report.checks()) {
                    o.printf("ok    %-24s %s%n", c.what(), c.detail());
                }
                o.println("Saved and verified in " + out);
            }
            return 0;
        } finally {
            if (tmp != null) {
                org.liaison.certs.SecureFiles.deleteTree(tmp);
            }
        }
    }

    /** Downloads the package into {@code tmp}: DIR/manifest.xml and DIR/files/. */
    private void download(Path profileDir, Path tmp) throws IOException, java.security.GeneralSecurityException,
            org.liaison.protocol.ProtocolException {
        try (InputStream raw = new LocalClient(profileDir).withProgressOnTerminal(!json).fetch(id); DataInputStream in = new DataInputStream(raw)) {
            int n = in.readInt();
            if (n <= 0 || n > XmlLimits.DEFAULT.maxBytes()) {
                throw new UserException("the gateway sent a malformed package");
            }
            byte[] manifest = in.readNBytes(n);
            Manifest m = Formats.fromElement(SecureXml.parse(manifest, XmlLimits.DEFAULT).getDocumentElement(), Manifest.class);
            Files.write(tmp.resolve(EvidenceFolder.MANIFEST), manifest);
            Path files = Files.createDirectory(tmp.resolve(EvidenceFolder.FILES));
            for (File f : m.getFile()) {
                Path target = files.resolve(f.getName()).normalize();
                if (!target.getParent().equals(files)) {
                    throw new UserException("the package names an unsafe file name: " + f.getName());
                }
                try (OutputStream o = Files.newOutputStream(target)) {
                    long copied = copy(in, o, f.getSize());
                    if (copied != f.getSize()) {
                        throw new java.io.EOFException("it ended inside " + f.getName());
                    }
                }
            }
        }
    }

    private static long copy(InputStream in, OutputStream o, long size) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                break;
            }
            o.write(buf, 0, n);
            left -= n;
        }
        return size - left;
    }
}
