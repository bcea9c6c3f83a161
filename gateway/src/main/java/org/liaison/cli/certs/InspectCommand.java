package org.liaison.cli.certs;

import static org.liaison.protocol.UntrustedText.printable;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.CertificateAuthority.Revocation;
import org.liaison.certs.CertificateInfo;
import org.liaison.certs.Pem;
import org.liaison.cli.Json;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show what a certificate, chain, PKCS#12 keystore or CRL holds.",
            "Subject, issuer, validity, key, usages, role, SHA-256 fingerprints (of the certificate and of its public key).",
            "Fingerprints are how Liaison names and compares certificates; never compare subject names."},
        footer = {"", "Examples:", "  liaison certs inspect it-ca/ca.pem", "  liaison certs inspect it-ca/crl.pem --json",
            "  liaison certs inspect rossi.p12 --password-file rossi.pw"})
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "Certificate (PEM or DER), chain, PKCS#12 keystore or CRL.")
    Path file;

    @ArgGroup(exclusive = true)
    PasswordOptions password;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        if (!Files.exists(file)) {
            throw new IOException(file + " does not exist");
        }
        if (!CertificateInput.isKeystore(file) && Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1).contains("X509 CRL")) {
            Map<String, Object> crl = describe(Pem.readCrl(file));
            if (json) {
                o.println(Json.write(crl));
            } else {
                crl.forEach((k, v) -> o.printf("%-16s %s%n", k, printable(String.valueOf(v))));
            }
            return 0;
        }
        List<X509Certificate> chain = CertificateInput.read(file, password);
        List<Map<String, Object>> infos = new ArrayList<>();
        for (X509Certificate c : chain) {
            infos.add(CertificateInfo.of(c).toMap());
        }
        if (json) {
            o.println(Json.write(infos.size() == 1 ? infos.get(0) : infos));
            return 0;
        }
        for (int i = 0; i < infos.size(); i++) {
            if (infos.size() > 1) {
                o.println((i == 0 ? "Certificate " : "Issuer certificate ") + (i + 1) + " of " + infos.size());
            }
            infos.get(i).forEach((k, v) -> o.printf("  %-18s %s%n", k, v instanceof List<?> l && l.isEmpty() ? "none" : printable(String.valueOf(v))));
        }
        return 0;
    }

    private static Map<String, Object> describe(X509CRL crl) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("issuer", crl.getIssuerX500Principal().getName());
        m.put("thisUpdate", crl.getThisUpdate().toInstant().toString());
        m.put("nextUpdate", crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant().toString());
        List<Map<String, Object>> entries = new ArrayList<>();
        if (crl.getRevokedCertificates() != null) {
            for (X509CRLEntry e : crl.getRevokedCertificates()) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("serial", e.getSerialNumber().toString(16));
                r.put("revoked", e.getRevocationDate().toInstant().toString());
                r.put("reason", e.getRevocationReason() == null ? "unspecified" : Revocation.reasonName(e.getRevocationReason()));
                entries.add(r);
            }
        }
        m.put("revoked", entries);
        return m;
    }
}
