package org.liaison.gateway.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import java.security.cert.X509Certificate;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Fingerprint;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.local.Submissions;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SequentialFile;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.model.File;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;
import org.liaison.protocol.xml.Formats;

/**
 * Turns an investigator's signed package into a queued message: checks the investigator's
 * signature and authority, encrypts each file as it is read (plaintext never touches this node's
 * disk), checks each file against the manifest's size and SHA-256, seals the envelope, and stores
 * it with one queued delivery per recipient — all or nothing.
 */
public final class Outbox implements Submissions {
    private static final Logger LOG = LogManager.getLogger(Outbox.class);

    public static final Duration DEFAULT_TTL = Duration.ofDays(7);

    /** Something to read a file's plaintext from, once. */
    public interface Source {
        InputStream open() throws IOException;
    }

    /** A package to send. {@code conversationId} and {@code inReplyTo} may be null; the key makes retries safe. */
    public record Submission(byte[] manifestXml, List<Source> files, String idempotencyKey, UUID conversationId, UUID inReplyTo,
            Duration ttl) {}

    private final NodeState node;
    private volatile Runnable onStored = () -> { };

    /** Called after each new message is stored (the delivery worker starts at once instead of at its next poll). */
    public void onStored(Runnable r) {
        onStored = r;
    }

    /** Hears of each message sealed and stored here, with what was sealed into its envelope (see {@link #onSealed}). */
    public interface SealedListener {
        void sealed(UUID id, byte[] envelope, String envelopeSha256, EnvelopeHeader h, List<PayloadInfo> payloads, int recipients);
    }

    private volatile SealedListener onSealed = (id, envelope, sha256, h, payloads, recipients) -> { };

    /** Called after each new message is stored, before {@link #onStored}: the delivery worker keeps what it sends. */
    public void onSealed(SealedListener l) {
        onSealed = l;
    }

    public Outbox(NodeState node) {
        this.node = node;
    }

