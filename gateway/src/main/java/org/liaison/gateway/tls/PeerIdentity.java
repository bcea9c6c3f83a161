package org.liaison.gateway.tls;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
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
    private final Clock clock;

    /** {@code clock}: the node's, the time at which certificates are checked. */
    public PeerIdentity(Supplier<Trust> trust, Clock clock) {
        this.trust = trust;
        this.clock = clock;
    }

    /** Gateway certificates accepted under a trust, remembered for a few seconds (see {@link AcceptedCertificates}). */
    private static final AcceptedCertificates<AuthorityId> ACCEPTED = new AcceptedCertificates<>();

    public Trust trust() {
        return trust.get();
    }

    /**
     * @throws CertificateException naming the reason, when the certificate identifies no authority
     */
    public AuthorityId identify(X509Certificate cert, Purpose purpose) throws CertificateException {
        return identify(trust.get(), cert, purpose, clock.instant());
    }

    /** As {@link #identify(X509Certificate, Purpose)}, under a given trust, at {@code now} (the node's time). */
    public static AuthorityId identify(Trust t, X509Certificate cert, Purpose purpose, Instant now) throws CertificateException {
        return ACCEPTED.get(t, cert, purpose.toString(), now, () -> {
            for (FederationDirectory.Entry e : t.directory().authorities().values()) {
                if (e.isGatewayCertificate(cert)) {
                    try {
                        t.validate(e.id(), cert, purpose, now);
                        return e.id();
                    } catch (ProtocolException x) {
                        throw new CertificateException(x.getMessage());
                    }
                }
            }
            throw new CertificateException("certificate SHA-256 " + Fingerprint.of(cert).hex() + " ("
                    + cert.getSubjectX500Principal().getName() + ") is not a gateway certificate in directory #"
                    + t.directory().sequence());
        });
    }
}
