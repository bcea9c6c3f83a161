package org.liaison.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.CRLReason;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import javax.crypto.SecretKey;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.FederationPki;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.envelope.Receipts;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The README's first command: a throwaway federation, and a story told through the same code
 * that gateways run — signed packages, sealed envelopes, receipts, refusals.
 *
 * <p>At this stage the gateways' network layer does not exist yet, so the envelopes pass from
 * one authority's code to the other's in memory; everything else (formats, signatures,
 * encryption, trust decisions) is the production code path.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show Liaison at work on a throwaway federation of three authorities (Italy, Albania, United States).",
            "An Italian investigator sends a signed, encrypted mutual-legal-assistance request with two evidence files to",
            "Albania, which verifies it and returns a signed receipt; a file goes to a joint investigation team; tampered,",
            "misdirected and revoked material is refused. Everything happens in a temporary folder, removed at the end",
            "unless --keep is given."},
        footer = {"", "Examples:", "  liaison demo", "  liaison demo --suite rsa --dir demo-run"})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--suite", defaultValue = "modern", paramLabel = "modern|rsa", description = "Crypto suite (default: ${DEFAULT-VALUE}).")
    String suite;

    @Option(names = "--keep", description = "Keep the temporary folder and print where it is.")
    boolean keep;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work in this new folder instead of a temporary one, and keep it. "
            + "The package Albania received is left in DIR/received/AL-PP/OP-CORRIDOR-2026 for `liaison verify`.")
    Path workDir;

    private static final AuthorityId IT = AuthorityId.of("IT-DNA");
    private static final AuthorityId AL = AuthorityId.of("AL-PP");
    private static final AuthorityId US = AuthorityId.of("US-OIA");

    private PrintWriter out;
    private int checks;
    private long bytes;
    private int receipts;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Suite s = Suite.fromId(suite);
        long started = System.nanoTime();
        if (workDir != null && Files.exists(workDir) && Files.list(workDir).findAny().isPresent()) {
            throw new UserException(workDir + " is not empty; give a new folder to --dir");
        }
        Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("liaison-demo-");
        boolean keepDir = keep || workDir != null;
        try {
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            say("1. The federation operator and three authorities set up their PKI and sign the directory (" + s.id() + " suite).");
            FederationSetup.Result fed = FederationSetup.create(dir.resolve("federation"), List.of(IT, AL, US), s, now,
                    Duration.ofDays(365));
            FederationPki pki = fed.pki();
            FederationOptions options = new FederationOptions();
            options.federation = fed.dir();
            Trust trust = options.trust(now);
            out.printf("   directory #%d verified: %s, JIT %s%n", trust.directory().sequence(), trust.directory().authorities().keySet(),
                    fed.jitId());

            say("2. An Italian investigator signs a mutual-legal-assistance request to Albania with two evidence files.");
            Credential rossi = pki.authority(IT).users().get(Role.INVESTIGATOR);
            List<byte[]> files = List.of(
                    "Bank statement, account 4711: transfers to the smuggling network, March-June 2026".getBytes(StandardCharsets.UTF_8),
                    "Interview record of protected witness W-17 (minor)".getBytes(StandardCharsets.UTF_8));
            List<FileEntry> entries = List.of(file("bank-statement.txt", files.get(0), now, "Guardia di Finanza, Palermo"),
                    file("witness-w17.txt", files.get(1), now, "Polizia di Stato, Bari"));
            byte[] manifest = Manifests.sign(new ManifestSpec("OP-CORRIDOR-2026", Service.MLA_REQUEST, IT, List.of(AL), null,
                    Instrument.UNTOC, "18", "Request for bank records and a hearing", Classification.SECRET,
                    Set.of(HandlingFlag.MINOR_INVOLVED, HandlingFlag.WITNESS_PROTECTED), null), entries, rossi, UUID.randomUUID(), now);
            out.println("   manifest signed by " + rossi.certificate().getSubjectX500Principal().getName());

            say("3. Italy's gateway encrypts the files as they stream in and seals the envelope for Albania.");
            Sent mla = seal(pki, trust, IT, List.of(AL), null, Service.MLA_REQUEST, manifest, files, now);
            out.printf("   envelope %s: %d bytes, %d encrypted payloads, signed by IT-DNA's gateway%n", mla.header.messageId(),
                    mla.envelope.length, mla.payloads.size());

            say("4. Albania's gateway verifies, decrypts and returns a signed receipt; Italy verifies the receipt.");
            deliver(pki, trust, mla, AL, now);
            Path received = dir.resolve("received").resolve(AL.value()).resolve("OP-CORRIDOR-2026");
            writePackage(received, manifest, entries, files);

            say("5. A US investigator shares a file with the joint investigation team " + fed.jitId() + ".");
            Credential us = pki.authority(US).users().get(Role.INVESTIGATOR);
            byte[] ledger = "Wire transfer ledger, Miami correspondent bank".getBytes(StandardCharsets.UTF_8);
            byte[] jitManifest = Manifests.sign(new ManifestSpec("OP-CORRIDOR-2026", Service.JIT_FILE_SHARE, US, List.of(),
                    fed.jitId(), Instrument.UNTOC, "19", "JIT agreement", Classification.CONFIDENTIAL, Set.of(), null),
                    List.of(file("ledger.txt", ledger, now, "FBI Miami")), us, UUID.randomUUID(), now);
            Sent jit = seal(pki, trust, US, List.of(), fed.jitId(), Service.JIT_FILE_SHARE, jitManifest, List.of(ledger), now);
            for (AuthorityId member : List.of(IT, AL)) {
                deliver(pki, trust, jit, member, now);
            }

            say("6. What the gateways refuse.");
            expectRefused("the envelope arriving from Albania's connection instead of Italy's",
                    () -> Envelopes.verify(mla.envelope, trust, now, AL, AL));
            expectRefused("the envelope at the US gateway, which it is not addressed to",
                    () -> Envelopes.verify(mla.envelope, trust, now, IT, US));
            byte[] tampered = mla.ciphertexts.get(0).clone();
            tampered[tampered.length / 2] ^= 1;
            expectRefused("an evidence file with one flipped bit", () -> {
                Envelopes.Opened o = Envelopes.open(Envelopes.verify(mla.envelope, trust, now, IT, AL), AL,
                        pki.authority(AL).encryption().privateKey());
                PayloadCipher.decrypt(o.contentKey(), 0, new ByteArrayInputStream(tampered)).readAllBytes();
            });
            // A second Italian investigator's laptop is stolen: Italy revokes that certificate.
            FederationPki.Authority italy = pki.authority(IT);
            java.security.KeyPair kp = s.signatureKey().generate();
            Credential bianchi = Credential.create(kp.getPrivate(), italy.ca().issue(new org.liaison.certs.CertificateAuthority.Request(
                    "CN=Luca Bianchi, OU=IT-DNA, O=IT-DNA, C=IT", kp.getPublic(), org.liaison.certs.CertificateProfile.INVESTIGATOR,
                    now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(30)), List.of(), List.of(), -1)));
            byte[] stolen = Manifests.sign(new ManifestSpec("OP-CORRIDOR-2026", Service.MLA_REQUEST, IT, List.of(AL), null,
                    Instrument.UNTOC, "18", "", Classification.RESTRICTED, Set.of(), null), List.of(), bianchi, UUID.randomUUID(), now);
            italy.ca().revoke(bianchi.certificate().getSerialNumber(), CRLReason.KEY_COMPROMISE, now.minusSeconds(1));
            italy.ca().writeCrl(now, Duration.ofDays(7));
            Trust afterRevocation = options.trust(now);
            expectRefused("a request signed with a revoked investigator certificate",
                    () -> Manifests.verify(stolen, afterRevocation, now));

            double seconds = (System.nanoTime() - started) / 1e9;
            say(String.format("Done: 2 messages, %d receipts, %d evidence bytes, %d checks as expected, %.1f s.", receipts, bytes,
                    checks, seconds));
            out.println("   The envelopes passed between the gateways' code in memory: the network layer (mutual TLS between");
            out.println("   running nodes) is being built. Try the pieces by hand: liaison certs init-federation --help");
            if (keepDir) {
                out.println("   Kept in " + dir + ". Check the received package yourself:");
                out.println("   liaison verify " + received + " --federation " + fed.dir());
            }
            return Main.OK;
        } finally {
            if (!keepDir) {
                deleteRecursively(dir);
            }
        }
    }

    private record Sent(EnvelopeHeader header, byte[] envelope, List<PayloadInfo> payloads, List<byte[]> ciphertexts,
            List<byte[]> plaintexts) {}

    private static void writePackage(Path dir, byte[] manifest, List<FileEntry> entries, List<byte[]> files) throws IOException {
        Files.createDirectories(dir.resolve(org.liaison.protocol.pkg.EvidenceFolder.FILES));
        Files.write(dir.resolve(org.liaison.protocol.pkg.EvidenceFolder.MANIFEST), manifest);
        for (int i = 0; i < entries.size(); i++) {
            Files.write(dir.resolve(org.liaison.protocol.pkg.EvidenceFolder.FILES).resolve(entries.get(i).name()), files.get(i));
        }
    }

    private static FileEntry file(String name, byte[] content, Instant at, String collector) {
        return new FileEntry(name, "text/plain", content.length, Envelopes.sha256(content),
                List.of(new FileEntry.Custody(collector, at, "judicial order", "")));
    }

    private Sent seal(FederationPki pki, Trust trust, AuthorityId from, List<AuthorityId> to, String jit, Service service,
            byte[] manifest, List<byte[]> files, Instant now) throws Exception {
        // The submitting gateway checks the investigator's signature before anything else.
        Manifests.verify(manifest, trust, now);
        SecretKey cek = ContentEncryption.newContentKey();
        List<PayloadInfo> payloads = new ArrayList<>();
        List<byte[]> cts = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            ByteArrayOutputStream ct = new ByteArrayOutputStream();
            try (OutputStream enc = PayloadCipher.encrypt(cek, i, PayloadCipher.DEFAULT_SEGMENT_SIZE, ct)) {
                enc.write(files.get(i));
            }
            cts.add(ct.toByteArray());
            payloads.add(new PayloadInfo(i, PayloadCipher.DEFAULT_SEGMENT_SIZE, ct.size(), Envelopes.sha256(ct.toByteArray())));
            bytes += files.get(i).length;
        }
        UUID id = UUID.randomUUID();
        EnvelopeHeader h = new EnvelopeHeader(id, id, null, now, now.plus(Duration.ofDays(7)), from, to, jit, service, "submit");
        byte[] env = Envelopes.seal(h, trust.directory(), manifest, payloads, cek, pki.authority(from).envelopeSigning());
        return new Sent(h, env, payloads, cts, files);
    }

    private void deliver(FederationPki pki, Trust trust, Sent sent, AuthorityId to, Instant now) throws Exception {
        Envelopes.Verified v = Envelopes.verify(sent.envelope, trust, now, sent.header.from(), to);
        Envelopes.Opened o = Envelopes.open(v, to, pki.authority(to).encryption().privateKey());
        Manifests.Verified m = Manifests.verify(o.manifestXml(), trust, now);
        for (int i = 0; i < sent.ciphertexts.size(); i++) {
            byte[] plain = PayloadCipher.decrypt(o.contentKey(), i, new ByteArrayInputStream(sent.ciphertexts.get(i))).readAllBytes();
            String digest = Envelopes.sha256(plain);
            if (!digest.equals(m.manifest().getFile().get(i).getSha256())) {
                throw new UserException("the demo's evidence file " + i + " does not match its manifest");
            }
        }
        byte[] receipt = Receipts.create(v, to, now, null, pki.authority(to).envelopeSigning());
        Receipts.Verified r = Receipts.verify(receipt, trust, now, to, sent.header.messageId(), sent.envelope, sent.payloads);
        receipts++;
        checks++;
        out.printf("   %-7s verified the %s from %s (case %s, %d files, investigator %s)%n", to, m.manifest().getService().value(),
                m.from(), m.manifest().getCase(), m.manifest().getFile().size(),
                m.investigator().getSubjectX500Principal().getName());
        out.printf("   %-7s receipt for envelope SHA-256 %s… verified by %s%n", to, r.envelopeSha256().substring(0, 16),
                sent.header.from());
    }

    interface Attempt {
        void run() throws Exception;
    }

    private void expectRefused(String what, Attempt attempt) throws Exception {
        try {
            attempt.run();
        } catch (ProtocolException e) {
            checks++;
            out.printf("   refused  %s%n            %s [%s]%n", what, e.getMessage(), e.code().code());
            return;
        } catch (IOException e) {
            checks++;
            out.printf("   refused  %s%n            %s%n", what, e.getMessage());
            return;
        }
        throw new UserException("the demo expected " + what + " to be refused, but it was accepted");
    }

    private void say(String line) {
        out.println();
        out.println(line);
        out.flush();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