    /** Submits a package whose files are read from {@link Source}s, in manifest order. */
    public UUID submit(Submission s) throws ProtocolException, IOException {
        Session session = begin(s.manifestXml(), null, s.idempotencyKey(), s.conversationId(), s.inReplyTo(), s.ttl());
        if (session.existing() != null) {
            return session.existing();
        }
        if (session.fileCount() != s.files().size()) {
            session.abort();
            throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "the manifest lists " + session.fileCount() + " files, "
                    + s.files().size() + " were given");
        }
        try {
            byte[] buf = new byte[64 * 1024];
            for (Source src : s.files()) {
                try (InputStream in = src.open()) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        session.write(java.nio.ByteBuffer.wrap(buf, 0, n));
                    }
                }
            }
            return session.finish();
        } catch (ProtocolException | IOException | RuntimeException e) {
            session.abort();
            throw e;
        }
    }

    /**
     * Starts a submission whose file bytes are pushed as they arrive (the local API's streaming
     * upload): the files' bytes, concatenated in manifest order, go to {@link Session#write}.
     * The investigator's signature and authority are checked here, before any byte is accepted,
     * and before the idempotency key is looked up.
     *
     * @param submitter the certificate of the person submitting (the local API's TLS client), who
     *     must be the manifest's signer; {@code null} when the caller already vouches for the signer
     * @param idempotencyKey the user's key for safe retries, or null. Keys are scoped to the
     *     manifest's signer: another user's key never matches; the same key with another package
     *     is refused (IDEMPOTENCY_CONFLICT)
     */
    public Session begin(byte[] manifestXml, X509Certificate submitter, String idempotencyKey, UUID conversationId, UUID inReplyTo,
            Duration ttl) throws ProtocolException, IOException {
        return begin(manifestXml, submitter, idempotencyKey, conversationId, inReplyTo, ttl, 0);
    }

    /** How long an upload that broke is kept in memory for a resume with its idempotency key. */
    public static final Duration PARK = Duration.ofHours(1);
    /**
     * How many broken uploads are kept at once (each holds about half a MiB of cipher buffers and an open
     * file), so that abandoned uploads cannot exhaust memory.
     */
    public static final int MAX_PARKED = 32;
    /**
     * Each person's share of {@link #MAX_PARKED}. An upload that breaks while its person already has this
     * many waiting, or while the node holds {@link #MAX_PARKED}, is not kept (PARKED_UPLOADS_FULL when it is
     * resumed, audited as {@code upload-not-kept}): what is parked is never pushed out by someone else.
     */
    public static final int MAX_PARKED_PER_PERSON = 4;

    private record Parked(Session session, Instant until) {}

    /**
     * How old a payload folder in the outbox must be before a sweep may remove it when no message refers to
     * it: a seal moves the folder into place moments before the message is stored, on this node or (a shared
     * folder) on another node of the authority.
     */
    public static final Duration ORPHAN_GRACE = Duration.ofHours(1);

    /** The messages being sealed here now: their payload folder is in place, their row not stored yet. */
    private final java.util.Set<UUID> sealing = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Removes the outbox's payload folders that no message refers to — what a crash between a seal and
     * its storing leaves (the client's retry made another message, so nothing is lost) — each sealed more than
     * {@link #ORPHAN_GRACE} ago and not being sealed here; audited ({@code orphan-removed}) and counted. They are
     * found in the store: a seal is recorded before its folder is moved into place, and ends when its message is
     * stored (in the same transaction) or its folder discarded, so a sweep reads the seals left behind (an index
     * of a handful of rows), not the outbox folder, which holds a folder per message the node ever sent and
     * holds. Once, for a store from before seals were kept, the folder is looked through as it was before
     * ({@link #scanOutboxFolder}). An upload in progress or parked for a resume is in a staging folder, never in
     * the outbox.
     *
     * @return how many folders were removed
     */
    public int removeOrphans(Instant now) throws IOException {
        int removed = 0;
        if (node.store().sent().outboxScanDue()) {
            removed += scanOutboxFolder(now);
            node.store().sent().outboxScanned();
        }
        Path outboxRoot = node.blobs().outboxRoot();
        while (true) {
            List<UUID> left = node.store().sent().unfinishedSeals(now.minus(ORPHAN_GRACE), 256);
            for (UUID id : left) {
                if (sealing.contains(id)) {
                    continue; // still sealing here (a seal that takes an hour): not an orphan yet
                }
                Path folder = outboxRoot.resolve(id.toString());
                if (java.nio.file.Files.exists(folder) && node.store().sent().outgoing(id).isEmpty()) {
                    removeOrphan(id, folder);
                    removed++;
                }
                node.store().sent().sealEnded(id);
            }
            if (left.size() < 256) {
                return removed;
            }
        }
    }

    private void removeOrphan(UUID id, Path folder) throws IOException {
        node.audit().record(AuditEvent.of(node.clock(), "orphan-removed", node.me().value(), id.toString(), null, "deleted",
                "a payload folder in the outbox that no message refers to (a node stopped between a seal and storing it)"));
        BlobStore.deleteFolder(folder);
        node.metrics().orphanRemoved();
        LOG.info("removed the payload folder of message {}: no message refers to it", id);
    }

    /**
     * The outbox folder looked through once, for a store from before seals were kept: its folders older than
     * {@link #ORPHAN_GRACE} that no message refers to (a folder whose name is not a message id is left alone).
     */
    private int scanOutboxFolder(Instant now) throws IOException {
        Path outboxRoot = node.blobs().outboxRoot();
        if (!java.nio.file.Files.isDirectory(outboxRoot)) {
            return 0;
        }
        java.nio.file.attribute.FileTime before = java.nio.file.attribute.FileTime.from(now.minus(ORPHAN_GRACE));
        int removed = 0;
        try (var list = java.nio.file.Files.newDirectoryStream(outboxRoot)) {
            for (Path folder : list) {
                UUID id;
                try {
                    id = UUID.fromString(folder.getFileName().toString());
                } catch (IllegalArgumentException notAMessage) {
                    continue;
                }
                if (sealing.contains(id) || java.nio.file.Files.getLastModifiedTime(folder).compareTo(before) >= 0
                        || node.store().sent().outgoing(id).isPresent()) {
                    continue;
                }
                removeOrphan(id, folder);
                removed++;
            }
        }
        return removed;
    }

    /** Uploads that broke, by scoped idempotency key: their staged ciphertext and cipher state, kept for {@link #PARK}. */
    private final java.util.concurrent.ConcurrentHashMap<String, Parked> parked = new java.util.concurrent.ConcurrentHashMap<>();
    /** Scoped keys of uploads that broke and were not kept, and why (so that their resume says so); bounded, oldest out. */
    private final java.util.Map<String, String> notKept = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, String> eldest) {
            return size() > 1024;
        }
    });

    /** The idempotency key of a user (their certificate): keys are scoped to the manifest's signer. */
    public static String scopedKey(X509Certificate user, String idempotencyKey) {
        return person(user) + "/" + idempotencyKey;
    }

    private static String person(X509Certificate user) {
        return "SHA256:" + Fingerprint.of(user).hex();
    }

    /**
     * An upload with an idempotency key broke: its session stays, encrypted bytes and cipher state, so
     * that the same submission resumes after the file bytes it accepted ({@link Session#accepted}). Kept
     * in memory only (a restarted node starts the upload again): no content key is written to disk.
     * Beyond the person's share ({@link #MAX_PARKED_PER_PERSON}) or the node's ({@link #MAX_PARKED}) it
     * is dropped instead, and the refusal audited.
     */
    public void park(Session session) {
        if (session.idempotencyKey == null || session.existing != null) {
            session.abort();
            return;
        }
        Instant now = node.clock().instant();
        dropExpired(now);
        String refused = null;
        Parked old;
        synchronized (parked) {
            old = parked.get(session.idempotencyKey);
            long others = parked.size() - (old == null ? 0 : 1);
            long mine = parked.values().stream().filter(p -> p.session().person.equals(session.person)
                    && !p.session().idempotencyKey.equals(session.idempotencyKey)).count();
            if (mine >= MAX_PARKED_PER_PERSON) {
                refused = "you had " + mine + " broken uploads waiting for a resume already (at most " + MAX_PARKED_PER_PERSON
                        + " per person, each kept for " + PARK.toMinutes() + " minutes)";
            } else if (others >= MAX_PARKED) {
                refused = "this node held " + others + " broken uploads waiting for a resume (at most " + MAX_PARKED + ")";
            } else {
                parked.put(session.idempotencyKey, new Parked(session, now.plus(PARK)));
                notKept.remove(session.idempotencyKey);
            }
        }
        if (refused != null) {
            session.abort();
            String why = "the upload with idempotency key " + session.userKey + " broke after " + session.accepted()
                    + " file bytes and was not kept for a resume: " + refused;
            notKept.put(session.idempotencyKey, why);
            node.audit().record(AuditEvent.of(node.clock(), "upload-not-kept", session.person, null, null, "refused",
                    ErrorCode.PARKED_UPLOADS_FULL.code() + " " + why));
            return;
        }
        if (old != null && old.session() != session) {
            old.session().abort();
        }
    }

    private void dropExpired(Instant now) {
        parked.forEach((k, p) -> {
            if (p.until().isBefore(now) && parked.remove(k, p)) {
                p.session().abort();
            }
        });
    }

    /** The file bytes a broken upload with this key kept, waiting for a resume (0 when none waits). */
    @Override
    public long parkedBytes(X509Certificate user, String idempotencyKey) {
        dropExpired(node.clock().instant());
        Parked p = parked.get(scopedKey(user, idempotencyKey));
        return p == null ? 0 : p.session().accepted();
    }

    /** Drops every parked upload (the node stops). */
    public void close() {
        parked.values().forEach(p -> p.session().abort());
        parked.clear();
    }

    /**
     * As {@link #begin(byte[], X509Certificate, String, UUID, UUID, Duration)}, resuming a broken upload
     * with the same key and package when {@code resumeFrom} &gt; 0: its file bytes then continue at
     * {@code resumeFrom}, which must be what the parked session accepted (else RESUME_MISMATCH).
     */
    @Override
    public Session begin(byte[] manifestXml, X509Certificate submitter, String idempotencyKey, UUID conversationId, UUID inReplyTo,
            Duration ttl, long resumeFrom) throws ProtocolException, IOException {
        node.evidence().requireTrustedTime(); // LIAISON:0058 before any work
        Instant now = node.clock().instant();
        Manifests.Verified m = Manifests.verify(manifestXml, node.trust(), now);
        if (submitter != null && !Fingerprint.of(m.investigator()).equals(Fingerprint.of(submitter))) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the package is signed by "
                    + m.investigator().getSubjectX500Principal().getName() + ", not by you (" + submitter.getSubjectX500Principal().getName()
                    + ")");
        }
        if (!m.from().equals(node.me())) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, "the package is from " + m.from() + "; this node sends for " + node.me());
        }
        List<AuthorityId> addressees = m.manifest().getJit() != null
                ? node.trust().directory().requireJit(m.manifest().getJit(), now).members().stream().filter(a -> !a.equals(node.me())).toList()
                : m.manifest().getTo().stream().map(AuthorityId::of).toList();
        if (inReplyTo != null) {
            requireSenderAddressed(m, inReplyTo, addressees);
        }
        try {
            node.checkOnwardTransfer(m.manifest(), addressees);
        } catch (ProtocolException refused) {
            node.audit().record(AuditEvent.of(node.clock(), "submit-refused", "SHA256:" + Fingerprint.of(m.investigator()).hex(), null,
                    addressees.toString(), "refused", refused.code().code() + " " + refused.getMessage()));
            node.evidence().submissionRefused(m.manifest(), addressees, refused.code().code(), refused.getMessage());
            throw refused;
        }
        String scopedKey = idempotencyKey == null ? null : scopedKey(m.investigator(), idempotencyKey);
        String packageSha256 = Manifests.packageDigest(m.manifest());
        if (scopedKey != null) {
            Optional<UUID> earlier = earlier(scopedKey, idempotencyKey, packageSha256);
            if (earlier.isPresent()) {
                return new Session(earlier.get());
            }
            Parked p = parked.remove(scopedKey);
            String dropped = notKept.remove(scopedKey);
            if (resumeFrom > 0) {
                if (p == null && dropped != null) {
                    throw new ProtocolException(ErrorCode.PARKED_UPLOADS_FULL, dropped + ": send it from the start");
                }
                if (p == null || !p.session().packageSha256.equals(packageSha256)
                        || !java.util.Objects.equals(p.session().inReplyTo, inReplyTo)) {
                    if (p != null) {
                        p.session().abort();
                    }
                    throw new ProtocolException(ErrorCode.RESUME_MISMATCH, "nothing of this upload is kept (the node restarted, or"
                            + " the upload was another package's or answered another message): send it from the start");
                }
                if (p.session().accepted() != resumeFrom) {
                    parked.put(scopedKey, p);
                    throw new ProtocolException(ErrorCode.RESUME_MISMATCH, "the upload resumes at file byte " + p.session().accepted()
                            + ", not " + resumeFrom);
                }
                return p.session();
            }
            if (p != null) {
                p.session().abort(); // sent again from the start
            }
        } else if (resumeFrom > 0) {
            throw new ProtocolException(ErrorCode.RESUME_MISMATCH, "only an upload with an idempotency key resumes");
        }
        return new Session(m, manifestXml, packageSha256, scopedKey, idempotencyKey, conversationId, inReplyTo,
                ttl == null ? DEFAULT_TTL : ttl, now);
    }

    /**
     * A reply settles the request it answers, on both sides: it must go to that request's sender (others may
     * be added). Otherwise it is refused (LIAISON:0036), audited as {@code submit-refused}, and nothing changes.
     */
    private void requireSenderAddressed(Manifests.Verified m, UUID inReplyTo, List<AuthorityId> addressees) throws ProtocolException {
        AuthorityId asker = node.store().inbox().received(inReplyTo).map(MessageStore.Received::sender).orElseThrow(() ->
                new ProtocolException(ErrorCode.NOT_FOUND, "message " + inReplyTo + " is not in this node's inbox"));
        if (addressees.contains(asker)) {
            return;
        }
        ProtocolException refused = new ProtocolException(ErrorCode.REPLY_NOT_TO_SENDER, "message " + inReplyTo + " came from " + asker
                + ", so a reply to it must be addressed to " + asker + " (others may be added), not only to "
                + (m.manifest().getJit() != null ? "the other members of " + m.manifest().getJit()
                        : String.join(", ", addressees.stream().map(AuthorityId::value).toList())));
        node.audit().record(AuditEvent.of(node.clock(), "submit-refused", "SHA256:" + Fingerprint.of(m.investigator()).hex(), inReplyTo.toString(),
                addressees.toString(), "refused", refused.code().code() + " " + refused.getMessage()));
        node.evidence().submissionRefused(m.manifest(), addressees, refused.code().code(), refused.getMessage());
        throw refused;
    }

    /** The message an earlier submission with this key made from the same package; a different package is a conflict. */
    private Optional<UUID> earlier(String scopedKey, String key, String packageSha256) throws ProtocolException {
        Optional<MessageStore.Idempotent> earlier = node.store().sent().messageForIdempotencyKey(scopedKey);
        if (earlier.isEmpty()) {
            return Optional.empty();
        }
        String before = earlier.get().packageSha256();
        if (before != null && !before.equals(packageSha256)) { // null: a message stored before digests were kept
            throw new ProtocolException(ErrorCode.IDEMPOTENCY_CONFLICT, "idempotency key " + key + " was used for message "
                    + earlier.get().messageId() + " with another package; use a new key for a new package");
        }
        return Optional.of(earlier.get().messageId());
    }

    /** One lock per idempotency key being finished, so that concurrent attempts with one key make one message. */
    private final java.util.concurrent.ConcurrentHashMap<String, Object> finishing = new java.util.concurrent.ConcurrentHashMap<>();

    /** One submission in progress. Not thread-safe: one writer. */
    public final class Session implements Submissions.Upload {
        private final UUID existing;
        private final Manifests.Verified manifest;
        private final byte[] manifestXml;
        private final String packageSha256;
        private final String idempotencyKey;
        private final String userKey;
        /** Whose upload this is (the manifest signer's fingerprint): parked uploads are shared out by it. */
        private final String person;
        private final UUID conversationId;
        private final UUID inReplyTo;
        private final Duration ttl;
        private final Instant now;
        private final SecretKey cek = ContentEncryption.newContentKey();
        private final List<PayloadInfo> payloads = new ArrayList<>();
        private Path staging;
        private int file = -1;
        private long fileFilled;
        private OutputStream encrypting;
        private SequentialFile target;
        private MessageDigest plainDigest;
        private MessageDigest cipherDigest;
        /**
         * Where file bytes pass on their way to the digest and the cipher when they come in a direct buffer (one array per
         * upload, not one per chunk; made when first needed: the local API's pooled heap buffers are read in place).
         */
        private byte[] scratch;

        private Session(UUID existing) {
            this.existing = existing;
            this.manifest = null;
            this.manifestXml = null;
            this.packageSha256 = null;
            this.idempotencyKey = null;
            this.userKey = null;
            this.person = null;
            this.conversationId = null;
            this.inReplyTo = null;
            this.ttl = null;
            this.now = null;
        }

        private Session(Manifests.Verified manifest, byte[] manifestXml, String packageSha256, String idempotencyKey, String userKey,
                UUID conversationId, UUID inReplyTo, Duration ttl, Instant now) throws IOException, ProtocolException {
            this.existing = null;
            this.manifest = manifest;
            this.manifestXml = manifestXml;
            this.packageSha256 = packageSha256;
            this.idempotencyKey = idempotencyKey;
            this.userKey = userKey;
            this.person = person(manifest.investigator());
            this.conversationId = conversationId;
            this.inReplyTo = inReplyTo;
            this.ttl = ttl;
            this.now = now;
            this.staging = node.blobs().newStaging();
            nextFile();
        }

        /** The message an earlier submission with the same idempotency key made, or null. */
        @Override
        public UUID existing() {
            return existing;
        }

        public int fileCount() {
            return manifest == null ? 0 : manifest.manifest().getFile().size();
        }

        /** The file bytes accepted so far (all files, in manifest order): where a resumed upload continues. */
        public synchronized long accepted() {
            if (manifest == null) {
                return 0;
            }
            long n = fileFilled;
            List<File> files = manifest.manifest().getFile();
            for (int i = 0; i < Math.min(file, files.size()); i++) {
                n += files.get(i).getSize();
            }
            return file >= files.size() ? expectedBytes() : n;
        }

        /** The total number of file bytes the manifest announces. */
        public long expectedBytes() {
            return manifest == null ? 0 : manifest.manifest().getFile().stream().mapToLong(File::getSize).sum();
        }

        private void nextFile() throws IOException, ProtocolException {
            List<File> files = manifest.manifest().getFile();
            while (true) {
                if (encrypting != null) {
                    closeFile();
                }
                file++;
                if (file >= files.size()) {
                    return;
                }
                plainDigest = sha256();
                cipherDigest = sha256();
                target = SequentialFile.create(BlobStore.payload(staging, file), files.get(file).getSize());
                encrypting = PayloadCipher.encrypt(cek, file, PayloadCipher.DEFAULT_SEGMENT_SIZE,
                        new DigestOutputStream(target.stream(true), cipherDigest));
                fileFilled = 0;
                if (files.get(file).getSize() > 0) {
                    return;
                }
            }
        }

        private void closeFile() throws IOException, ProtocolException {
            encrypting.close();
            encrypting = null;
            File expected = manifest.manifest().getFile().get(file);
            if (!HexFormat.of().formatHex(plainDigest.digest()).equals(expected.getSha256())) {
                throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "file " + file + " (" + expected.getName()
                        + ") does not match the size and SHA-256 in the signed manifest");
            }
            Path p = BlobStore.payload(staging, file);
            payloads.add(new PayloadInfo(file, PayloadCipher.DEFAULT_SEGMENT_SIZE, Files.size(p),
                    HexFormat.of().formatHex(cipherDigest.digest())));
        }

        /** Accepts the next bytes of the files, in manifest order; encrypts them as they come. */
        @Override
        public synchronized void write(java.nio.ByteBuffer data) throws IOException, ProtocolException {
            List<File> files = manifest.manifest().getFile();
            while (data.hasRemaining()) {
                if (file >= files.size()) {
                    throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "more bytes than the manifest's files hold");
                }
                long left = files.get(file).getSize() - fileFilled;
                byte[] bytes;
                int off;
                int n;
                if (data.hasArray()) { // the sink's pooled heap buffer: read in place, not copied once more
                    n = (int) Math.min(left, data.remaining());
                    bytes = data.array();
                    off = data.arrayOffset() + data.position();
                    data.position(data.position() + n);
                } else {
                    if (scratch == null) {
                        scratch = new byte[64 * 1024];
                    }
                    n = (int) Math.min(left, Math.min(data.remaining(), scratch.length));
                    data.get(scratch, 0, n);
                    bytes = scratch;
                    off = 0;
                }
                plainDigest.update(bytes, off, n);
                encrypting.write(bytes, off, n);
                fileFilled += n;
                if (fileFilled == files.get(file).getSize()) {
                    nextFile();
                }
            }
        }

        /** All bytes arrived: seals the envelope and queues it. Nothing is queued if anything is missing. */
        @Override
        public UUID finish() throws IOException, ProtocolException {
            if (existing != null) {
                return existing;
            }
            if (idempotencyKey == null) {
                return seal();
            }
            // Concurrent attempts with one key: the first seals and stores; the others find its message
            // and write nothing (no blobs, no audit entries for a message that will never exist).
            Object lock = finishing.computeIfAbsent(idempotencyKey, k -> new Object());
            try {
                synchronized (lock) {
                    Optional<UUID> earlier;
                    try {
                        earlier = earlier(idempotencyKey, userKey, packageSha256);
                    } catch (ProtocolException e) {
                        abort();
                        throw e;
                    }
                    if (earlier.isPresent()) {
                        abort();
                        return earlier.get();
                    }
                    return seal();
                }
            } finally {
                finishing.remove(idempotencyKey, lock);
            }
        }

        private UUID seal() throws IOException, ProtocolException {
            UUID id = UUID.randomUUID();
            sealing.add(id); // from before its folder is in place until it is stored (or discarded): not an orphan
            try {
                // Recorded before the folder is in place: a crash from here until the message is stored leaves the
                // seal, which names the folder to remove (see removeOrphans); storing the message ends it.
                node.store().sent().sealing(id, now);
                return seal(id);
            } finally {
                sealing.remove(id);
            }
        }

        private UUID seal(UUID id) throws IOException, ProtocolException {
            UUID sealed = null;
            Path committed = null;
            try {
                if (file < manifest.manifest().getFile().size()) {
                    throw new ProtocolException(ErrorCode.DIGEST_MISMATCH, "the upload ended inside file " + file + " ("
                            + manifest.manifest().getFile().get(file).getName() + ")");
                }
                EnvelopeHeader h = new EnvelopeHeader(id, conversationId == null ? id : conversationId, inReplyTo, now,
                        now.plus(ttl), node.me(), manifest.manifest().getTo().stream().map(AuthorityId::of).toList(),
                        manifest.manifest().getJit(), manifest.manifest().getService(), inReplyTo == null ? "submit" : "reply");
                List<AuthorityId> recipients = Envelopes.recipients(h, node.trust().directory());
                byte[] envelope = Envelopes.seal(h, node.trust().directory(), manifestXml, payloads, cek, node.signing());
                String envelopeSha256 = Envelopes.sha256(envelope);
                Path blobs = node.blobs().commit(staging, node.blobs().outbox(id));
                committed = blobs;
                staging = null;
                // Both events are durable (one fsync) before the message exists: a message in the store
                // always has them; a crash before the store leaves a logged seal and no message, which
                // the investigator sees as a failed submit.
                node.audit().append(AuditEvent.of(node.clock(), "submit", "SHA256:" + Fingerprint.of(manifest.investigator()).hex(),
                        id.toString(), recipients.toString(), "ok", null).about(h).with("case", manifest.manifest().getCase()));
                var flags = manifest.manifest().getHandling().getFlag();
                node.audit().record(AuditEvent.of(node.clock(), "seal", node.me().value(), id.toString(), recipients.toString(), "ok", null).about(h)
                        .with("envelopeSha256", envelopeSha256).with("handling", flags.isEmpty() ? null
                                : String.join(",", flags.stream().map(HandlingFlag::value).toList()))
                        .with("respondBy", manifest.manifest().getRespondBy() == null ? null
                                : Formats.instant(manifest.manifest().getRespondBy()).toString()));
                sealed = id;
                Optional<MessageStore.Idempotent> taken = node.store().sent().storeOutgoing(new MessageStore.Outgoing(id, now, h.expires(),
                        envelope, idempotencyKey, blobs, packageSha256, envelopeSha256,
                        "SHA256:" + Fingerprint.of(manifest.investigator()).hex(),
                        manifest.manifest().getRespondBy() == null ? null
                                : Formats.instant(manifest.manifest().getRespondBy()),
                        manifest.manifest().getCase(), MessageStore.Sealed.of(h)), recipients, now);
                if (taken.isPresent()) {
                    // Another node of the authority (same store) stored a message under this key between the check and
                    // this store: that one is the message, as on one node. This sealed copy is never stored; the log says so.
                    String before = taken.get().packageSha256();
                    if (before != null && !before.equals(packageSha256)) {
                        throw new ProtocolException(ErrorCode.IDEMPOTENCY_CONFLICT, "idempotency key " + userKey + " was used for message "
                                + taken.get().messageId() + " with another package; use a new key for a new package");
                    }
                    abort();
                    node.blobs().discard(committed);
                    sealEnded(id);
                    node.audit().record(AuditEvent.of(node.clock(), "submit-failed", node.me().value(), id.toString(), null, "failed",
                            "sealed but not stored: idempotency key taken meanwhile by message " + taken.get().messageId()
                                    + " (another node); answered with it"));
                    return taken.get().messageId();
                }
                node.evidence().submissionAccepted(h, recipients, manifest.manifest(), manifestXml, envelope, payloads);
                if (inReplyTo != null) {
                    node.sealedReply(inReplyTo);
                }
                onSealed.sealed(id, envelope, envelopeSha256, h, payloads, recipients.size());
                onStored.run();
                return id;
            } catch (ProtocolException | IOException | RuntimeException e) {
                abort();
                if (committed != null) {
                    node.blobs().discard(committed); // nothing refers to it: no orphan folder stays
                }
                sealEnded(id);
                if (sealed != null) {
                    node.audit().record(AuditEvent.of(node.clock(), "submit-failed", node.me().value(), sealed.toString(), null, "failed",
                            "sealed but not stored: " + e.getMessage()));
                }
                throw e;
            }
        }

        /** The seal of {@code id} ended without its message (its folder discarded); if the store fails, the sweep ends it. */
        private void sealEnded(UUID id) {
            try {
                node.store().sent().sealEnded(id);
            } catch (RuntimeException e) {
                LOG.warn("cannot record the end of the seal of {}: {}", id, e.toString());
            }
        }

        /** Drops everything written so far. Idempotent. */
        @Override
        public void park() {
            Outbox.this.park(this);
        }

        @Override
        public synchronized void abort() {
            try {
                if (encrypting != null) {
                    encrypting.close();
                }
            } catch (IOException e) {
                // the staging folder goes anyway
            }
            encrypting = null;
            if (staging != null) {
                node.blobs().discard(staging);
                staging = null;
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
