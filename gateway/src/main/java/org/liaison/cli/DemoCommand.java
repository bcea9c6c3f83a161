package org.liaison.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.CRLReason;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateRejectedException;
import org.liaison.certs.CertificateValidator;
import org.liaison.certs.Credential;
import org.liaison.certs.FederationPki;
import org.liaison.certs.Purpose;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The README's first command. It builds a throwaway federation in a temporary folder and shows,
 * through the same code that gateways use, who is trusted for what and what is refused.
 *
 * <p>At this stage of the project it demonstrates the trust layer (PKI, roles, revocation); the
 * exchange of packages between running nodes joins the story when the node exists.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show Liaison at work on a throwaway federation of three authorities (Italy, Albania, United States).",
            "Creates each authority's national CA, gateway and investigator credentials, then checks them as gateways",
            "do: who may act for which authority, in which role, and how a revoked certificate is refused.",
            "Everything happens in a temporary folder that is removed at the end (keep it with --keep)."},
        footer = {"", "Examples:", "  liaison demo", "  liaison demo --suite rsa --keep"})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--suite", defaultValue = "modern", paramLabel = "modern|rsa", description = "Crypto suite (default: ${DEFAULT-VALUE}).")
    String suite;

    @Option(names = "--keep", description = "Keep the federation folder and print where it is.")
    boolean keep;

    private PrintWriter out;
    private int checks;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Suite s = Suite.fromId(suite);
        long started = System.nanoTime();
        Path dir = Files.createTempDirectory("liaison-demo-");
        try {
            AuthorityId it = AuthorityId.of("IT-DNA");
            AuthorityId al = AuthorityId.of("AL-PP");
            AuthorityId us = AuthorityId.of("US-OIA");
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

            say("1. The federation operator and three national authorities set up their PKI (" + s.id() + " suite).");
            FederationPki pki = FederationPki.create(dir, List.of(it, al, us), s, now, Duration.ofDays(365));
            for (FederationPki.Authority a : pki.authorities().values()) {
                out.printf("   %-7s national CA %s  (SHA-256 %s…)%n", a.id(),
                        a.ca().authority().certificate().getSubjectX500Principal().getName(),
                        a.gatewayTls().fingerprint().hex().substring(0, 16));
            }

            say("2. Each gateway checks its peers' credentials against the issuing national CA and its CRL.");
            for (FederationPki.Authority a : pki.authorities().values()) {
                CertificateValidator v = pki.validatorFor(a.id());
                expectValid(v, a.gatewayTls(), Purpose.TLS_SERVER, a.id() + " gateway as a TLS server", now);
                expectValid(v, a.gatewayTls(), Purpose.TLS_CLIENT, a.id() + " gateway as a TLS client", now);
                expectValid(v, a.envelopeSigning(), Purpose.ENVELOPE_SIGNING, a.id() + " envelope signing key", now);
                expectValid(v, a.encryption(), Purpose.ENCRYPTION, a.id() + " encryption key", now);
                expectValid(v, a.users().get(Role.INVESTIGATOR), Purpose.INVESTIGATOR, a.id() + " investigator", now);
            }

            say("3. Certificates are refused outside their authority and their role.");
            expectRefused(pki.validatorFor(it), pki.authority(al).users().get(Role.INVESTIGATOR), Purpose.INVESTIGATOR,
                    "an Albanian investigator acting for Italy", now);
            expectRefused(pki.validatorFor(al), pki.authority(al).users().get(Role.AUDITOR), Purpose.INVESTIGATOR,
                    "an Albanian auditor submitting evidence", now);
            expectRefused(pki.validatorFor(us), pki.authority(us).envelopeSigning(), Purpose.TLS_CLIENT,
                    "a US signing key used for TLS", now);

            say("4. Italy revokes its investigator's certificate (key compromise) and publishes a new CRL.");
            FederationPki.Authority italy = pki.authority(it);
            italy.ca().revoke(italy.users().get(Role.INVESTIGATOR).certificate().getSerialNumber(), CRLReason.KEY_COMPROMISE,
                    now.minusSeconds(1));
            italy.ca().writeCrl(now, Duration.ofDays(7));
            expectRefused(pki.validatorFor(it), italy.users().get(Role.INVESTIGATOR), Purpose.INVESTIGATOR,
                    "the revoked Italian investigator", now);

            double seconds = (System.nanoTime() - started) / 1e9;
            say(String.format("Done: 3 authorities, %d checks as expected, %.1f s.", checks, seconds));
            out.println("   This build demonstrates the trust layer; package exchange between running nodes joins the demo");
            out.println("   when the gateway node lands. Try the same by hand: liaison certs --help");
            if (keep) {
                out.println("   Federation kept in " + dir);
            }
            return Main.OK;
        } finally {
            if (!keep) {
                deleteRecursively(dir);
            }
        }
    }

    private void say(String line) {
        out.println();
        out.println(line);
        out.flush();
    }

    private void expectValid(CertificateValidator v, Credential c, Purpose p, String what, Instant now)
            throws CertificateRejectedException {
        v.validate(c.certificate(), c.chain().subList(1, c.chain().size()), p, now);
        checks++;
        out.printf("   accepted  %-40s (%s)%n", what, p.id());
    }

    private void expectRefused(CertificateValidator v, Credential c, Purpose p, String what, Instant now) {
        try {
            v.validate(c.certificate(), c.chain().subList(1, c.chain().size()), p, now);
        } catch (CertificateRejectedException e) {
            checks++;
            out.printf("   refused   %-40s %s%n", what, e.reason());
            out.printf("             %s%n", e.getMessage());
            return;
        }
        throw new UserException("the demo expected " + what + " to be refused, but it was accepted");
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
