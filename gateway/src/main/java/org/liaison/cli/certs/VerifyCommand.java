package org.liaison.cli.certs;

import static org.liaison.protocol.UntrustedText.printable;

import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.CertificateRejectedException;
import org.liaison.certs.CertificateValidator;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Pem;
import org.liaison.certs.Purpose;
import org.liaison.cli.Json;
import org.liaison.cli.Main;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check that a certificate may be used for a purpose.",
            "Checks the chain to one of the given trust anchors, validity, CA constraints, revocation (a CRL for every certificate below the anchor is required: a missing",
            "or stale CRL fails), key usage, extended key usage and role. Exit code 0 only if the certificate is valid.",
            "",
            "Purposes: tls-server, tls-client, envelope-signing, directory-signing, encryption, investigator, auditor, operator."},
        footer = {"", "Examples:",
            "  liaison certs verify gw-tls.pem --purpose tls-server --anchor it-ca/ca.pem --crl it-ca/crl.pem",
            "  liaison certs verify rossi.p12 --password-file rossi.pw --purpose investigator \\",
            "      --anchor it-ca/ca.pem --crl it-ca/crl.pem --at 2027-01-01T00:00:00Z --json"})
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "Certificate or chain (PEM/DER, leaf first) or PKCS#12 keystore.")
    Path file;

    @ArgGroup(exclusive = true)
    PasswordOptions password;

    @Option(names = "--purpose", required = true, paramLabel = "PURPOSE", description = "What the certificate is to be used for.")
    String purpose;

    @Option(names = "--anchor", required = true, paramLabel = "FILE", description = "Trusted CA certificate(s) (repeatable).")
    List<Path> anchors;

    @Option(names = "--crl", paramLabel = "FILE", description = "CRL of a CA in the chain (repeatable).")
    List<Path> crls = new ArrayList<>();

    @Option(names = "--untrusted", paramLabel = "FILE", description = "Further intermediate CA certificates (repeatable).")
    List<Path> untrusted = new ArrayList<>();

    @Option(names = "--at", paramLabel = "TIME", description = "Validate at this instant (ISO-8601, e.g. 2027-01-01T00:00:00Z) instead of now.")
    String at;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Purpose p = Purpose.fromId(purpose);
        Instant when = Main.instantOrNow("--at", at);
        List<X509Certificate> chain = CertificateInput.read(file, password);
        List<X509Certificate> anchorCerts = new ArrayList<>();
        for (Path a : anchors) {
            anchorCerts.addAll(Pem.readCertificates(a));
        }
        List<X509CRL> crlList = new ArrayList<>();
        for (Path c : crls) {
            crlList.add(Pem.readCrl(c));
        }
        List<X509Certificate> intermediates = new ArrayList<>(chain.subList(1, chain.size()));
        for (Path u : untrusted) {
            intermediates.addAll(Pem.readCertificates(u));
        }
        X509Certificate leaf = chain.get(0);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("subject", leaf.getSubjectX500Principal().getName());
        result.put("sha256", Fingerprint.of(leaf).hex());
        result.put("purpose", p.id());
        result.put("at", when.toString());
        int code;
        try {
            CertificateValidator.ValidatedPath path = new CertificateValidator(anchorCerts, crlList)
                    .validate(leaf, intermediates, p, when);
            result.put("valid", true);
            List<String> names = new ArrayList<>();
            path.chain().forEach(c -> names.add(c.getSubjectX500Principal().getName()));
            result.put("chain", names);
            code = Main.OK;
        } catch (CertificateRejectedException e) {
            result.put("valid", false);
            result.put("reason", e.reason().name());
            result.put("message", e.getMessage());
            code = Main.FAILED;
        }
        var o = spec.commandLine().getOut();
        if (json) {
            o.println(Json.write(result));
        } else if (Boolean.TRUE.equals(result.get("valid"))) {
            o.println("VALID for " + p.id() + ": " + printable((String) result.get("subject")));
            o.println("  chain: " + printable(String.join("  <-  ", (List<String>) result.get("chain"))));
        } else {
            o.println("REJECTED for " + p.id() + ": " + printable(String.valueOf(result.get("message"))));
            o.println("  reason code: " + result.get("reason"));
        }
        return code;
    }
}
