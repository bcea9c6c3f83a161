package org.liaison.cli.audit;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.cli.FederationOptions;
import org.liaison.cli.Main;
import org.liaison.cli.UserException;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.config.UserProfile;
import org.liaison.protocol.directory.FederationDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Copy your node's audit log over its local API (auditor certificate) and verify it.", "",
            "Give your auditor profile with --profile or LIAISON_PROFILE. The copy goes into a new folder and is verified",
            "with the key the node sent, which must be one the signed directory lists for the authority; then use the other",
            "audit commands on that folder."},
        footer = {"", "Example:",
            "  liaison --profile federation/AL-PP/users/auditor audit pull --out al-pp-audit",
            "  liaison audit query al-pp-audit --type receive,fetch"})
final class PullCommand implements Callable<Integer> {
    private static final int MAX_KEY = 1024;
    static final String LATEST = "latest.checkpoint";
    /** The node's latest checkpoint with its witnesses' cosignatures, as pulled (from schema 1.4). */
    static final String COSIGNED = "cosigned.note";
    /** What a witness of the node's log holds (its latest cosigned checkpoint), as pulled: {@code witness-ID.note}. */
    static final String WITNESS_PREFIX = "witness-";
    private static final int MAX_NOTE = WitnessNotes.MAX_NOTE;

    @Spec
    CommandSpec spec;

