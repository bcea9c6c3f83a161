package org.liaison.certs;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CRLReason;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.liaison.certs.CertificateRejectedException.Reason;

/**
 * Validates a certificate for a {@link Purpose} against explicit trust anchors and CRLs — never
 * the JDK's {@code cacerts}.
 *
 * <p><b>Security guarantees.</b> A certificate is accepted only if: a chain leads from it through
 * the given intermediates to one of the anchors, each link's signature verifying with the
 * issuer's key; every certificate in the chain, the anchor included, is within its validity
 * period at the validation time; every issuer is a CA (basicConstraints CA:true, keyCertSign) whose
 * path-length constraint holds; every non-anchor certificate is covered by a CRL of its issuer
 * that verifies with the issuer's key (with cRLSign), is current ({@code thisUpdate <= t <
 * nextUpdate}) and does not list it — a missing, badly signed or stale CRL fails closed; and the
 * leaf passes {@link Purpose#check}. The JDK's PKIX validator then checks the same chain with the
 * same anchors and CRLs as a second opinion; it can only refuse more, never accept more.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CertificateValidator {
    private static final int MAX_CHAIN = 8;

    private final List<X509Certificate> anchors;
    private final List<X509CRL> crls;

    public CertificateValidator(List<X509Certificate> anchors, List<X509CRL> crls) {
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("anchors: empty (expected: at least one trusted CA certificate)");
        }
        this.anchors = List.copyOf(anchors);
        this.crls = List.copyOf(crls);
    }

    /** A validated chain: leaf first, the trust anchor last. */
    public record ValidatedPath(List<X509Certificate> chain) {
        public ValidatedPath {
            chain = List.copyOf(chain);
        }

        public X509Certificate leaf() {
            return chain.get(0);
        }

        public X509Certificate anchor() {
            return chain.get(chain.size() - 1);
        }
    }

    public ValidatedPath validate(X509Certificate leaf, List<X509Certificate> intermediates, Purpose purpose, Instant at)
            throws CertificateRejectedException {
        List<X509Certificate> chain = buildChain(leaf, intermediates);
        X509Certificate anchor = chain.get(chain.size() - 1);

        // Validity of every certificate, anchor included, from the top down so that the
        // first failure named is the one nearest the root.
        for (int i = chain.size() - 1; i >= 0; i--) {
            checkValidity(chain.get(i), at);
        }
        // Every issuer must be a CA with room for the CAs below it.
        for (int i = 1; i < chain.size(); i++) {
            X509Certificate issuer = chain.get(i);
            int pathLen = issuer.getBasicConstraints();
            if (pathLen < 0) {
                throw new CertificateRejectedException(Reason.NOT_A_CA, issuer,
                        "issuer is not a CA (basicConstraints CA:true missing) but issued " + subject(chain.get(i - 1)));
            }
            if (issuer.getKeyUsage() != null && !KeyUsages.hasKeyUsage(issuer, "keyCertSign")) {
                throw new CertificateRejectedException(Reason.NOT_A_CA, issuer,
                        "issuer may not sign certificates (key usage keyCertSign missing)");
            }
            int casBelow = i - 1;
            if (casBelow > pathLen) {
                throw new CertificateRejectedException(Reason.PATH_LENGTH_EXCEEDED, issuer,
                        "path length exceeded: " + casBelow + " CA certificate(s) below an issuer that allows " + pathLen);
            }
        }
        // Revocation of every certificate below the anchor, top down.
        for (int i = chain.size() - 2; i >= 0; i--) {
            checkRevocation(chain.get(i), chain.get(i + 1), at);
        }
        purpose.check(leaf);
        pkixSecondOpinion(chain, at);
        return new ValidatedPath(chain);
    }

    private List<X509Certificate> buildChain(X509Certificate leaf, List<X509Certificate> intermediates)
            throws CertificateRejectedException {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        X509Certificate current = leaf;
        Set<X509Certificate> used = new HashSet<>();
        while (chain.size() <= MAX_CHAIN) {
            X509Certificate anchor = findIssuer(current, anchors);
            if (anchor != null) {
                if (!anchor.equals(current)) {
                    chain.add(anchor);
                }
                return chain;
            }
            List<X509Certificate> candidates = new ArrayList<>(intermediates);
            candidates.removeAll(used);
            X509Certificate next = findIssuer(current, candidates);
            if (next == null || next.equals(current)) {
                if (current != leaf && current.getSubjectX500Principal().equals(current.getIssuerX500Principal())) {
                    throw new CertificateRejectedException(Reason.UNKNOWN_ISSUER, leaf, "unknown issuer: the chain ends at "
                            + subject(current) + ", which is not a trust anchor here");
                }
                throw new CertificateRejectedException(Reason.UNKNOWN_ISSUER, current,
                        "unknown issuer " + current.getIssuerX500Principal().getName());
            }
            used.add(next);
            chain.add(next);
            current = next;
        }
        throw new CertificateRejectedException(Reason.PATH_LENGTH_EXCEEDED, leaf,
                "no trust anchor within " + MAX_CHAIN + " certificates");
    }

    /** The candidate whose name matches {@code cert}'s issuer and whose key verifies its signature. */
    private static X509Certificate findIssuer(X509Certificate cert, List<X509Certificate> candidates)
            throws CertificateRejectedException {
        boolean nameMatched = false;
        for (X509Certificate c : candidates) {
            if (!c.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                continue;
            }
            nameMatched = true;
            if (verifies(cert, c)) {
                return c;
            }
        }
        if (nameMatched) {
            throw new CertificateRejectedException(Reason.BAD_SIGNATURE, cert,
                    "signature does not verify with the key of its issuer " + cert.getIssuerX500Principal().getName());
        }
        return null;
    }

    private static boolean verifies(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void checkValidity(X509Certificate cert, Instant at) throws CertificateRejectedException {
        Instant notBefore = cert.getNotBefore().toInstant();
        Instant notAfter = cert.getNotAfter().toInstant();
        if (at.isBefore(notBefore)) {
            throw new CertificateRejectedException(Reason.NOT_YET_VALID, cert, "not valid before " + notBefore);
        }
        if (at.isAfter(notAfter)) {
            throw new CertificateRejectedException(Reason.EXPIRED, cert, "expired on " + notAfter);
        }
    }

    private void checkRevocation(X509Certificate cert, X509Certificate issuer, Instant at) throws CertificateRejectedException {
        List<X509CRL> fromIssuer = new ArrayList<>();
        for (X509CRL crl : crls) {
            if (crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                fromIssuer.add(crl);
            }
        }
        if (fromIssuer.isEmpty()) {
            throw new CertificateRejectedException(Reason.CRL_MISSING, cert,
                    "revocation status unknown: no CRL from " + subject(issuer));
        }
        if (issuer.getKeyUsage() != null && !KeyUsages.hasKeyUsage(issuer, "cRLSign")) {
            throw new CertificateRejectedException(Reason.CRL_INVALID, cert,
                    "revocation status unknown: the issuer " + subject(issuer) + " may not sign CRLs (cRLSign missing)");
        }
        X509CRL newest = null;
        for (X509CRL crl : fromIssuer) {
            try {
                crl.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException e) {
                continue;
            }
            if (newest == null || crl.getThisUpdate().after(newest.getThisUpdate())) {
                newest = crl;
            }
        }
        if (newest == null) {
            throw new CertificateRejectedException(Reason.CRL_INVALID, cert,
                    "revocation status unknown: the CRL named " + subject(issuer) + " is not signed by its key");
        }
        Instant thisUpdate = newest.getThisUpdate().toInstant();
        if (at.isBefore(thisUpdate)) {
            throw new CertificateRejectedException(Reason.CRL_STALE, cert,
                    "revocation status unknown: the CRL of " + subject(issuer) + " is not valid before " + thisUpdate);
        }
        if (newest.getNextUpdate() == null || !at.isBefore(newest.getNextUpdate().toInstant())) {
            throw new CertificateRejectedException(Reason.CRL_STALE, cert,
                    "revocation status unknown: the CRL of " + subject(issuer) + " is stale (next update was due "
                            + (newest.getNextUpdate() == null ? "never set" : newest.getNextUpdate().toInstant()) + ")");
        }
        X509CRLEntry entry = newest.getRevokedCertificate(cert);
        if (entry != null && !entry.getRevocationDate().toInstant().isAfter(at)) {
            CRLReason reason = entry.getRevocationReason() == null ? CRLReason.UNSPECIFIED : entry.getRevocationReason();
            throw new CertificateRejectedException(Reason.REVOKED, cert, "revoked on "
                    + entry.getRevocationDate().toInstant() + " (" + CertificateAuthority.Revocation.reasonName(reason) + ")");
        }
    }

    private void pkixSecondOpinion(List<X509Certificate> chain, Instant at) throws CertificateRejectedException {
        X509Certificate anchor = chain.get(chain.size() - 1);
        List<X509Certificate> path = chain.subList(0, Math.max(chain.size() - 1, 1));
        if (chain.size() == 1) {
            return; // the leaf is itself an anchor: nothing for PKIX to build
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            CertPath certPath = cf.generateCertPath(path);
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
            params.setDate(Date.from(at));
            CertPathValidator validator = CertPathValidator.getInstance("PKIX");
            PKIXRevocationChecker revocation = (PKIXRevocationChecker) validator.getRevocationChecker();
            revocation.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS,
                    PKIXRevocationChecker.Option.NO_FALLBACK));
            params.setRevocationEnabled(true);
            params.addCertPathChecker(revocation);
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
            validator.validate(certPath, params);
        } catch (CertPathValidatorException e) {
            X509Certificate bad = e.getIndex() >= 0 && e.getIndex() < path.size() ? path.get(e.getIndex()) : chain.get(0);
            throw new CertificateRejectedException(Reason.PKIX_REJECTED, bad, "PKIX validation failed: " + e.getMessage());
        } catch (InvalidAlgorithmParameterException | NoSuchAlgorithmException | java.security.cert.CertificateException e) {
            throw new CertificateRejectedException(Reason.PKIX_REJECTED, chain.get(0), "PKIX validation failed: " + e.getMessage());
        }
    }

    private static String subject(X509Certificate cert) {
        return cert.getSubjectX500Principal().getName();
    }
}
