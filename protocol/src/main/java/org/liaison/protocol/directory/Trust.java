package org.liaison.protocol.directory;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CertificateRejectedException;
import org.liaison.certs.CertificateValidator;
import org.liaison.certs.Purpose;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.SignerResolver;

/**
 * What a gateway trusts: the verified directory (which names each authority's national CA and
 * gateway certificates) and the current CRLs of those CAs. Every certificate an authority
 * presents is validated against that authority's own national CA only — a valid certificate of
 * another authority is not enough.
 */
public final class Trust {
    private final FederationDirectory directory;
    private final List<X509CRL> crls;

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
        try {
            validatorFor(id).validate(cert, List.of(), purpose, at);
            return cert;
        } catch (CertificateRejectedException e) {
            throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED, "certificate not trusted for " + id + ": " + e.getMessage());
        }
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