    @ParentCommand
    AuditCommand audit;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "A new folder for the copy.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (Files.exists(out)) {
            throw new UserException(out + " already exists; pull refuses to overwrite: give a new folder");
        }
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + out.getFileName() + ".");
        String key;
        FederationDirectory directory;
        java.util.List<String> asked;
        try {
            try (InputStream raw = new LocalClient(audit.root.profile()).withProgressOnTerminal(true).auditLog();
                    DataInputStream in = new DataInputStream(raw)) {
                int n = in.readInt();
                if (n <= 0 || n > MAX_KEY) {
                    throw new UserException("the gateway sent a malformed audit log copy");
                }
                key = new String(in.readNBytes(n), StandardCharsets.UTF_8);
                directory = checkListed(key);
                copy(in, tmp.resolve(FileAuditLog.CHECKPOINTS));
                copy(in, tmp.resolve(FileAuditLog.ENTRIES));
                byte[] cosigned = cosigned(in);
                if (cosigned.length > 0) {
                    SecureFiles.writeNew(tmp.resolve(COSIGNED), cosigned, false);
                }
            }
            asked = askWitnesses(tmp);
            SecureFiles.writeNew(tmp.resolve(FileAuditLog.VERIFIER_KEY), (key + "\n").getBytes(StandardCharsets.UTF_8), false);
            java.util.List<String> notes = AuditLogVerifier.notes(tmp);
            if (!notes.isEmpty()) {
                // Keep it: a later copy must extend it (audit verify --held).
                SecureFiles.writeNew(tmp.resolve(LATEST), notes.get(notes.size() - 1).getBytes(StandardCharsets.UTF_8), false);
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            for (String f : new String[] {FileAuditLog.CHECKPOINTS, FileAuditLog.ENTRIES, FileAuditLog.VERIFIER_KEY, LATEST, COSIGNED}) {
                Files.deleteIfExists(tmp.resolve(f));
            }
            try (var left = Files.newDirectoryStream(tmp, WITNESS_PREFIX + "*.note")) {
                for (Path f : left) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(tmp);
            throw e;
        }
        AuditLogVerifier.Report r = AuditLogVerifier.verify(out, key);
        PrintWriter o = spec.commandLine().getOut();
        o.println("pulled " + r.entries() + " entries and " + r.checkpoints() + " signed checkpoints into " + out);
        o.println("the node's log key: " + key);
        if (Files.exists(out.resolve(LATEST))) {
            o.println("keep " + out.resolve(LATEST) + ": the next copy must extend it (liaison audit verify NEXT --held " + out.resolve(LATEST)
                    + ")");
        }
        asked.forEach(l -> o.println("witnesses: " + printable(l)));
        // The witnesses: the node's cosigned checkpoint and each witness's latest against the directory's quorum for its
        // log, and against this copy (a witness that cosigned another history at a size this copy covers: a split view).
        Witnessed.Report w = Witnessed.check(directory, key, AuditLogVerifier.entries(out), Witnessed.files(out, List.of()));
        w.lines().forEach(l -> o.println("witnesses: " + l));
        w.problems().forEach(p -> o.println("FAIL  " + printable(p)));
        if (w.witnessed() && !w.quorumMet()) {
            // Not a failure of the copy: a node's witnesses cosign a few seconds after its log grows (and not while they
            // are down). 'audit verify COPY --federation F' is the check that fails without the quorum.
            o.println("QUORUM NOT MET (yet): no checkpoint of this copy carries the cosignatures the directory's witness policy demands"
                    + (Files.exists(out.resolve(COSIGNED)) ? "" : " (the node sent no cosigned checkpoint)")
                    + "; check again with 'liaison audit verify " + out + " --federation DIR' after a later pull");
        }
        if (r.valid() && w.problems().isEmpty()) {
            o.println("VALID: the last checkpoint covers " + r.verifiedSize() + " entries");
            return Main.OK;
        }
        if (r.valid()) {
            o.println("NOT WITNESSED: the copy's hashes and signatures are intact, but its witnesses' cosignatures fail the"
                    + " directory's policy or show another history (see above)");
            return Main.FAILED;
        }
        r.problems().forEach(p -> o.println("FAIL  " + printable(p)));
        o.println("INVALID: the copy does not verify");
        return Main.FAILED;
    }

    /**
     * The key the node sent must be one the signed directory lists for its authority (when the
     * directory lists any): a node cannot hand its auditors a log signed under a key of its choosing.
     */
    private FederationDirectory checkListed(String key) throws Exception {
        Path profileDir = audit.root.profile();
        UserProfile profile = UserProfile.load(profileDir);
        FederationOptions federation = new FederationOptions();
        federation.federationDir(profileDir.resolve(profile.federation()).normalize());
        FederationDirectory d = federation.verifiedDirectory(java.time.Instant.now());
        AuthorityId id = AuthorityId.of(profile.authority());
        if (!d.require(id).acceptsAuditLogKey(key)) {
            throw new UserException("the gateway signs its audit log with a key (" + key + ") that directory #" + d.sequence()
                    + " does not list for " + id + ": this copy is not trusted and was not kept; tell the federation operator");
        }
        return d;
    }

    /** The cosigned checkpoint after the entries (schema 1.4); none from a node before it (the copy ends there). */
    private static byte[] cosigned(DataInputStream in) throws java.io.IOException {
        int n;
        try {
            n = in.readInt();
        } catch (java.io.EOFException before14) {
            return new byte[0];
        }
        if (n < 0 || n > MAX_NOTE) {
            throw new UserException("the gateway sent a malformed audit log copy");
        }
        byte[] note = in.readNBytes(n);
        if (note.length != n) {
            throw new UserException("the audit log copy ended early; try again");
        }
        return note;
    }

    private static void copy(DataInputStream in, Path file) throws java.io.IOException {
        long left = in.readLong();
        if (left < 0) {
            throw new UserException("the gateway sent a malformed audit log copy");
        }
        try (OutputStream o = Files.newOutputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            while (left > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    throw new UserException("the audit log copy ended early; try again");
                }
                o.write(buf, 0, r);
                left -= r;
            }
        }
    }

    /**
     * Keeps what each witness of the node's log holds (its latest cosigned checkpoint, asked through the node) as
     * {@code witness-ID.note}; returns a line for each witness that could not be asked. A node before this version
     * has no such route: said so, nothing kept.
     */
    private java.util.List<String> askWitnesses(Path dir) throws java.io.IOException {
        java.util.List<String> lines = new java.util.ArrayList<>();
        com.fasterxml.jackson.databind.JsonNode rows;
        try {
            rows = new LocalClient(audit.root.profile()).get(org.liaison.gateway.local.LocalApi.AUDIT_WITNESSES);
        } catch (UserException | java.io.IOException | java.security.GeneralSecurityException e) {
            lines.add("the node did not ask its witnesses: " + e.getMessage());
            return lines;
        }
        lines.addAll(WitnessNotes.keep(rows, dir));
        return lines;
    }
}
