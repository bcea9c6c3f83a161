package org.liaison.cli.local;

import static org.liaison.protocol.UntrustedText.printable;

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
import org.liaison.certs.SecureFiles;
import org.liaison.cli.FederationOptions;
import org.liaison.cli.Json;
import org.liaison.cli.LiaisonCommand;
import org.liaison.cli.UserException;
import org.liaison.gateway.config.UserProfile;
import org.liaison.gateway.store.SequentialFile;
import org.liaison.gateway.store.SequentialReader;
import org.liaison.protocol.ProtocolException;
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
            "folder) and every file's SHA-256. Writes DIR/manifest.xml and DIR/files/; never overwrites anything.", "",
            "A download that breaks (a lost connection, a closed laptop, Ctrl-C) is kept in .DIR.partial next to DIR:",
            "the same command again asks the gateway for the rest only, and the verification covers every file whole."},
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
        Path tmp = partial(parent);
        boolean discard = false; // what arrived is kept for the next attempt unless it proved to be no good
        try {
            try {
                download(profileDir, tmp);
            } catch (IOException e) {
                // The gateway ends the answer early when it cannot read the message back as it stored it.
                Path kept = tmp;
                throw new UserException("the download of message " + id + " broke partway (" + e.getMessage() + "): the connection"
                        + " broke, or the gateway cannot read the message as stored. What arrived is kept in " + kept + "; run the"
                        + " same command again to fetch the rest. If it breaks again at the same point, tell your gateway's operator"
                        + " (the node logged it)");
            }
            FederationOptions trust = new FederationOptions();
            trust.federationDir(profileDir.resolve(profile.federation()).normalize());
            EvidenceFolder.Report report = EvidenceFolder.verify(tmp, trust.trust(Instant.now()), Instant.now(),
                    SequentialReader::open); // what it just wrote past the page cache, read the same way
            PrintWriter o = spec.commandLine().getOut();
            if (!report.valid()) {
                for (EvidenceFolder.Check c : report.checks()) {
                    o.printf("%s  %-24s %s%n", c.ok() ? "ok  " : "FAIL", printable(c.what()), printable(c.detail()));
                }
                discard = true;
                throw new UserException("the package does not verify; nothing was kept");
            }
            Files.delete(tmp.resolve(MESSAGE_ID));
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
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
                    o.printf("ok    %-24s %s%n", printable(c.what()), printable(c.detail())); // names chosen by the sender
                }
                o.println("Saved and verified in " + out);
            }
            return 0;
        } finally {
            if (discard) {
                SecureFiles.deleteTree(tmp);
            }
        }
    }

    /** In the partial folder: the id of the message being downloaded into it. */
    static final String MESSAGE_ID = ".message-id";

    /**
     * The folder a download goes into until it is verified: {@code .DIR.partial}, private to the user. One
     * left by a broken download of the same message is kept (the download resumes); any other goes.
     */
    private Path partial(Path parent) throws IOException {
        Path tmp = parent.resolve("." + out.getFileName() + ".partial");
        Path marker = tmp.resolve(MESSAGE_ID);
        if (Files.isDirectory(tmp) && Files.exists(marker) && Files.readString(marker).equals(id)) {
            return tmp;
        }
        if (Files.exists(tmp)) {
            SecureFiles.deleteTree(tmp);
        }
        Files.createDirectory(tmp, privateFolder());
        Files.writeString(marker, id);
        return tmp;
    }

    private static java.nio.file.attribute.FileAttribute<?>[] privateFolder() {
        return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                ? new java.nio.file.attribute.FileAttribute<?>[] {java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"))}
                : new java.nio.file.attribute.FileAttribute<?>[0];
    }

    /**
     * Downloads the package into {@code tmp}: DIR/manifest.xml and DIR/files/. What a broken download
     * left there counts (its manifest whole, then each file's bytes in order) and the rest is asked for;
     * nothing kept is trusted, since the whole folder is verified afterwards.
     */
    private void download(Path profileDir, Path tmp) throws IOException, java.security.GeneralSecurityException,
            ProtocolException {
        Path manifestFile = tmp.resolve(EvidenceFolder.MANIFEST);
        Path files = tmp.resolve(EvidenceFolder.FILES);
        Manifest m = null;
        long have = 0;
        if (Files.exists(manifestFile)) {
            try {
                byte[] manifest = Files.readAllBytes(manifestFile);
                m = Formats.fromElement(SecureXml.parse(manifest, XmlLimits.DEFAULT).getDocumentElement(), Manifest.class);
                have = 4L + manifest.length;
                for (File f : m.getFile()) {
                    Path target = files.resolve(f.getName()).normalize();
                    long size = target.getParent().equals(files) && Files.exists(target) ? Files.size(target) : 0;
                    have += Math.min(size, f.getSize());
                    if (size < f.getSize()) {
                        break;
                    }
                }
            } catch (IOException | ProtocolException | RuntimeException unusable) {
                m = null;
                have = 0;
            }
        }
        if (m != null && have == 4L + Files.size(manifestFile) + m.getFile().stream().mapToLong(File::getSize).sum()) {
            // Every byte arrived: only empty files may be missing, and there is nothing left to ask the gateway for.
            writeFiles(m, files, new DataInputStream(InputStream.nullInputStream()));
            return;
        }
        LocalClient.Download d = new LocalClient(profileDir).withProgressOnTerminal(!json).fetch(id, have);
        if (d.from() == 0 && have > 0) { // the gateway sends the whole: start again
            m = null;
        }
        if (m != null && !json) {
            spec.commandLine().getErr().printf("Resuming the download of %s at byte %d of %d.%n", id, d.from(), d.length());
        }
        try (DataInputStream in = new DataInputStream(d.body())) {
            if (m == null) {
                SecureFiles.deleteTree(files);
                int n = in.readInt();
                if (n <= 0 || n > XmlLimits.DEFAULT.maxBytes()) {
                    throw new UserException("the gateway sent a malformed package");
                }
                byte[] manifest = in.readNBytes(n);
                m = Formats.fromElement(SecureXml.parse(manifest, XmlLimits.DEFAULT).getDocumentElement(), Manifest.class);
                SecureFiles.writeAtomically(manifestFile, manifest, false);
            }
            writeFiles(m, files, in);
        }
    }

    /** Writes (or completes) each file of the package in order from {@code in}; an empty file is created too. */
    private static void writeFiles(Manifest m, Path files, DataInputStream in) throws IOException {
        Files.createDirectories(files);
        for (File f : m.getFile()) {
            Path target = files.resolve(f.getName()).normalize();
            if (!target.getParent().equals(files)) {
                throw new UserException("the package names an unsafe file name: " + f.getName());
            }
            boolean exists = Files.exists(target);
            long kept = exists ? Math.min(Files.size(target), f.getSize()) : 0;
            if (kept == f.getSize()) {
                if (!exists) { // no byte to stream, but the file is part of the package all the same
                    Files.createFile(target);
                }
                continue;
            }
            // Written in large blocks, a large file past the page cache; what arrived is kept when the stream breaks.
            try (SequentialFile out = SequentialFile.continueAt(target, kept,
                    f.getSize())) {
                long copied = copy(in, out.stream(false), f.getSize() - kept);
                if (copied != f.getSize() - kept) {
                    throw new java.io.EOFException("it ended inside " + f.getName());
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
