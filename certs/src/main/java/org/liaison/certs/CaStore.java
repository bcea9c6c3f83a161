package org.liaison.certs;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.liaison.certs.CertificateAuthority.Revocation;

/**
 * A CA kept in a folder, so that operators can issue and revoke over time:
 *
 * <pre>
 *   ca.p12        the CA key and certificate chain (PKCS#12, password-protected, owner-only)
 *   ca.pem        the CA certificate chain, to hand out as a trust anchor
 *   issued.tsv    one line per certificate issued: serial (hex), notAfter, SHA-256, subject
 *   revoked.tsv   one line per revocation: serial (hex), time, reason
 *   crl-number    the number of the last CRL signed
 *   crl.pem       the latest CRL
 * </pre>
 *
 * Every file is replaced atomically and fsynced, so a crash leaves the old state or the new one.
 */
public final class CaStore {
    public static final String KEYSTORE = "ca.p12";
    public static final String CERTIFICATE = "ca.pem";
    public static final String CRL = "crl.pem";
    private static final String ISSUED = "issued.tsv";
    private static final String REVOKED = "revoked.tsv";
    private static final String CRL_NUMBER = "crl-number";

    private final Path dir;
    private final CertificateAuthority ca;

    private CaStore(Path dir, CertificateAuthority ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** Saves a new CA into an empty (or new) folder. */
    public static CaStore create(Path dir, CertificateAuthority ca, char[] password) throws IOException, GeneralSecurityException {
        if (Files.exists(dir.resolve(KEYSTORE))) {
            throw new IOException("a CA already exists in " + dir + "; refusing to overwrite it");
        }
        Files.createDirectories(dir);
        Keystores.save(ca.credential(), dir.resolve(KEYSTORE), password);
        Pem.writeCertificates(dir.resolve(CERTIFICATE), ca.credential().chain());
        write(dir.resolve(ISSUED), "");
        write(dir.resolve(REVOKED), "");
        return new CaStore(dir, ca);
    }

    public static CaStore open(Path dir, char[] password) throws IOException, GeneralSecurityException {
        if (!Files.exists(dir.resolve(KEYSTORE))) {
            throw new IOException(dir + " is not a CA folder (no " + KEYSTORE + "); create one with `liaison certs create-ca`");
        }
        return new CaStore(dir, CertificateAuthority.of(Keystores.load(dir.resolve(KEYSTORE), password)));
    }

    public CertificateAuthority authority() {
        return ca;
    }

    public Path directory() {
        return dir;
    }

    /** Issues and records a certificate. */
    public List<X509Certificate> issue(CertificateAuthority.Request request) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = ca.issue(request);
        X509Certificate cert = chain.get(0);
        String line = cert.getSerialNumber().toString(16) + "\t" + cert.getNotAfter().toInstant() + "\t"
                + Fingerprint.of(cert).hex() + "\t" + cert.getSubjectX500Principal().getName() + "\n";
        write(dir.resolve(ISSUED), read(ISSUED) + line);
        return chain;
    }

    /** Serial numbers of every certificate this CA issued. */
    public List<BigInteger> issuedSerials() throws IOException {
        List<BigInteger> serials = new ArrayList<>();
        for (String line : read(ISSUED).split("\n")) {
            if (!line.isBlank()) {
                serials.add(new BigInteger(line.split("\t")[0], 16));
            }
        }
        return serials;
    }

    public List<Revocation> revocations() throws IOException {
        List<Revocation> out = new ArrayList<>();
        for (String line : read(REVOKED).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            out.add(new Revocation(new BigInteger(f[0], 16), Instant.parse(f[1]), Revocation.parseReason(f[2])));
        }
        return out;
    }

    /**
     * Records a revocation. It takes effect for relying parties with the next CRL ({@link #writeCrl}).
     *
     * @throws IllegalArgumentException if this CA never issued the serial or it is already revoked
     */
    public Revocation revoke(BigInteger serial, CRLReason reason, Instant at) throws IOException {
        if (!issuedSerials().contains(serial)) {
            throw new IllegalArgumentException("serial " + serial.toString(16) + " was not issued by this CA ("
                    + ca.certificate().getSubjectX500Principal().getName() + ")");
        }
        for (Revocation r : revocations()) {
            if (r.serial().equals(serial)) {
                throw new IllegalArgumentException("serial " + serial.toString(16) + " is already revoked (since "
                        + r.revokedAt() + ")");
            }
        }
        Revocation rev = new Revocation(serial, at, reason);
        write(dir.resolve(REVOKED), read(REVOKED) + serial.toString(16) + "\t" + at + "\t" + Revocation.reasonName(reason) + "\n");
        return rev;
    }

    /** Signs a new CRL valid from {@code now} for {@code validity}, writes it to {@code crl.pem} and returns it. */
    public X509CRL writeCrl(Instant now, Duration validity) throws IOException, GeneralSecurityException {
        Path numberFile = dir.resolve(CRL_NUMBER);
        BigInteger number = Files.exists(numberFile)
                ? new BigInteger(Files.readString(numberFile).trim()).add(BigInteger.ONE) : BigInteger.ONE;
        X509CRL crl = ca.crl(revocations(), now, now.plus(validity), number);
        write(numberFile, number + "\n");
        Pem.writeCrl(dir.resolve(CRL), crl);
        return crl;
    }

    private String read(String name) throws IOException {
        Path p = dir.resolve(name);
        return Files.exists(p) ? Files.readString(p) : "";
    }

    private static void write(Path file, String content) throws IOException {
        SecureFiles.writeAtomically(file, content.getBytes(StandardCharsets.UTF_8), false);
    }
}
