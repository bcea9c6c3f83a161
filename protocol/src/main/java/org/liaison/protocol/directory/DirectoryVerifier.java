package org.liaison.protocol.directory;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.liaison.certs.CertificateRejectedException;
import org.liaison.certs.CertificateValidator;
import org.liaison.certs.Purpose;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.dsig.SignatureAlgorithm;
import org.liaison.protocol.dsig.XmlSignatures;
import org.liaison.protocol.model.Directory;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;
import org.w3c.dom.Document;

/**
 * A gateway's side: accept a directory only if it is signed by a directory-signing certificate of
 * the pinned federation operator CA (valid, not revoked), not expired, and not older than the one
 * in use.
 *
 * <p><b>Security guarantees.</b> An unsigned directory, one signed by any other key, an expired
 * one, one issued in the future, a rollback (lower sequence) and a fork (same sequence, other
 * content) are all refused with their own error, and the directory in use stays.
 */
public final class DirectoryVerifier {
    /** Clock skew tolerated on {@code issued}. */
    static final Duration SKEW = Duration.ofMinutes(5);

    private final X509Certificate operatorCa;
    private final List<X509CRL> operatorCrls;

    public DirectoryVerifier(X509Certificate operatorCa, List<X509CRL> operatorCrls) {
        this.operatorCa = operatorCa;
        this.operatorCrls = List.copyOf(operatorCrls);
    }

    /** Verifies a directory on its own (signature, signer, schema, content, time). */
    public FederationDirectory verify(byte[] xml, Instant now) throws ProtocolException {
        Document doc = SecureXml.parse(xml, XmlLimits.DIRECTORY);
        SecureXml.root(doc, Formats.NS, "Directory");
        Directory draft = Formats.fromElement(doc.getDocumentElement(), Directory.class);
        // Time checks first, on the claimed values: they can only refuse, and say what is wrong
        // more plainly than a stale CRL would after the same amount of time.
        checkTimes(draft.getSequence(), Formats.instant(draft.getIssued()), Formats.instant(draft.getNextUpdate()), now);
        CertificateValidator validator = new CertificateValidator(List.of(operatorCa), operatorCrls);
        XmlSignatures.verify(doc, SignatureAlgorithm.allSuites(), claimed -> {
            if (claimed == null) {
                throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED, "the directory's signature names no certificate");
            }
            try {
                validator.validate(claimed, List.of(), Purpose.DIRECTORY_SIGNING, now);
                return claimed;
            } catch (CertificateRejectedException e) {
                throw new ProtocolException(ErrorCode.SIGNER_NOT_TRUSTED,
                        "the directory is not signed by the federation operator: " + e.getMessage());
            }
        });
        Directory model = Formats.fromElement(doc.getDocumentElement(), Directory.class);
        FederationDirectory d = FederationDirectory.of(model, xml);
        checkTimes(d.sequence(), d.issued(), d.nextUpdate(), now);
        return d;
    }

    private static void checkTimes(long sequence, Instant issued, Instant nextUpdate, Instant now) throws ProtocolException {
        if (!now.isBefore(nextUpdate)) {
            throw new ProtocolException(ErrorCode.DIRECTORY_EXPIRED, "directory #" + sequence + " expired at "
                    + nextUpdate + "; ask the federation operator for a new one");
        }
        if (issued.isAfter(now.plus(SKEW))) {
            throw new ProtocolException(ErrorCode.DIRECTORY_EXPIRED, "directory #" + sequence + " is issued in the future ("
                    + issued + "); check this machine's clock");
        }
    }

    /**
     * Decides whether {@code candidate} replaces {@code current}: it must verify and have a higher
     * sequence number. The same directory again returns {@code current} unchanged.
     *
     * @param current the directory in use, or {@code null} at first start
     */
    public FederationDirectory accept(FederationDirectory current, byte[] candidate, Instant now) throws ProtocolException {
        FederationDirectory next = verify(candidate, now);
        if (current == null) {
            return next;
        }
        if (next.sequence() < current.sequence()) {
            throw new ProtocolException(ErrorCode.DIRECTORY_ROLLBACK, "directory #" + next.sequence()
                    + " is older than directory #" + current.sequence() + " in use (rollback refused)");
        }
        if (next.sequence() == current.sequence()) {
            if (Arrays.equals(next.xml(), current.xml())) {
                return current;
            }
            throw new ProtocolException(ErrorCode.DIRECTORY_CONFLICT, "directory #" + next.sequence()
                    + " differs from the directory #" + current.sequence() + " in use (same sequence, other content)");
        }
        return next;
    }
}
