package org.liaison.cli.certs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.CaStore;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.CertificateProfile;
import org.liaison.certs.Clearance;
import org.liaison.certs.Credential;
import org.liaison.certs.FederationPki;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.certs.Keystores;
import org.liaison.certs.Pem;
import org.liaison.certs.Suite;
import org.liaison.cli.Json;
import org.liaison.cli.UserException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "issue", mixinStandardHelpOptions = true,
        description = {"Generate a key pair and issue a certificate for one purpose.",
            "The key and certificate go to a new PKCS#12 keystore, the chain (leaf first) to a PEM file beside it.",
            "",
            "Profiles: gateway-tls (ECDSA P-256; serverAuth + clientAuth; give --dns/--ip), envelope-signing,",
            "encryption (X25519 in the modern suite, RSA-3072 in rsa, X25519 and ML-KEM-768 in pq-hybrid), directory-signing,",
            "investigator, auditor, operator. The key type follows the CA's suite (or --suite) unless --key says otherwise.",
            "With --suite pq-hybrid, an encryption keystore holds two certificates: X25519, and ML-KEM-768 bound to it."},
        footer = {"", "Examples:",
            "  liaison certs issue --ca it-ca --ca-password-file it-ca/password --profile gateway-tls \\",
            "      --subject \"CN=IT-DNA gateway, O=DNA, C=IT\" --dns localhost --ip 127.0.0.1 --out gw-tls.p12 --password-file gw.pw",
            "  liaison certs issue --ca it-ca --ca-password-file it-ca/password --profile auditor \\",
            "      --subject \"CN=Luca Bianchi, OU=IT-DNA, O=DNA, C=IT\" --out bianchi.p12 --password-file bianchi.pw",
            "  liaison certs issue --ca it-ca --ca-password-file it-ca/password --profile investigator --clearance minor-involved \\",
            "      --subject \"CN=Anna Conti, OU=IT-DNA, O=DNA, C=IT\" --out conti.p12 --password-file conti.pw",
            "  liaison certs issue --ca it-ca --ca-password-file it-ca/password --profile encryption --suite pq-hybrid \\",
            "      --subject \"CN=IT-DNA encryption, O=DNA, C=IT\" --out encryption.p12 --password-file enc.pw"})
