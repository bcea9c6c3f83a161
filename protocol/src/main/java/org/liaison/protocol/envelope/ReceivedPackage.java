package org.liaison.protocol.envelope;

import java.security.PrivateKey;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.liaison.certs.AuthorityId;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.model.File;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;

/**
 * What a receiving gateway checks inside an envelope before it receipts it: the signed manifest
 * it carries, and that the manifest and the envelope tell the same story.
 *
 * <p><b>Security guarantees.</b> When {@link #open} returns, the manifest decrypted with this
 * authority's key, passed schema validation (plain file names, no paths), is signed by an
 * investigator of the envelope's sending authority whose certificate is valid now, names the
 * same sending authority, the same addressees (authorities or JIT) and the same service as the
 * envelope, and lists one file per payload whose size the payload's ciphertext size matches
 * exactly. A package can therefore travel only from its own authority to its own addressees: a
 * member that re-seals another authority's package — whether or not it is marked
 * {@code no-onward-transfer} — is refused with {@link ErrorCode#PACKAGE_MISMATCH}.
 */
public final class ReceivedPackage {
    private ReceivedPackage() {}

    /** A received envelope, its content key and its manifest, all checked. */
    public record Checked(Envelopes.Verified envelope, Envelopes.Opened opened, Manifests.Verified manifest) {}

    /**
     * Opens a verified envelope with this authority's encryption key and checks the package inside.
     *
     * @throws ProtocolException DECRYPTION_FAILED, any manifest format or signature error, or
     *     PACKAGE_MISMATCH naming what differs
     */
    public static Checked open(Envelopes.Verified envelope, AuthorityId me, PrivateKey encryptionKey, Trust trust, Instant now)
            throws ProtocolException {
        return open(envelope, me, java.util.List.of(encryptionKey), trust, now);
    }

    /** As above, with each of this authority's encryption keys in turn (see {@link Envelopes#open(Envelopes.Sealed, AuthorityId, java.util.List)}). */
    public static Checked open(Envelopes.Verified envelope, AuthorityId me, java.util.List<PrivateKey> encryptionKeys, Trust trust,
            Instant now) throws ProtocolException {
        Envelopes.Opened opened = Envelopes.open(envelope, me, encryptionKeys);
        Manifests.Verified manifest = Manifests.verify(opened.manifestXml(), trust, now);
        check(envelope, manifest.manifest());
        return new Checked(envelope, opened, manifest);
    }

    /** The agreement of envelope and manifest (see the class comment). */
    static void check(Envelopes.Sealed envelope, Manifest m) throws ProtocolException {
        EnvelopeHeader h = envelope.header();
        AuthorityId packageFrom = AuthorityId.of(m.getFrom());
        if (!packageFrom.equals(h.from())) {
            boolean marked = m.getHandling() != null && m.getHandling().getFlag().contains(HandlingFlag.NO_ONWARD_TRANSFER);
            throw new ProtocolException(ErrorCode.PACKAGE_MISMATCH, "the package in message " + h.messageId() + " is "
                    + packageFrom + "'s but the envelope is from " + h.from() + ": a package relayed by another authority is refused"
                    + (marked ? " (and it is marked no-onward-transfer)" : ""));
        }
        if (!Objects.equals(m.getJit(), h.jit())) {
            throw new ProtocolException(ErrorCode.PACKAGE_MISMATCH, "the package is addressed to JIT " + m.getJit()
                    + " but the envelope to " + (h.jit() == null ? h.to() : "JIT " + h.jit()));
        }
        Set<String> packageTo = new HashSet<>(m.getTo());
        Set<String> envelopeTo = new HashSet<>();
        h.to().forEach(a -> envelopeTo.add(a.value()));
        if (!packageTo.equals(envelopeTo)) {
            throw new ProtocolException(ErrorCode.PACKAGE_MISMATCH, "the package is addressed to " + m.getTo()
                    + " but the envelope to " + h.to());
        }
        if (m.getService() != h.service()) {
            throw new ProtocolException(ErrorCode.PACKAGE_MISMATCH, "the package is a " + m.getService().value()
                    + " but the envelope says " + h.service().value());
        }
        List<File> files = m.getFile();
        List<PayloadInfo> payloads = envelope.payloads();
        if (files.size() != payloads.size()) {
            throw new ProtocolException(ErrorCode.PACKAGE_MISMATCH, "the package lists " + files.size() + " files but the envelope "
                    + payloads.size() + " payloads");
        }
        for (int i = 0; i < files.size(); i++) {
            PayloadInfo p = payloads.get(i);
            if (p.segmentSize() < PayloadCipher.MIN_SEGMENT_SIZE || p.segmentSize() > PayloadCipher.MAX_SEGMENT_SIZE) {
                throw new ProtocolException(ErrorCode.SCHEMA_INVALID, "payload " + i + ": segment size " + p.segmentSize()
                        + " (expected " + PayloadCipher.MIN_SEGMENT_SIZE + " to " + PayloadCipher.MAX_SEGMENT_SIZE + ")");
            }
            long expected = PayloadCipher.ciphertextSize(files.get(i).getSize(), p.segmentSize());
            if (p.ciphertextSize() != expected) {
                throw new ProtocolException(ErrorCode.PACKAGE_MISMATCH, "payload " + i + " has " + p.ciphertextSize()
                        + " ciphertext bytes but file " + files.get(i).getName() + " of " + files.get(i).getSize() + " bytes needs "
                        + expected);
            }
        }
    }
}
