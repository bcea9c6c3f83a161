package org.liaison.certs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/** Reading and writing certificates and CRLs as PEM (reading also takes DER). */
public final class Pem {
    private Pem() {}

    public static String certificates(List<X509Certificate> certificates) {
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : certificates) {
            try {
                sb.append(block("CERTIFICATE", c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("certificate cannot be encoded", e);
            }
        }
        return sb.toString();
    }

    public static String crl(X509CRL crl) {
        try {
            return block("X509 CRL", crl.getEncoded());
        } catch (CRLException e) {
            throw new IllegalArgumentException("CRL cannot be encoded", e);
        }
    }

    private static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    public static void writeCertificates(Path file, List<X509Certificate> certificates) throws IOException {
        SecureFiles.writeAtomically(file, certificates(certificates).getBytes(StandardCharsets.US_ASCII), false);
    }

    public static void writeCrl(Path file, X509CRL crl) throws IOException {
        SecureFiles.writeAtomically(file, crl(crl).getBytes(StandardCharsets.US_ASCII), false);
    }

    /** All certificates in a PEM or DER file, in file order; an error when there are none. */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        byte[] bytes = read(file);
        try {
            Collection<? extends java.security.cert.Certificate> certs =
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : certs) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IOException(file + " holds no certificate (expected PEM or DER X.509)");
            }
            return out;
        } catch (CertificateException e) {
            throw new IOException(file + " is not a readable X.509 certificate: " + e.getMessage());
        }
    }

    public static X509Certificate readCertificate(Path file) throws IOException {
        return readCertificates(file).get(0);
    }

    public static X509CRL readCrl(Path file) throws IOException {
        byte[] bytes = read(file);
        try {
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(bytes));
            if (crl == null) {
                throw new IOException(file + " holds no CRL");
            }
            return crl;
        } catch (CRLException | CertificateException e) {
            throw new IOException(file + " is not a readable X.509 CRL: " + e.getMessage());
        }
    }

    private static byte[] read(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist");
        }
    }
}
