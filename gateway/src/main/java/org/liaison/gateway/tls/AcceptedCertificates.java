package org.liaison.gateway.tls;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import org.liaison.certs.Fingerprint;
import org.liaison.protocol.directory.Trust;

/**
 * Certificates accepted under a trust, remembered for {@link #REMEMBER}, so that a handshake's
 * trust manager and the check at handshake completion (or on a reused connection) validate a
 * chain once. Per trust object: a new directory or CRL starts afresh; never past the
 * certificate's expiry; refusals are never remembered. At most 1,024 per trust.
 *
 * @param <T> what a validation yields (the peer authority, the local user)
 */
public final class AcceptedCertificates<T> {
    static final Duration REMEMBER = Duration.ofSeconds(10);

    /** The validation itself. */
    public interface Validation<T> {
        T validate() throws CertificateException;
    }

    private record Accepted<T>(T who, Instant until) {}

    private final Map<Trust, Map<String, Accepted<T>>> accepted = Collections.synchronizedMap(new WeakHashMap<>());

    /** What {@code validation} yields for {@code cert} under {@code trust}: remembered, or validated now. */
    public T get(Trust trust, X509Certificate cert, String scope, Instant now, Validation<T> validation) throws CertificateException {
        String key = scope + " " + Fingerprint.of(cert).hex();
        Map<String, Accepted<T>> seen = accepted.computeIfAbsent(trust, x -> new ConcurrentHashMap<>());
        Accepted<T> hit = seen.get(key);
        if (hit != null && now.isBefore(hit.until())) {
            return hit.who();
        }
        T who = validation.validate();
        Instant until = now.plus(REMEMBER);
        if (cert.getNotAfter().toInstant().isBefore(until)) {
            until = cert.getNotAfter().toInstant();
        }
        if (seen.size() < 1024) {
            seen.put(key, new Accepted<>(who, until));
        }
        return who;
    }
}
