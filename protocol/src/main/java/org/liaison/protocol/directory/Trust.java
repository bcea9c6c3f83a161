package org.liaison.protocol.directory;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateRejectedException;
import org.liaison.certs.CertificateValidator;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Purpose;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.SignerResolver;

/**
 * What a gateway trusts: the verified directory (which names each authority's national CA and
 * gateway certificates) and the current CRLs of those CAs. Every certificate an authority
 * presents is validated against that authority's own national CA only — a valid certificate of
 * another authority is not enough.
 *
 * <p>A certificate that validated is remembered, with this trust (a newer directory or CRL makes a new
 * {@code Trust}, which remembers nothing), until the first of: its own expiry, its CAs' expiry, the next
 * update of any CRL. Until then the same certificate for the same authority and purpose is not validated
 * again — the answer could not differ. A refusal is never remembered.
 */
public final class Trust {
    private final FederationDirectory directory;
    private final List<X509CRL> crls;
    /** Validated: "authority/purpose/certificate SHA-256" → the period in which that still holds. */
    private final java.util.Map<String, Instant[]> validated = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int REMEMBERED = 4096;

    public Trust(FederationDirectory directory, List<X509CRL> crls) {
        this.directory = directory;
        this.crls = List.copyOf(crls);
    }

    public FederationDirectory directory() {
        return directory;
    }

    public List<X509CRL> crls() {
        return crls;
    }

    /** A validator that trusts only {@code id}'s national CA(s). */
    public CertificateValidator validatorFor(AuthorityId id) throws ProtocolException {
        return new CertificateValidator(directory.require(id).nationalCas(), crls);
    }

    /**
     * Validates {@code cert} as {@code id}'s, for {@code purpose}, at {@code at}.
     *
     * @throws ProtocolException SIGNER_NOT_TRUSTED naming the reason
     */
    public X509Certificate validate(AuthorityId id, X509Certificate cert, Purpose purpose, Instant at) throws ProtocolException {
        String key = id.value() + "/" + purpose.name() + "/" + Fingerprint.of(cert).hex();
        Instant[] period = validated.get(key);
        if (period != null && !at.isBefore(period[0]) && at.isBefore(period[1])) {
            return cert;
        }
        try {
            validatorFor(id).validate(cert, List.of(), purpose, at);
        } catch (CertificateRejectedException e) {
            throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED, "certificate not trusted for " + id + ": " + e.getMessage());
        }
        Instant until = holdsUntil(id, cert);
        if (until != null) {
            if (validated.size() >= REMEMBERED) {
                validated.clear();
            }
            validated.put(key, new Instant[] {at, until});
        }
        return cert;
    }

    /** Until when a validation of {@code cert} for {@code id} stands with this trust (null: do not remember it). */
    private Instant holdsUntil(AuthorityId id, X509Certificate cert) throws ProtocolException {
        Instant until = cert.getNotAfter().toInstant();
        for (X509Certificate ca : directory.require(id).nationalCas()) {
            until = min(until, ca.getNotAfter().toInstant());
        }
        for (X509CRL crl : crls) {
            if (crl.getNextUpdate() == null) {
                return null;
            }
            until = min(until, crl.getNextUpdate().toInstant());
        }
        return until;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** The signer must be one of {@code id}'s gateway signing certificates listed in the directory, and valid. */
    public SignerResolver gatewaySigner(AuthorityId id, Instant at) {
        return claimed -> {
            FederationDirectory.Entry entry = directory.require(id);
            if (claimed == null || !entry.isSigningCertificate(claimed)) {
                throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED, "not signed with a gateway signing key that the directory "
                        + "lists for " + id);
            }
            return validate(id, claimed, Purpose.ENVELOPE_SIGNING, at);
        };
    }

    /** The signer must hold a personal certificate of {@code id}'s national CA with the role of {@code purpose}. */
    public SignerResolver person(AuthorityId id, Purpose purpose, Instant at) {
        return claimed -> {
            if (claimed == null) {
                throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED, "the signature names no certificate");
            }
            return validate(id, claimed, purpose, at);
        };
    }
}
