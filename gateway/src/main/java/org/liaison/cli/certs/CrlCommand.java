package org.liaison.cli.certs;

import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import org.liaison.certs.CaStore;
import org.liaison.certs.Pem;
import org.liaison.cli.UserException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "crl", mixinStandardHelpOptions = true,
        description = {"Sign a fresh CRL of this CA.",
            "It lists every revocation and is written to the CA folder (crl.pem).",
            "Gateways refuse certificates whose CRL is past its next update, so run this before that date (a cron job)."},
        footer = {"", "Example:", "  liaison certs crl --ca it-ca --ca-password-file it-ca/password --days 7 --out /srv/pki/it-dna.crl"})
public final class CrlCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "Folder of the CA.")
    Path caDir;

    @ArgGroup(exclusive = true)
    PasswordOptions.Ca caPassword;

    @Option(names = "--days", defaultValue = "7", description = "Days until the next update (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the CRL here (PEM).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (days <= 0) {
            throw new IllegalArgumentException("--days: " + days + " (expected: > 0)");
        }
        CaStore ca = CaStore.open(caDir, PasswordOptions.Ca.require(caPassword));
        X509CRL crl = ca.writeCrl(Instant.now().truncatedTo(ChronoUnit.SECONDS), Duration.ofDays(days));
        if (out != null) {
            Pem.writeCrl(out, crl);
        }
        int n = crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size();
        spec.commandLine().getOut().println("Signed CRL of " + crl.getIssuerX500Principal().getName() + ": " + n
                + " revoked, next update due " + crl.getNextUpdate().toInstant() + " -> " + caDir.resolve(CaStore.CRL)
                + (out == null ? "" : " and " + out));
        return 0;
    }
}
