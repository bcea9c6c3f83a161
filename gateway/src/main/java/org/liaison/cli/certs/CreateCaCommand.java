package org.liaison.cli.certs;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.CaStore;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Credential;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Suite;
import org.liaison.cli.Json;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "create-ca", mixinStandardHelpOptions = true,
        description = {"Create a certificate authority in a new folder.",
            "A root CA, or with --parent an intermediate CA signed by another CA folder.",
            "An initial, empty CRL is published with it (crl.pem) so that relying parties can check revocation at once."},
        footer = {"", "Examples:",
            "  liaison certs create-ca --out operator-ca --name \"CN=Federation Operator CA, O=Liaison Federation\" \\",
            "      --password-file operator-ca/password",
            "  liaison certs create-ca --out it-issuing --name \"CN=IT-DNA Issuing CA, O=DNA, C=IT\" --password-file it-issuing/password \\",
            "      --parent it-ca --ca-password-file it-ca/password --path-len 0"})
public final class CreateCaCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New folder for the CA.")
    Path out;

    @Option(names = "--name", required = true, paramLabel = "DN", description = "Distinguished name, e.g. \"CN=IT-DNA National CA, O=DNA, C=IT\".")
    String name;

    @Option(names = "--suite", defaultValue = "modern", paramLabel = "modern|rsa|pq-hybrid",
            description = "Crypto suite: modern (Ed25519, the default), rsa (RSA-3072, RSA-PSS) or pq-hybrid (Ed25519).")
    String suite;

    @Option(names = "--days", defaultValue = "3650", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--path-len", defaultValue = "-1", paramLabel = "N",
            description = "Most intermediate CAs allowed below this one (default: no limit for a root, 0 for an intermediate).")
    int pathLen;

    @Option(names = "--crl-days", defaultValue = "7", description = "Validity of the initial CRL in days (default: ${DEFAULT-VALUE}).")
    int crlDays;

    @Option(names = "--parent", paramLabel = "DIR", description = "Folder of the CA that signs this one (makes an intermediate CA).")
    Path parent;

    @ArgGroup(exclusive = true)
    PasswordOptions password;

    @ArgGroup(exclusive = true)
    PasswordOptions.Ca parentPassword;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Suite s = Suite.fromId(suite);
        if (days <= 0) {
            throw new IllegalArgumentException("--days: " + days + " (expected: > 0)");
        }
        char[] pw = PasswordOptions.read(password, "", true);
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant notBefore = now.minus(Duration.ofMinutes(5)); // tolerate clock skew between machines
        Instant notAfter = now.plus(Duration.ofDays(days));
        CertificateAuthority ca;
        if (parent == null) {
            ca = CertificateAuthority.createRoot(name, s.signatureKey(), notBefore, notAfter, pathLen);
        } else {
            if (parentPassword == null) {
                throw new IllegalArgumentException("--parent needs the parent CA's password: add --ca-password-file FILE");
            }
            CaStore parentStore = CaStore.open(parent, parentPassword.read());
            KeyPair keys = s.signatureKey().generate();
            List<java.security.cert.X509Certificate> chain = parentStore.issue(CertificateAuthority.Request.of(name,
                    keys.getPublic(), CertificateProfile.INTERMEDIATE_CA, notBefore, notAfter)
                    .withPathLength(pathLen < 0 ? 0 : pathLen));
            ca = CertificateAuthority.of(Credential.create(keys.getPrivate(), chain));
        }
        CaStore store = CaStore.create(out, ca, pw);
        store.writeCrl(now, Duration.ofDays(crlDays));

        var cert = ca.certificate();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("folder", out.toString());
        result.put("subject", cert.getSubjectX500Principal().getName());
        result.put("suite", s.id());
        result.put("notAfter", cert.getNotAfter().toInstant().toString());
        result.put("pathLength", cert.getBasicConstraints() == Integer.MAX_VALUE ? "unlimited" : cert.getBasicConstraints());
        result.put("sha256", Fingerprint.of(cert).hex());
        result.put("certificate", out.resolve(CaStore.CERTIFICATE).toString());
        result.put("crl", out.resolve(CaStore.CRL).toString());
        if (json) {
            spec.commandLine().getOut().println(Json.write(result));
        } else {
            var o = spec.commandLine().getOut();
            o.println("Created " + (parent == null ? "root" : "intermediate") + " CA " + result.get("subject"));
            o.println("  folder       " + out);
            o.println("  suite        " + s.id() + " (" + s.signatureKey().id() + ")");
            o.println("  valid until  " + result.get("notAfter"));
            o.println("  SHA-256      " + result.get("sha256"));
            o.println("  trust anchor " + result.get("certificate") + "   CRL " + result.get("crl"));
        }
        return 0;
    }
}
