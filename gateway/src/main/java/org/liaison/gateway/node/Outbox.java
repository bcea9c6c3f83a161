package org.liaison.gateway.node;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.SecretKey;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.model.File;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;

/**
 * Turns an investigator's signed package into a queued message: checks the investigator's
 * signature and authority, encrypts each file as it is read (plaintext never touches this node's
 * disk), checks each file against the manifest's size and SHA-256, seals the envelope, and stores
 * it with one queued delivery per recipient — all or nothing.
 */
public final class Outbox {
    public static final Duration DEFAULT_TTL = Duration.ofDays(7);

    /** Something to read a file's plaintext from, once. */
    public interface Source {
        InputStream open() throws IOException;
    }

    /** A package to send. {@code conversationId} and {@code inReplyTo} may be null; the key makes retries safe. */
    public record Submission(byte[] manifestXml, List<Source> files, String idempotencyKey, UUID conversationId, UUID inReplyTo,
            Duration ttl) {}

    private final NodeState node;

    public Outbox(NodeState node) {
        this.node = node;
    }

    public UUID submit(Submission s) throws ProtocolException, IOException {
        if (s.idempotencyKey() != null) {
            Optional<UUID> earlier = node.store().messageForIdempotencyKey(s.idempotencyKey());
            if (earlier.isPresent()) {
                return earlier.get();
            }
        }
        Instant now = Instant.now();
        Manifests.Verified m = Manifests.verify(s.manifestXml(), node.trust(), now);
        if (!m.from().equals(node.me())) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the package is from " + m.from() + "; this node sends for " + node.me());
        }
        List<File> files = m.manifest().getFile();
        if (files.size() != s.files().size()) {
            throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "the manifest lists " + files.size() + " files, "
                    + s.files().size() + " were given");
        }
        SecretKey cek = ContentEncryption.newContentKey();
        Path staging = node.blobs().newStaging();
        try {
            List<PayloadInfo> payloads = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                payloads.add(encrypt(s.files().get(i), files.get(i), cek, i, BlobStore.payload(staging, i)));
            }
            UUID id = UUID.randomUUID();
            EnvelopeHeader h = new EnvelopeHeader(id, s.conversationId() == null ? id : s.conversationId(), s.inReplyTo(), now,
                    now.plus(s.ttl() == null ? DEFAULT_TTL : s.ttl()), node.me(),
                    m.manifest().getTo().stream().map(AuthorityId::of).toList(), m.manifest().getJit(), m.manifest().getService(),
                    "submit");
            List<AuthorityId> recipients = Envelopes.recipients(h, node.trust().directory());
            byte[] envelope = Envelopes.seal(h, node.trust().directory(), s.manifestXml(), payloads, cek, node.signing());
            Path blobs = node.blobs().commit(staging, node.blobs().outbox(id));
            staging = null;
            node.audit().record(AuditEvent.of("submit", "SHA256:" + org.liaison.certs.Fingerprint.of(m.investigator()).hex(),
                    id.toString(), recipients.toString(), "ok", null));
            node.store().storeOutgoing(new MessageStore.Outgoing(id, now, h.expires(), envelope, s.idempotencyKey(), blobs), recipients,
                    now);
            node.audit().record(AuditEvent.of("seal", node.me().value(), id.toString(), recipients.toString(), "ok", null));
            return id;
        } finally {
            if (staging != null) {
                node.blobs().discard(staging);
            }
        }
    }

    private static PayloadInfo encrypt(Source source, File expected, SecretKey cek, int index, Path target)
            throws IOException, ProtocolException {
        MessageDigest plainDigest = sha256();
        MessageDigest cipherDigest = sha256();
        long size;
        try (InputStream in = new DigestInputStream(source.open(), plainDigest);
                FileOutputStream file = new FileOutputStream(target.toFile());
                OutputStream enc = PayloadCipher.encrypt(cek, index, PayloadCipher.DEFAULT_SEGMENT_SIZE,
                        new DigestOutputStream(new SyncOnClose(file), cipherDigest))) {
            size = in.transferTo(enc);
        }
        if (size != expected.getSize() || !HexFormat.of().formatHex(plainDigest.digest()).equals(expected.getSha256())) {
            throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "file " + index + " (" + expected.getName()
                    + ") does not match the size and SHA-256 in the signed manifest");
        }
        return new PayloadInfo(index, PayloadCipher.DEFAULT_SEGMENT_SIZE, Files.size(target),
                HexFormat.of().formatHex(cipherDigest.digest()));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Forces the file to disk when the cipher stream closes it. */
    private static final class SyncOnClose extends java.io.FilterOutputStream {
        private final FileOutputStream file;

        SyncOnClose(FileOutputStream file) {
            super(file);
            this.file = file;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
            file.getFD().sync();
            super.close();
        }
    }
}
