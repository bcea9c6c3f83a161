package org.liaison.gateway.evidence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.liaison.certs.Pem;
import org.liaison.certs.SecureFiles;

/**
 * Every CRL the node has held, kept so that an evidence container can carry the CRLs that were in force
 * at each event's time (a certificate's status years later is checked with the CRL of then, not of the
 * day of the export). The node records the CRLs it holds whenever it issues an evidence and when it
 * exports a container: one file per distinct CRL, {@code SHA-256.pem}, written atomically, never removed.
 */
public final class CrlHistory {
    private final Path dir;
    private final Set<String> known = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile Collection<X509CRL> lastKept;

    public CrlHistory(Path dir) {
        this.dir = dir;
    }

    /** Records the CRLs not recorded yet (cheap when the node holds the same list as last time). */
    public void keep(Collection<X509CRL> crls) throws IOException {
        if (crls == lastKept) {
            return;
        }
        Files.createDirectories(dir);
        for (X509CRL c : crls) {
            String pem = Pem.crl(c);
            String name = XadesSeal.hex(XadesSeal.sha256(pem.getBytes(StandardCharsets.US_ASCII))) + ".pem";
            if (known.contains(name)) {
                continue;
            }
            Path f = dir.resolve(name);
            if (!Files.exists(f)) {
                SecureFiles.writeAtomically(f, pem.getBytes(StandardCharsets.US_ASCII), false);
            }
            known.add(name);
        }
        lastKept = crls;
    }

    /** Every CRL recorded. */
    public List<X509CRL> all() throws IOException {
        List<X509CRL> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".pem")).sorted().toList()) {
                out.add(Pem.readCrl(f));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return out;
    }

    /**
     * Of {@code crls}, per issuer the newest in force at {@code t} ({@code thisUpdate <= t < nextUpdate}):
     * the CRLs a certificate's status at {@code t} is checked with.
     */
    public static List<X509CRL> validAt(Collection<X509CRL> crls, Instant t) {
        Map<String, X509CRL> newest = new LinkedHashMap<>();
        for (X509CRL c : crls) {
            Instant from = c.getThisUpdate().toInstant();
            Instant until = c.getNextUpdate() == null ? null : c.getNextUpdate().toInstant();
            if (t.isBefore(from) || until != null && !t.isBefore(until)) {
                continue;
            }
            String issuer = c.getIssuerX500Principal().getName();
            X509CRL seen = newest.get(issuer);
            if (seen == null || c.getThisUpdate().after(seen.getThisUpdate())) {
                newest.put(issuer, c);
            }
        }
        return List.copyOf(newest.values());
    }

    /** The union of the CRLs in force at each of {@code times}, each CRL once. */
    public static List<X509CRL> validAtAny(Collection<X509CRL> crls, Collection<Instant> times) {
        Set<X509CRL> out = new java.util.LinkedHashSet<>();
        for (Instant t : times) {
            out.addAll(validAt(crls, t));
        }
        return List.copyOf(out);
    }

    /** De-duplicates CRLs by their encoding. */
    static List<X509CRL> distinct(Collection<X509CRL> crls) {
        Set<String> seen = new HashSet<>();
        List<X509CRL> out = new ArrayList<>();
        for (X509CRL c : crls) {
            try {
                if (seen.add(XadesSeal.hex(XadesSeal.sha256(c.getEncoded())))) {
                    out.add(c);
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("an unreadable CRL: " + e.getMessage(), e);
            }
        }
        return out;
    }
}
