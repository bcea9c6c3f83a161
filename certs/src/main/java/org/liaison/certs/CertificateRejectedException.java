package org.liaison.certs;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;

/**
 * A certificate was not accepted. The {@link Reason} is stable and machine-readable; the message
 * names the cause and the certificate, e.g. {@code expired on 2026-10-01T00:00:00Z (CN=IT-DNA gateway)}.
 */
public final class CertificateRejectedException extends GeneralSecurityException {
    public enum Reason {
        EXPIRED,
        NOT_YET_VALID,
        REVOKED,
        CRL_MISSING,
        CRL_STALE,
        CRL_INVALID,
        UNKNOWN_ISSUER,
        BAD_SIGNATURE,
        NOT_A_CA,
        PATH_LENGTH_EXCEEDED,
        WRONG_PURPOSE,
        MALFORMED,
        /** Our own checks passed but the JDK PKIX validator, run as a second opinion, refused. */
        PKIX_REJECTED
    }

    private final Reason reason;
    private final String subject;

    public CertificateRejectedException(Reason reason, X509Certificate certificate, String detail) {
        this(reason, certificate == null ? "unknown certificate" : certificate.getSubjectX500Principal().getName(), detail);
    }

    public CertificateRejectedException(Reason reason, String subject, String detail) {
        super(detail + " (" + subject + ")");
        this.reason = reason;
        this.subject = subject;
    }

    public Reason reason() {
        return reason;
    }

    /** RFC 2253 subject of the certificate that failed. */
    public String subject() {
        return subject;
    }
}
