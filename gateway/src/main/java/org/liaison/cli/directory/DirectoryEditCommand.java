package org.liaison.cli.directory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Pem;
import org.liaison.certs.Suite;
import org.liaison.cli.NewFile;
import org.liaison.cli.UserException;
import org.liaison.gateway.tls.HybridTls;
import org.liaison.protocol.directory.DirectoryEdits;
import org.liaison.protocol.directory.DirectoryEdits.Purpose;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.tlog.Cosignature;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "edit", mixinStandardHelpOptions = true,
        description = {"Prepare the next edition of the directory (an unsigned draft) for a key rotation.",
            "The draft gets the next sequence number, is issued now and is valid as long as the edition it follows.",
            "Edits apply in this order: --add, --use, --remove, --suite. PURPOSE is tls, signing, encryption, kem (the",
            "ML-KEM-768 certificate of a pq-hybrid encryption key, FILE-kem.pem; --add and --remove only), audit (the",
            "audit log's verifier key, given as the key or a log.vkey file; --add and --remove only), tls-group (hybrid",
            "TLS key exchange the gateway announces: tls-group=X25519MLKEM768; --add and --remove only; see docs/operators.md),",
            "or witness (the node's witness key, a vkey; --add and --remove only).",
            "  --witnesses K:ID,ID sets who witnesses the authority's audit log and how many must cosign (none: unwitnessed).",
            "  --add lists a new certificate after those in use: peers accept it from now on, nothing uses it yet.",
            "  --use lists a certificate first: for encryption, the one senders seal to from now on.",
            "  --remove withdraws a certificate: peers refuse it from now on.",
            "Sign the draft with 'liaison directory sign' and publish it to every node (each reloads it by itself).",
            "See the key rotation runbook in deploy/README.md for the order of the steps."},
        footer = {"", "Example (announce Italy's new TLS certificate, then sign):",
            "  liaison directory edit federation/directory.xml --authority IT-DNA --add tls=new-tls.pem --out draft.xml",
            "  liaison directory sign draft.xml --key federation/operator/directory-signing.p12 \\",
            "      --password-file federation/operator/directory-signing.password --out directory-2.xml",
            "Example (move Albania to pq-hybrid: announce, then use, its new hybrid encryption key):",
            "  liaison directory edit directory.xml --authority AL-PP --add encryption=enc2.pem --add kem=enc2-kem.pem --out d2.xml",
            "  liaison directory edit directory-2.xml --authority AL-PP --use encryption=enc2.pem --suite pq-hybrid --out d3.xml"})
