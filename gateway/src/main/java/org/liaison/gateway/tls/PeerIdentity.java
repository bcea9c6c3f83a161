package org.liaison.gateway.tls;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.function.Supplier;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Purpose;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.Trust;

/**
 * Who is at the other end of a TLS connection: the authority whose directory entry lists this
 * exact certificate (by SHA-256 fingerprint, never by name) as a gateway certificate, provided the
 * certificate is valid for that authority (chain to its national CA, CRL, purpose).
 */
public final class PeerIdentity {
    private final Supplier<Trust> trust;

    public PeerIdentity(Supplier<Trust> trust) {
        this.trust = trust;
    }

    /**
     * Certificates accepted under a trust, remembered for {@link #REMEMBER} so that the handshake's
     * trust manager and the check at handshake completion (and a reused connection) validate a
     * chain once, not each time. Per trust object: a new directory or CRL starts afresh. Refusals
     * are never remembered.
     */
    private static final java.util.Map<Trust, java.util.Map<String, Accepted>> ACCEPTED =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    static final java.time.Duration REMEMBER = java.time.Duration.ofSeconds(10);

    private record Accepted(AuthorityId authority, Instant until) {}

    public Trust trust() {
        return trust.get();
    }

    /**
     * @throws CertificateException naming the reason, when the certificate identifies no authority
     */
    public AuthorityId identify(X509Certificate cert, Purpose purpose) throws CertificateException {
        return identify(trust.get(), cert, purpose);
    }

    /** As {@link #identify(X509Certificate, Purpose)}, under a given trust. */
    public static AuthorityId identify(Trust t, X509Certificate cert, Purpose purpose) throws CertificateException {
        Instant now = Instant.now();
        String key = Fingerprint.of(cert).hex() + " " + purpose;
        java.util.Map<String, Accepted> seen = ACCEPTED.computeIfAbsent(t, x -> new java.util.concurrent.ConcurrentHashMap<>());
        Accepted hit = seen.get(key);
        if (hit != null && now.isBefore(hit.until())) {
            return hit.authority();
        }
        for (FederationDirectory.Entry e : t.directory().authorities().values()) {
            if (e.isGatewayCertificate(cert)) {
                try {
                    t.validate(e.id(), cert, purpose, now);
                    Instant until = now.plus(REMEMBER);
                    if (cert.getNotAfter().toInstant().isBefore(until)) {
                        until = cert.getNotAfter().toInstant();
                    }
                    if (seen.size() < 1024) {
                        seen.put(key, new Accepted(e.id(), until));
                    }
                    return e.id();
                } catch (ProtocolException x) {
                    throw new CertificateException(x.getMessage());
                }
            }
        }
        throw new CertificateException("certificate SHA-256 " + Fingerprint.of(cert).hex() + " ("
                + cert.getSubjectX500Principal().getName() + ") is not a gateway certificate in directory #"
                + t.directory().sequence());
    }
}