public final class IssueCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "Folder of the issuing CA.")
    Path caDir;

    @ArgGroup(exclusive = true)
    PasswordOptions.Ca caPassword;

    @Option(names = "--profile", required = true, paramLabel = "PROFILE", description = "What the certificate is for (see above).")
    String profile;

    @Option(names = "--subject", required = true, paramLabel = "DN", description = "Distinguished name of the holder.")
    String subject;

    @Option(names = "--suite", paramLabel = "modern|rsa|pq-hybrid",
            description = "Crypto suite the key follows (default: the CA's; pq-hybrid needs an Ed25519 CA).")
    String suite;

    @Option(names = "--key", paramLabel = "ALG", description = "Key type: Ed25519, X25519, RSA-3072 or EC-P256 (default: by profile and suite).")
    String key;

    @Option(names = "--dns", paramLabel = "NAME", description = "DNS name for the subjectAltName (repeatable).")
    List<String> dns = new ArrayList<>();

    @Option(names = "--ip", paramLabel = "ADDRESS", description = "IP address literal for the subjectAltName (repeatable).")
    List<String> ip = new ArrayList<>();

    @Option(names = "--clearance", split = ",", paramLabel = "MARK",
            description = {"Clearance for protected data, for personal certificates (repeatable or comma-separated):",
                "minor-involved, victim-data, witness-protected. A package with such a handling mark opens only for a person",
                "holding the clearance of each of its marks."})
    List<String> clearances = new ArrayList<>();

    @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--out", required = true, paramLabel = "FILE.p12", description = "New keystore to write (never overwritten).")
    Path out;

    @Option(names = "--cert-out", paramLabel = "FILE.pem", description = "Certificate chain in PEM (default: the keystore's name with .pem).")
    Path certOut;

    @ArgGroup(exclusive = true)
    PasswordOptions password;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CertificateProfile p = CertificateProfile.fromId(profile);
        if (p.isCa()) {
            throw new UserException("to make a CA, use `liaison certs create-ca --parent " + caDir + "`");
        }
        if (days <= 0) {
            throw new IllegalArgumentException("--days: " + days + " (expected: > 0)");
        }
        Path pem = certOut != null ? certOut : out.resolveSibling(out.getFileName().toString().replaceFirst("\\.p12$", "") + ".pem");
        for (Path target : List.of(out, pem)) {
            if (Files.exists(target)) {
                throw new UserException(target + " already exists; choose another --out or remove it first");
            }
        }
        CaStore ca = CaStore.open(caDir, PasswordOptions.Ca.require(caPassword));
        char[] pw = PasswordOptions.read(password, "", true);
        KeyAlgorithm caKey = KeyAlgorithm.of(ca.authority().certificate().getPublicKey());
        Suite suite = this.suite == null ? Suite.ofSignatureKey(caKey) : Suite.fromId(this.suite);
        if (suite.signatureKey() != caKey) {
            throw new UserException("--suite " + suite.id() + " needs a CA with an " + suite.signatureKey().id() + " key; " + caDir
                    + " has an " + caKey.id() + " key");
        }
        KeyAlgorithm alg = key == null ? suite.keyFor(p) : KeyAlgorithm.fromId(key);
        boolean hybrid = p == CertificateProfile.ENCRYPTION && alg == suite.encryptionKey() && suite.kemKey().isPresent();
        if (!p.accepts(alg)) {
            throw new IllegalArgumentException("--key: " + alg.id() + " cannot be certified for " + p.id());
        }
        KeyPair kp = alg.generate();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        java.util.Set<Clearance> granted = java.util.EnumSet.noneOf(Clearance.class);
        for (String c : clearances) {
            granted.add(Clearance.fromId(c.trim()));
        }
        if (!granted.isEmpty() && p.role().isEmpty()) {
            throw new UserException("--clearance is for personal certificates (investigator, auditor, operator), not " + p.id());
        }
        List<X509Certificate> chain = ca.issue(new CertificateAuthority.Request(subject, kp.getPublic(), p,
                now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(days)), dns, ip, -1, granted));
        Credential credential = Credential.create(kp.getPrivate(), chain);
        if (hybrid) {
            credential = FederationPki.withKem(ca, credential, suite.kemKey().get(), subject, now.minus(Duration.ofMinutes(5)),
                    now.plus(Duration.ofDays(days)));
        }
        Keystores.save(credential, out, pw);
        Pem.writeCertificates(pem, chain);
        Path kemPem = pem.resolveSibling(pem.getFileName().toString().replaceFirst("\\.pem$", "") + "-kem.pem");
        if (credential.kemCertificate().isPresent()) {
            Pem.writeCertificates(kemPem, List.of(credential.kemCertificate().get())); // for `liaison directory edit --add kem=`
        }

        X509Certificate cert = credential.certificate();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("profile", p.id());
        result.put("subject", cert.getSubjectX500Principal().getName());
        result.put("issuer", cert.getIssuerX500Principal().getName());
        result.put("serial", cert.getSerialNumber().toString(16));
        result.put("key", alg.id());
        result.put("notAfter", cert.getNotAfter().toInstant().toString());
        result.put("sha256", Fingerprint.of(cert).hex());
        result.put("spkiSha256", Fingerprint.ofSpki(cert).hex());
        if (credential.kemCertificate().isPresent()) {
            result.put("kemKey", KeyAlgorithm.ML_KEM_768.id());
            result.put("kemSha256", Fingerprint.of(credential.kemCertificate().get()).hex());
            result.put("kemCertificate", kemPem.toString());
        }
        result.put("keystore", out.toString());
        result.put("certificate", pem.toString());
        if (json) {
            spec.commandLine().getOut().println(Json.write(result));
        } else {
            var o = spec.commandLine().getOut();
            o.println("Issued " + p.id() + " certificate for " + result.get("subject"));
            o.println("  serial       " + result.get("serial"));
            o.println("  key          " + alg.id());
            o.println("  valid until  " + result.get("notAfter"));
            o.println("  SHA-256      " + result.get("sha256"));
            if (result.containsKey("kemSha256")) {
                o.println("  and          " + result.get("kemKey") + " certificate, SHA-256 " + result.get("kemSha256")
                        + " (bound to the one above) in " + kemPem);
            }
            o.println("  keystore     " + out + "   chain " + pem);
        }
        return 0;
    }
}