public final class DirectoryEditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIRECTORY", description = "The directory in force (signed) or a draft.")
    Path input;

    @Option(names = "--authority", required = true, paramLabel = "ID", description = "The authority whose certificates change.")
    String authority;

    @Option(names = "--add", paramLabel = "PURPOSE=FILE.pem", description = "Announce a certificate or audit log key (repeatable).")
    List<String> add = new ArrayList<>();

    @Option(names = "--use", paramLabel = "PURPOSE=FILE.pem|SHA256", description = "List a certificate first (repeatable).")
    List<String> use = new ArrayList<>();

    @Option(names = "--remove", paramLabel = "PURPOSE=FILE.pem|SHA256", description = "Withdraw a certificate (repeatable).")
    List<String> remove = new ArrayList<>();

    @Option(names = "--suite", split = ",", paramLabel = "SUITE",
            description = "Set the suites the authority announces (modern, rsa, pq-hybrid; comma-separated).")
    List<String> suites = new ArrayList<>();
    @Option(names = "--witnesses", paramLabel = "K:ID,ID|none", description = "Who witnesses the log, and the quorum K.")
    String witnesses;

    @Mixin
    NewFile out;

    @Override
    public Integer call() throws Exception {
        out.refuseIfExists();
        if (add.isEmpty() && use.isEmpty() && remove.isEmpty() && suites.isEmpty() && witnesses == null) {
            throw new UserException("nothing to change: give --add, --use, --remove, --suite or --witnesses");
        }
        AuthorityId id;
        try {
            id = AuthorityId.of(authority);
        } catch (IllegalArgumentException e) {
            throw new UserException("--authority: " + e.getMessage());
        }
        Directory d = DirectoryEdits.read(Files.readAllBytes(input));
        long from = d.getSequence();
        for (String a : add) {
            String[] pv = split(a, "--add");
            if (pv[0].equals(AUDIT)) {
                DirectoryEdits.addAuditLogKey(d, id, auditKey(pv[1]));
            } else if (pv[0].equals(TLS_GROUP)) {
                DirectoryEdits.addTlsGroup(d, id, pv[1], HybridTls.GROUPS);
            } else if (pv[0].equals(WITNESS)) {
                DirectoryEdits.addWitnessKey(d, id, witnessKey(pv[1]));
            } else {
                DirectoryEdits.add(d, id, purpose(pv[0]), certificate(pv[1]));
            }
        }
        for (String u : use) {
            String[] pv = split(u, "--use");
            DirectoryEdits.use(d, id, purpose(pv[0]), fingerprint(pv[1]));
        }
        for (String r : remove) {
            String[] pv = split(r, "--remove");
            if (pv[0].equals(AUDIT)) {
                DirectoryEdits.removeAuditLogKey(d, id, auditKey(pv[1]));
            } else if (pv[0].equals(TLS_GROUP)) {
                DirectoryEdits.removeTlsGroup(d, id, pv[1]);
            } else if (pv[0].equals(WITNESS)) {
                DirectoryEdits.removeWitnessKey(d, id, witnessKey(pv[1]));
            } else {
                DirectoryEdits.remove(d, id, purpose(pv[0]), fingerprint(pv[1]));
            }
        }
        if (!suites.isEmpty()) {
            List<Suite> list = new ArrayList<>();
            for (String s : suites) {
                try {
                    list.add(Suite.fromId(s.trim()));
                } catch (IllegalArgumentException e) {
                    throw new UserException("--suite: " + e.getMessage());
                }
            }
            DirectoryEdits.suites(d, id, list);
        }
        if (witnesses != null) {
            WitnessOption w = WitnessOption.parse(witnesses);
            DirectoryEdits.setWitnesses(d, id, w.quorum(), w.ids());
        }
        DirectoryEdits.nextEdition(d, Instant.now().truncatedTo(ChronoUnit.SECONDS));
        out.write(SecureXml.serialize(Formats.toDocument(d)));
        spec.commandLine().getOut().println("Draft of directory #" + d.getSequence() + " (follows #" + from + ") -> " + out
                + "; sign it with 'liaison directory sign'");
        return 0;
    }

    private static String[] split(String s, String option) {
        int eq = s.indexOf('=');
        if (eq <= 0 || eq == s.length() - 1) {
            throw new UserException(option + " " + s + ": expected PURPOSE=VALUE, e.g. tls=new-tls.pem");
        }
        return new String[] {s.substring(0, eq), s.substring(eq + 1)};
    }

    private static final String AUDIT = "audit";
    private static final String TLS_GROUP = "tls-group";
    private static final String WITNESS = "witness";

    /** A witness key (vkey), given as itself or as a file holding it. */
    private static String witnessKey(String value) {
        String key = value;
        if (!value.contains("+") && Files.exists(Path.of(value))) {
            try {
                key = Files.readString(Path.of(value)).strip();
            } catch (java.io.IOException e) {
                throw new UserException("cannot read " + value + ": " + e.getMessage());
            }
        }
        try {
            Cosignature.WitnessKey.parse(key);
        } catch (IllegalArgumentException e) {
            throw new UserException("not a witness key (NAME+keyid+key, as 'liaison doctor' prints it): " + e.getMessage());
        }
        return key;
    }

    /** {@code --witnesses K:ID,ID} or {@code none}. */
    record WitnessOption(int quorum, List<AuthorityId> ids) {
        static WitnessOption parse(String s) {
            if (s.equals("none")) {
                return new WitnessOption(0, List.of());
            }
            int colon = s.indexOf(':');
            try {
                int k = Integer.parseInt(s.substring(0, Math.max(colon, 0)));
                List<AuthorityId> ids = new ArrayList<>();
                for (String id : s.substring(colon + 1).split(",")) {
                    ids.add(AuthorityId.of(id.strip()));
                }
                return new WitnessOption(k, ids);
            } catch (IllegalArgumentException e) {
                throw new UserException("--witnesses " + s + ": expected K:ID,ID (e.g. 2:AL-PP,US-OIA) or none (" + e.getMessage() + ")");
            }
        }
    }

    /** An audit log verifier key (NAME+hash+key), given as itself or as a file holding it (log.vkey). */
    private static String auditKey(String value) {
        String key = value;
        if (!value.contains("+") && Files.exists(Path.of(value))) {
            try {
                key = Files.readString(Path.of(value)).strip();
            } catch (java.io.IOException e) {
                throw new UserException("cannot read " + value + ": " + e.getMessage());
            }
        }
        if (!key.matches("[A-Za-z0-9._/-]{1,64}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]{44}")) {
            throw new UserException("not an audit log verifier key (NAME+hash+key, as in the log's log.vkey): " + value);
        }
        return key;
    }

    private static Purpose purpose(String s) {
        try {
            return Purpose.of(s);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    private static X509Certificate certificate(String file) {
        try {
            return Pem.readCertificate(Path.of(file));
        } catch (Exception e) {
            throw new UserException("cannot read a certificate from " + file + ": " + e.getMessage());
        }
    }

    /** A SHA-256 fingerprint in hex, or a PEM file whose first certificate's fingerprint it is. */
    private static Fingerprint fingerprint(String value) {
        if (value.matches("(?i)[0-9a-f:]{64,95}") && !Files.exists(Path.of(value))) {
            try {
                return Fingerprint.parse(value.replace(":", ""));
            } catch (IllegalArgumentException e) {
                throw new UserException("not a SHA-256 fingerprint: " + value);
            }
        }
        return Fingerprint.of(certificate(value));
    }
}
