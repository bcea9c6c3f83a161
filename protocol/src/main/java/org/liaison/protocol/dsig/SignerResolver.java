package org.liaison.protocol.dsig;

import java.security.cert.X509Certificate;
import org.liaison.protocol.ProtocolException;

/**
 * Decides whose key must verify a signature. The certificate carried in the signature's
 * {@code KeyInfo}, if any, is only a claim: an implementation validates it (chain, revocation,
 * purpose) against what the directory says about the expected signer, or ignores it and returns
 * the directory's own certificate. It never returns a certificate it has not validated.
 */
@FunctionalInterface
public interface SignerResolver {
    /**
     * @param claimed the certificate in KeyInfo, or {@code null} when there is none
     * @return the validated certificate whose public key must verify the signature
     * @throws ProtocolException SIGNER_NOT_TRUSTED when no acceptable signer can be found
     */
    X509Certificate resolve(X509Certificate claimed) throws ProtocolException;
}
