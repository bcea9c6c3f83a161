package org.liaison.cli.certs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.liaison.certs.Keystores;
import org.liaison.certs.Pem;
import org.liaison.cli.UserException;

/** Reads the certificate chain (leaf first) of a PEM/DER file or, given a password, a PKCS#12 keystore. */
final class CertificateInput {
    private CertificateInput() {}

    /** PKCS#12 by name, or a binary file that does not parse as a DER certificate. */
    static boolean isKeystore(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".p12") || name.endsWith(".pfx")) {
            return true;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == 0 || bytes[0] != 0x30) {
            return false; // PEM text (or garbage that the certificate reader will name)
        }
        try {
            java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(bytes));
            return false;
        } catch (java.security.cert.CertificateException e) {
            return true;
        }
    }

    static List<X509Certificate> read(Path file, PasswordOptions password) throws IOException, GeneralSecurityException {
        if (!Files.exists(file)) {
            throw new UserException(file + " does not exist");
        }
        if (isKeystore(file)) {
            if (password == null) {
                throw new UserException(file + " is a PKCS#12 keystore: add --password-file FILE or --password-env VAR to open it");
            }
            return Keystores.load(file, password.read(false)).chain();
        }
        return Pem.readCertificates(file);
    }
}
