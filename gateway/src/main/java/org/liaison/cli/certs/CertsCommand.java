package org.liaison.cli.certs;

import picocli.CommandLine.Command;

@Command(name = "certs",
        mixinStandardHelpOptions = true,
        description = {
            "Run the PKI of a federation or an authority: CAs, certificates, revocation, CRLs.",
            "",
            "A CA lives in a folder (ca.p12, ca.pem, issued.tsv, revoked.tsv, crl.pem). Keystores are PKCS#12;",
            "passwords come from a file or an environment variable, never from the command line.",
            "Certificate purposes: gateway-tls, envelope-signing, encryption, directory-signing, and the personal",
            "profiles investigator, auditor and operator (the role is carried as a certificate policy).",
        },
        subcommands = {InitFederationCommand.class, CreateCaCommand.class, IssueCommand.class, RevokeCommand.class, CrlCommand.class,
            InspectCommand.class, VerifyCommand.class},
        footer = {
            "",
            "A first PKI in four commands:",
            "  liaison certs create-ca --out it-ca --name \"CN=IT-DNA National CA, O=DNA, C=IT\" --password-file it-ca/password",
            "  liaison certs issue --ca it-ca --ca-password-file it-ca/password --profile investigator \\",
            "      --subject \"CN=Maria Rossi, OU=IT-DNA, O=DNA, C=IT\" --out rossi.p12 --password-file rossi.pw",
            "  liaison certs inspect rossi.p12 --password-file rossi.pw",
            "  liaison certs verify rossi.p12 --password-file rossi.pw --purpose investigator --anchor it-ca/ca.pem --crl it-ca/crl.pem",
        })
public final class CertsCommand {
}
