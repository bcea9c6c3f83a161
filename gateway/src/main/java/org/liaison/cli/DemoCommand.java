package org.liaison.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CaStore;
import org.liaison.certs.Pem;
import org.liaison.certs.Role;
import org.liaison.certs.SecureFiles;
import org.liaison.certs.Suite;
import org.liaison.gateway.audit.AuditLogVerifier;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.evidence.AsicE;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.witness.WitnessWiring;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.MerkleTree;
import org.liaison.protocol.tlog.SignedNote;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The README's first command: a throwaway federation of three authorities with their nodes
 * running on loopback, and a story told by running the same `liaison` commands an investigator
 * would type: submit, status, inbox, fetch, verify, a reply, a JIT share, and refusals.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show Liaison at work: three authorities and their nodes on this machine, end to end.", "",
            "Three authorities (Italy, Albania, United States) with their gateway nodes running",
            "on loopback. An Italian investigator sends a signed, encrypted mutual-legal-assistance request with two",
            "evidence files to Albania; Albania's investigator fetches and verifies it, acknowledges it and answers, and",
            "Italy sees each stage; a US investigator shares a file with the joint investigation team; status shows the",
            "signed receipts; a colleague without clearance is refused. Everything happens in a",
            "temporary folder, removed at the end (keep it with --dir; keep the nodes up with --keep-running).", "",
            "The console tells the story; the nodes' own log lines (and their audit entries) go to DIR/logs/nodes.log,",
            "which is kept (also when the rest of a temporary folder is removed). --verbose shows them live instead."},
        footer = {"", "Examples:", "  liaison demo", "  liaison demo --suite rsa --dir demo-run", "  liaison demo --dir demo-run --keep-running",
            "  liaison demo --verbose                the nodes' log lines on the console, between the steps"})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.ParentCommand
    LiaisonCommand root;

    @Option(names = "--suite", defaultValue = "modern", paramLabel = "modern|rsa|pq-hybrid",
            description = "Crypto suite (default: ${DEFAULT-VALUE}; pq-hybrid adds ML-KEM-768 to content-key wrapping).")
    String suite;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work in this new folder instead of a temporary one, and keep it. "
            + "The package Albania received is left in DIR/received/AL-PP/OP-CORRIDOR-2026 for `liaison verify`.")
    Path workDir;

    @Option(names = "--keep-running", description = "Leave the three nodes running at the end and print commands to try (Ctrl-C stops).")
    boolean keepRunning;

    private static final AuthorityId IT = AuthorityId.of("IT-DNA");
    private static final AuthorityId AL = AuthorityId.of("AL-PP");
    private static final AuthorityId US = AuthorityId.of("US-OIA");
    private static final ObjectMapper JSON = new ObjectMapper();

    private PrintWriter out;
    private int receipts;
    private long bytes;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Suite s = Suite.fromId(suite);
        if (workDir != null && Files.exists(workDir) && Files.list(workDir).findAny().isPresent()) {
            throw new UserException(workDir + " is not empty; give a new folder to --dir");
        }
        long started = System.nanoTime();
        Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("liaison-demo-");
        boolean keepDir = workDir != null || keepRunning;
        // The story on the console; the nodes' log lines, audit entries included, in a file (live with --verbose).
        Path logs = dir.resolve("logs");
        DemoLogs demoLogs = root != null && root.verbose() ? null : DemoLogs.toFile(logs.resolve("nodes.log"));
        List<GatewayNode> nodes = new ArrayList<>();
        try {
            say("1. Three authorities join a federation: PKI, signed directory with a joint investigation team, one node each.");
            FederationSetup.Result fed = FederationSetup.create(dir.resolve("federation"), List.of(IT, AL, US), s,
                    Instant.now().truncatedTo(ChronoUnit.SECONDS), Duration.ofDays(365));
            for (AuthorityId id : List.of(IT, AL, US)) {
                GatewayNode n = GatewayNode.start(fed.dir().resolve(id.value()).resolve(FederationSetup.NODE_CONFIG));
                nodes.add(n);
                out.printf("   %-7s node up: peer API on 127.0.0.1:%d, local API on 127.0.0.1:%d (%s suite)%n", id, n.peerPort(),
                        n.localPort(), s.id());
            }
            String itUser = profile(fed, IT, "investigator");
            String alUser = profile(fed, AL, "investigator");
            String usUser = profile(fed, US, "investigator");
            Path evidence = Files.createDirectories(dir.resolve("evidence"));
            Path bank = write(evidence.resolve("bank-statement.txt"),
                    "Bank statement, account 4711: transfers to the smuggling network, March-June 2026\n");
            Path witness = write(evidence.resolve("witness-w17.txt"), "Interview record of protected witness W-17 (minor)\n");

            say("2. An Italian investigator sends a mutual-legal-assistance request with two evidence files to Albania.");
            String request = run("--profile", itUser, "submit", "--to", "AL-PP", "--service", "mla-request", "--case",
                    "OP-CORRIDOR-2026", "--legal-basis", "UNTOC art. 18 request for bank records and a hearing", "--classification",
                    "secret", "--handling", "minor-involved,witness-protected", bank.toString(), witness.toString()).trim();
            out.println("   $ liaison --profile " + rel(dir, itUser) + " submit --to AL-PP --service mla-request --case OP-CORRIDOR-2026 …");
            out.println("   message " + request + " signed by the investigator, encrypted and sealed by Italy's gateway");
            awaitDelivered(itUser, request);
            status(itUser, request, dir);

            say("3. Albania's investigator sees it in the inbox, fetches it (decrypted by Albania's gateway) and verifies it.");
            JsonNode inbox = firstRow(run("--profile", alUser, "inbox", "--json"));
            out.printf("   inbox: %s from %s, case %s, %s %s, %d files%n", inbox.path("service").asText(),
                    inbox.path("from").asText(), inbox.path("case").asText(),
                    inbox.path("classification").asText(), inbox.path("handling"), inbox.path("files").asInt());
            Path received = dir.resolve("received").resolve(AL.value()).resolve("OP-CORRIDOR-2026");
            Files.createDirectories(received.getParent());
            for (String line : run("--profile", alUser, "fetch", request, "--out", received.toString()).split("\n")) {
                out.println("   " + line);
            }
            out.println("   $ liaison --profile " + rel(dir, alUser) + " acknowledge " + request.substring(0, 8) + "…");
            out.println("   " + run("--profile", alUser, "acknowledge", request, "--note", "assigned to the Tirana prosecutor's office").trim());

            say("4. Albania answers in the same conversation.");
            Path answer = write(evidence.resolve("bank-records-reply.txt"), "Records of account 4711 and the hearing date\n");
            String reply = run("--profile", alUser, "submit", "--in-reply-to", request, "--to", "IT-DNA", "--service", "mla-response",
                    "--case", "OP-CORRIDOR-2026", "--legal-basis", "UNTOC art. 18", answer.toString()).trim();
            awaitDelivered(alUser, reply);
            status(alUser, reply, dir);
            JsonNode itInbox = firstRow(run("--profile", itUser, "inbox", "--json"));
            out.println("   Italy's inbox: " + itInbox.path("service").asText() + " in reply to " + itInbox.path("inReplyTo").asText());
            out.println("   Italy sees each stage of its request, from Albania's signed notices (who opened it is not said):");
            awaitStages(itUser, request, "opened", "acknowledged", "answered");
            status(itUser, request, dir);

            say("5. A US investigator shares a file with the joint investigation team " + fed.jitId() + ".");
            Path ledger = write(evidence.resolve("ledger.txt"), "Wire transfer ledger, Miami correspondent bank\n");
            String share = run("--profile", usUser, "submit", "--jit", fed.jitId(), "--service", "jit-file-share", "--case",
                    "OP-CORRIDOR-2026", "--legal-basis", "UNTOC art. 19", ledger.toString()).trim();
            awaitDelivered(usUser, share);
            status(usUser, share, dir);

            say("6. What is refused.");
            refused("an Albanian auditor submitting evidence", "--profile", profile(fed, AL, "auditor"), "submit", "--to", "IT-DNA",
                    "--service", "mla-request", "--case", "OP-X", "--legal-basis", "UNTOC art. 18", ledger.toString());
            refused("fetching into a folder that already exists", "--profile", alUser, "fetch", request, "--out", received.toString());
            refused("a US investigator fetching the request, which the US never received", "--profile", usUser, "fetch", request,
                    "--out", dir.resolve("not-for-us").toString());
            // A colleague at Albania's authority whose certificate carries no clearance for minors' or protected witnesses' data.
            Path uncleared = Path.of(alUser).resolveSibling("investigator-uncleared");
            Files.createDirectories(uncleared);
            Path alCa = fed.dir().resolve(AL.value()).resolve("ca");
            run("certs", "issue", "--ca", alCa.toString(), "--ca-password-file", alCa.resolveSibling("ca.password").toString(),
                    "--profile", "investigator", "--subject", "CN=AL-PP investigator without clearance, OU=AL-PP, O=AL-PP, C=AL",
                    "--out", uncleared.resolve("credential.p12").toString(), "--password-file",
                    uncleared.resolve("credential.password").toString());
            Files.copy(Path.of(alUser).resolve("profile.yaml"), uncleared.resolve("profile.yaml"));
            refused("an Albanian investigator without clearance for minor-involved or witness-protected data fetching the request",
                    "--profile", uncleared.toString(), "fetch", request, "--out", dir.resolve("not-cleared").toString());

            say("7. Albania's auditor copies Albania's audit log over the local API and looks up the case.");
            Path alAudit = dir.resolve("audit-copies").resolve(AL.value());
            Files.createDirectories(alAudit.getParent());
            String auditor = profile(fed, AL, "auditor");
            run("--profile", auditor, "audit", "pull", "--out", alAudit.toString());
            out.println("   $ liaison --profile " + rel(dir, auditor) + " audit pull --out " + rel(dir, alAudit.toString()));
            out.println("   $ liaison audit query " + rel(dir, alAudit.toString()) + " --case OP-CORRIDOR-2026");
            for (String line : run("audit", "query", alAudit.toString(), "--case", "OP-CORRIDOR-2026").split("\n")) {
                out.println("   " + line);
            }

            evidenceContainer(fed, dir, itUser, request, nodes.get(0));

            if (!keepRunning) {
                say("8. The nodes stop; each one's tamper-evident audit log verifies (signed checkpoints over every event),");
                out.println("   and each holds checkpoints of its peers' logs that those logs bear out.");
                for (GatewayNode n : nodes) {
                    n.peerLogs().drain(); // the peer checkpoints received last are checked before the nodes stop
                    n.submitter().round(); // and each node's latest checkpoint goes to its witnesses (the others) once more
                }
                for (GatewayNode n : nodes) {
                    n.close();
                }
                nodes.clear();
                for (AuthorityId id : List.of(IT, AL, US)) {
                    Path audit = auditDir(fed, id);
                    String line = run("audit", "verify", audit.toString(), "--key", verifierKey(fed, id), "--federation", fed.dir().toString())
                            .trim().lines().findFirst().orElse("");
                    out.printf("   %-7s %s%n", id, line);
                }
                for (AuthorityId id : List.of(IT, AL, US)) {
                    out.printf("   %-7s holds %s%n", id, peerCheckpoints(fed, id));
                }
                out.println("   Each log is witnessed by the two other nodes (quorum 2 of 2); the latest cosigned checkpoints:");
                FederationDirectory directory = new DirectoryVerifier(
                        Pem.readCertificate(fed.dir().resolve("operator/ca/" + CaStore.CERTIFICATE)),
                        List.of(Pem.readCrl(fed.dir().resolve("operator/ca/" + CaStore.CRL))))
                        .verify(java.nio.file.Files.readAllBytes(fed.dir().resolve(FederationSetup.DIRECTORY)), java.time.Instant.now());
                for (AuthorityId id : List.of(IT, AL, US)) {
                    out.printf("   %-7s %s%n", id, WitnessWiring.describe(directory,
                            auditDir(fed, id).resolveSibling("audit-cosigned"), id));
                }
            }

            double seconds = (System.nanoTime() - started) / 1e9;
            say(String.format("Done: 3 messages, %d receipts, %d evidence bytes, %.1f s.", receipts, bytes, seconds));
            if (demoLogs != null) {
                out.println("   The nodes' log lines and audit entries: " + logs.resolve("nodes.log")
                        + (keepDir ? "" : " (the rest of the temporary folder is removed)"));
            }
            if (keepDir) {
                out.println("   Kept in " + dir + ". Check the received package yourself:");
                out.println("   liaison verify " + received + " --federation " + fed.dir());
            }
            if (keepRunning) {
                out.println();
                out.println("The three nodes keep running (Ctrl-C stops them). Try:");
                out.println("   liaison --profile " + itUser + " status");
                out.println("   liaison --profile " + alUser + " inbox");
                out.println("   liaison --profile " + itUser + " submit --to AL-PP --service law-enforcement-exchange --case OP-2 "
                        + "--legal-basis \"SOM-PROTOCOL art. 10\" " + ledger);
                out.flush();
                CountDownLatch stop = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    nodes.forEach(GatewayNode::close);
                    stop.countDown();
                }));
                stop.await();
            }
            return Main.OK;
        } finally {
            if (!keepRunning) {
                for (GatewayNode n : nodes) {
                    n.close();
                }
                if (!keepDir) {
                    deleteAllBut(dir, logs);
                }
            }
            if (demoLogs != null && !keepRunning) {
                demoLogs.close();
            }
        }
    }

    /** Removes the demo's folder except its logs (which hold no key, password or evidence content). */
    /** The first row of a listing printed with --json (one object per line). */
    private static JsonNode firstRow(String jsonLines) throws IOException {
        String first = jsonLines.strip().lines().findFirst().orElseThrow(() -> new IOException("the listing is empty"));
        return JSON.readTree(first);
    }

    private static void deleteAllBut(Path dir, Path keep) throws IOException {
        try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                if (!p.equals(keep)) {
                    SecureFiles.deleteTree(p);
                }
            }
        }
    }

    private static Path auditDir(FederationSetup.Result fed, AuthorityId id) {
        return fed.dir().resolve(id.value()).resolve("data").resolve("audit");
    }

    private static String verifierKey(FederationSetup.Result fed, AuthorityId id) throws java.io.IOException {
        return Files.readString(auditDir(fed, id).resolve(FileAuditLog.VERIFIER_KEY)).trim();
    }

    /**
     * The peers' checkpoints {@code id}'s node holds, each checked here against that peer's own log:
     * signed by its key, and the Merkle root of its first entries.
     */
    private static String peerCheckpoints(FederationSetup.Result fed, AuthorityId id) throws Exception {
        List<String> held = new java.util.ArrayList<>();
        for (AuthorityId peer : List.of(IT, AL, US)) {
            Path f = fed.dir().resolve(id.value()).resolve("data").resolve("audit-peers").resolve(peer.value() + ".checkpoint");
            if (peer.equals(id) || !Files.exists(f)) {
                continue;
            }
            Checkpoint c = Checkpoint.parse(
                    SignedNote.open(Files.readString(f), verifierKey(fed, peer)));
            MerkleTree tree = MerkleTree.of(AuditLogVerifier
                    .entries(auditDir(fed, peer)).stream().map(Merkle::leafHash).toList());
            boolean consistent = c.size() <= tree.size() && java.util.Arrays.equals(tree.root(c.size()), c.rootHash());
            held.add(peer + "'s log at size " + c.size() + (consistent ? " (consistent)" : " (INCONSISTENT)"));
        }
        return held.isEmpty() ? "no peer checkpoints" : String.join(", ", held);
    }

    private String profile(FederationSetup.Result fed, AuthorityId id, String role) {
        return fed.profiles().get(id).get(Role.fromId(role)).toString();
    }

    private static String rel(Path dir, String p) {
        return dir.relativize(Path.of(p)).toString();
    }

    private Path write(Path p, String content) throws IOException {
        Files.writeString(p, content, StandardCharsets.UTF_8);
        bytes += content.getBytes(StandardCharsets.UTF_8).length;
        return p;
    }

    /**
     * Italy's investigator exports the request's evidence container (ASiC-E, sealed by Italy's node), checks it
     * offline with the operator's root, and a copy with one evidence changed is refused.
     */
    private void evidenceContainer(FederationSetup.Result fed, Path dir, String itUser, String request, GatewayNode italy) throws IOException {
        say("7b. Italy's investigator exports the request's evidence as one sealed container, for a court; it verifies offline.");
        // The checkpoint covering the request's last evidence, cosigned by Italy's witnesses (Albania and the US) first.
        long last = italy.evidence().of(java.util.UUID.fromString(request)).stream().mapToLong(e -> e.auditIndex()).max().orElse(-1);
        if (last >= 0) {
            italy.audit().checkpointCovering(last);
        }
        for (int i = 0; i < 3 && !italy.submitter().round().map(r -> r.satisfied()).orElse(true); i++) {
            // a witness that answered with the size it holds is asked again in the next round
        }
        Path containers = Files.createDirectories(dir.resolve("evidence-containers"));
        Path container = containers.resolve("mla-request-" + request.substring(0, 8) + ".asice");
        run("--profile", itUser, "evidence", "export", request, "--out", container.toString());
        out.println("   $ liaison --profile " + rel(dir, itUser) + " evidence export " + request.substring(0, 8) + "… --out "
                + rel(dir, container.toString()));
        Path root = fed.dir().resolve("operator").resolve("ca").resolve(CaStore.CERTIFICATE);
        out.println("   $ liaison evidence verify " + rel(dir, container.toString()) + " --root " + root);
        for (String line : run("evidence", "verify", container.toString(), "--root", root.toString()).split("\n")) {
            out.println("   " + line);
        }
        java.util.Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (java.util.zip.ZipInputStream z = new java.util.zip.ZipInputStream(Files.newInputStream(container))) {
            for (java.util.zip.ZipEntry e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
                if (!e.getName().equals(AsicE.MIMETYPE)) {
                    entries.put(e.getName(), z.readAllBytes());
                }
            }
        }
        String first = entries.keySet().stream().filter(n -> n.startsWith("evidence/")).findFirst().orElseThrow();
        entries.put(first, new String(entries.get(first), StandardCharsets.UTF_8).replace("mla-request", "mla-response")
                .getBytes(StandardCharsets.UTF_8));
        Path tampered = containers.resolve("tampered.asice");
        Files.write(tampered, AsicE.write(entries));
        StringWriter o = new StringWriter();
        int code = Main.run(new String[] {"evidence", "verify", tampered.toString(), "--root", root.toString()}, new PrintWriter(o),
                new PrintWriter(new StringWriter()));
        if (code == 0) {
            throw new UserException("the demo expected the tampered container to be refused, but it verified");
        }
        out.println("   refused  a copy with one evidence changed (the service rewritten):");
        o.toString().lines().filter(l -> l.startsWith("  - ")).limit(2).forEach(l -> out.println("         " + l));
    }

    /** Runs a `liaison` command as a user would, and returns what it printed; a failure ends the demo. */
    private String run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        if (code != 0) {
            throw new UserException("the demo's step `liaison " + String.join(" ", args) + "` failed: " + e.toString().trim());
        }
        return o.toString();
    }

    private void refused(String what, String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        if (code == 0) {
            throw new UserException("the demo expected " + what + " to be refused, but it was accepted");
        }
        String[] lines = e.toString().trim().split("\n");
        out.printf("   refused  %s%n            %s%n", what, lines[lines.length - 1].replaceFirst("^liaison: ", ""));
    }

    private void awaitDelivered(String profile, String id) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            JsonNode m = JSON.readTree(run("--profile", profile, "status", id, "--json"));
            boolean all = m.path("deliveries").size() > 0;
            for (JsonNode d : m.path("deliveries")) {
                String state = d.path("state").asText();
                if (state.equals("failed") || state.equals("expired")) {
                    throw new UserException("the demo's message " + id + " could not be delivered: " + d.path("lastError").asText());
                }
                all &= state.equals("delivered");
            }
            if (all) {
                receipts += m.path("deliveries").size();
                return;
            }
            Thread.sleep(100);
        }
        throw new UserException("the demo's message " + id + " was not delivered within a minute");
    }

    /** Waits until every delivery of {@code id} shows these stages (notices travel on their own). */
    private void awaitStages(String profile, String id, String... stages) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            JsonNode m = JSON.readTree(run("--profile", profile, "status", id, "--json"));
            boolean all = m.path("deliveries").size() > 0;
            for (JsonNode d : m.path("deliveries")) {
                java.util.Set<String> seen = new java.util.HashSet<>();
                d.path("stages").forEach(s -> seen.add(s.path("stage").asText()));
                all &= seen.containsAll(java.util.List.of(stages));
            }
            if (all) {
                return;
            }
            Thread.sleep(100);
        }
        throw new UserException("the demo's message " + id + " did not reach the stages " + String.join(", ", stages) + " within a minute");
    }

    private void status(String profile, String id, Path dir) {
        out.println("   $ liaison --profile " + rel(dir, profile) + " status " + id.substring(0, 8) + "…");
        for (String line : run("--profile", profile, "status", id).split("\n")) {
            if (line.startsWith("    ")) {
                out.println("   " + line.trim());
            }
        }
    }

    private void say(String line) {
        out.println();
        out.println(line);
        out.flush();
    }
}
