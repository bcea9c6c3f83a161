package org.liaison.cli.certs;

import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import org.liaison.certs.CaStore;
import org.liaison.certs.CertificateAuthority.Revocation;
import org.liaison.certs.Pem;
import org.liaison.cli.UserException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "revoke", mixinStandardHelpOptions = true,
        description = {"Revoke a certificate this CA issued, and publish a new CRL at once.",
            "The new crl.pem lists it: gateways refuse the certificate as soon as they load that CRL."},
        footer = {"", "Examples:",
            "  liaison certs revoke --ca it-ca --ca-password-file it-ca/password --cert rossi.pem --reason keyCompromise",
            "  liaison certs revoke --ca it-ca --ca-password-file it-ca/password --serial 5f1c0a... --reason superseded"})
public final class RevokeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--ca", required = true, paramLabel = "DIR", description = "Folder of the CA that issued the certificate.")
    Path caDir;

    @ArgGroup(exclusive = true)
    PasswordOptions.Ca caPassword;

    @Option(names = "--serial", paramLabel = "HEX", description = "Serial number (hex) of the certificate to revoke.")
    String serial;

    @Option(names = "--cert", paramLabel = "FILE", description = "The certificate to revoke (PEM or DER).")
    Path cert;

    @Option(names = "--reason", defaultValue = "unspecified", paramLabel = "REASON",
            description = "RFC 5280 reason: keyCompromise, cACompromise, affiliationChanged, superseded, "
                    + "cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise, unspecified (default).")
    String reason;

    @Option(names = "--crl-days", defaultValue = "7", description = "Validity of the new CRL in days (default: ${DEFAULT-VALUE}).")
    int crlDays;

    @Override
    public Integer call() throws Exception {
        if ((serial == null) == (cert == null)) {
            throw new UserException("say which certificate to revoke: give --serial HEX or --cert FILE (one of them)");
        }
        CRLReason r = Revocation.parseReason(reason);
        CaStore ca = CaStore.open(caDir, PasswordOptions.Ca.require(caPassword));
        BigInteger s;
        if (cert != null) {
            var c = Pem.readCertificate(cert);
            if (!c.getIssuerX500Principal().equals(ca.authority().certificate().getSubjectX500Principal())) {
                throw new UserException(cert + " was issued by " + c.getIssuerX500Principal().getName() + ", not by this CA");
            }
            s = c.getSerialNumber();
        } else {
            try {
                s = new BigInteger(serial.replace(":", ""), 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--serial: " + serial + " (expected: hexadecimal digits)");
            }
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        ca.revoke(s, r, now);
        X509CRL crl = ca.writeCrl(now, Duration.ofDays(crlDays));
        var o = spec.commandLine().getOut();
        o.println("Revoked serial " + s.toString(16) + " (" + Revocation.reasonName(r) + ") at " + now);
        o.println("Published " + caDir.resolve(CaStore.CRL) + " listing " + crl.getRevokedCertificates().size()
                + " revoked certificate(s), next update due " + crl.getNextUpdate().toInstant());
        return 0;
    }
}
