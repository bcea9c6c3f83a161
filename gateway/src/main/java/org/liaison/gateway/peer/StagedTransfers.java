package org.liaison.gateway.peer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.LogManager;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.SequentialFile;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.envelope.PayloadKeys;
import org.liaison.protocol.stream.PayloadCipher;

/**
 * Messages being received, staged so that a broken transfer resumes where its verified bytes end
 * rather than from byte 0. One folder per (sender, message id):
 *
 * <pre>
 *   transfers/SENDER/MESSAGE-ID/envelope      the signed envelope, as received
 *   transfers/SENDER/MESSAGE-ID/payload-N     ciphertext received so far
 * </pre>
 *
 * A connection that breaks leaves the folder as it is; a refusal removes it. Nothing stored is
 * trusted: where a transfer resumes is computed by authenticating the stored segments with the
 * payload key (a segment altered on disk, or torn by a crash, and everything after it, is asked
 * for again), and the digest of each whole payload is still checked against the signed envelope
 * at the end. One request at a time holds a message's folder ({@link #claim}).
 *
 * <p>Each peer stages at most {@link #MAX_PER_PEER} transfers: a new one beyond it pushes out that
 * peer's least recently written transfer that no request holds (never another peer's), and every
 * folder dropped unfinished — for the budget or abandoned for {@link #KEEP} — is reported to
 * {@link Drops} (the node audits and counts it).
 */
public final class StagedTransfers {
    static final String ENVELOPE = "envelope";
    /** How long an abandoned transfer is kept (a sender retries until its message expires; longer-lived ones start again). */
    public static final Duration KEEP = Duration.ofDays(7);

    /**
     * Where a transfer continues: {@code offset} bytes into the concatenated payload ciphertexts,
     * which is byte {@code within} of payload {@code payload}; {@code digest} holds that payload's
     * bytes before it (null when every payload is complete).
     */
    public record Point(long offset, int payload, long within, MessageDigest digest) {}

    /**
     * How many unfinished transfers one peer may have staged. A sender retries a broken delivery while it
     * has others to send, over a few connections; a peer that cuts many deliveries only loses the resume
     * point of its own oldest ones.
     */
    public static final int MAX_PER_PEER = 8;

    /** Where the node hears of a staged transfer dropped unfinished: {@code why} is {@code budget} or {@code abandoned}. */
    public interface Drops {
        void dropped(AuthorityId sender, UUID messageId, long bytes, String why);
    }

    private final Path root;
    private final Drops drops;
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final Map<String, Point> verified = new ConcurrentHashMap<>();

    public StagedTransfers(Path root, Drops drops) throws IOException {
        this.root = Files.createDirectories(root);
        this.drops = drops;
    }

    public Path dir(AuthorityId sender, UUID messageId) {
        return root.resolve(sender.value()).resolve(messageId.toString());
    }

    private static String key(AuthorityId sender, UUID messageId) {
        return sender.value() + "/" + messageId;
    }

    /** Takes the folder of one message for one request; false while another request holds it. */
    public boolean claim(AuthorityId sender, UUID messageId) {
        return held.add(key(sender, messageId));
    }

    public void release(AuthorityId sender, UUID messageId) {
        held.remove(key(sender, messageId));
    }

    /** The staged envelope, or null when none is staged. */
    public byte[] stagedEnvelope(AuthorityId sender, UUID messageId) throws IOException {
        Path f = dir(sender, messageId).resolve(ENVELOPE);
        return Files.exists(f) ? Files.readAllBytes(f) : null;
    }

    /**
     * Starts a message's folder afresh (whatever was staged goes) with its envelope, within the sender's
     * budget ({@link #MAX_PER_PEER}). Hold the claim.
     *
     * @throws ProtocolException UNAVAILABLE when every transfer the sender has staged is being received now
     */
    public Path start(AuthorityId sender, UUID messageId, byte[] envelope) throws IOException, ProtocolException {
        verified.remove(key(sender, messageId));
        Path d = dir(sender, messageId);
        discardFolder(d);
        makeRoom(sender, messageId);
        Files.createDirectories(d);
        Files.write(d.resolve(ENVELOPE), envelope, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return d;
    }

    /** Drops the sender's least recently written unheld transfers until a new one fits in its budget. */
    private synchronized void makeRoom(AuthorityId sender, UUID starting) throws IOException, ProtocolException {
        Path folder = root.resolve(sender.value());
        if (!Files.isDirectory(folder)) {
            return;
        }
        List<Map.Entry<Instant, Path>> staged = new java.util.ArrayList<>();
        try (var messages = Files.list(folder)) {
            for (Path m : (Iterable<Path>) messages::iterator) {
                if (!m.getFileName().toString().equals(starting.toString())) {
                    lastWritten(m).ifPresent(t -> staged.add(Map.entry(t, m)));
                }
            }
        }
        staged.sort(Map.Entry.comparingByKey());
        int over = staged.size() - (MAX_PER_PEER - 1);
        for (Map.Entry<Instant, Path> e : staged) {
            if (over <= 0) {
                return;
            }
            UUID id;
            try {
                id = UUID.fromString(e.getValue().getFileName().toString());
            } catch (IllegalArgumentException notOurs) {
                continue;
            }
            if (!claim(sender, id)) {
                continue; // being received now
            }
            try {
                long bytes = bytes(e.getValue());
                discard(sender, id);
                drops.dropped(sender, id, bytes, "budget");
                over--;
            } finally {
                release(sender, id);
            }
        }
        if (over > 0) {
            throw new ProtocolException(ErrorCode.UNAVAILABLE, sender + " has " + staged.size() + " transfers being received (at most "
                    + MAX_PER_PEER + " staged per peer); try again when one ends");
        }
    }

    private static long bytes(Path folder) throws IOException {
        long n = 0;
        try (var files = Files.list(folder)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                n += Files.size(f);
            }
        }
        return n;
    }

    /** The number of unfinished transfers staged, and their bytes (metrics; a listing of the folders). */
    public long[] stagedCountAndBytes() {
        long[] out = new long[2];
        try (var senders = Files.list(root)) {
            for (Path s : (Iterable<Path>) senders::iterator) {
                try (var messages = Files.list(s)) {
                    for (Path m : (Iterable<Path>) messages::iterator) {
                        out[0]++;
                        out[1] += bytes(m);
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // a folder going while it is listed: the next scrape counts again
        }
        return out;
    }

    /** Removes a message's folder. Hold the claim. */
    public void discard(AuthorityId sender, UUID messageId) {
        verified.remove(key(sender, messageId));
        discardFolder(dir(sender, messageId));
    }

    private static void discardFolder(Path d) {
        BlobStore.deleteFolder(d);
    }

    /** Keeps the point just computed for the request that resumes from it (a GET of the transfer state, then the POST). */
    void remember(AuthorityId sender, UUID messageId, Point p) {
        verified.put(key(sender, messageId), p);
    }

    /**
     * Where the staged transfer of a message continues, authenticating every stored segment with the
     * content key (see {@link PayloadCipher#authenticPrefix}). A complete payload whose digest is not
     * the envelope's is resent whole. Blocking disk reads: call it off the event loop, holding the claim.
     */
    public Point resumePoint(AuthorityId sender, UUID messageId, List<PayloadInfo> payloads, PayloadKeys keys) throws IOException {
        Point known = verified.remove(key(sender, messageId));
        Path d = dir(sender, messageId);
        if (known != null && stillAt(d, known, payloads.size())) {
            return known;
        }
        long offset = 0;
        for (int i = 0; i < payloads.size(); i++) {
            PayloadInfo p = payloads.get(i);
            Path f = BlobStore.payload(d, i);
            MessageDigest digest = sha256();
            if (!Files.exists(f)) {
                return new Point(offset, i, 0, digest);
            }
            long prefix;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 20)) {
                prefix = keys.authenticPrefix(i, p.ciphertextSize(), in, digest);
            }
            if (prefix < p.ciphertextSize()) {
                return new Point(offset + prefix, i, prefix, digest);
            }
            if (!HexFormat.of().formatHex(digest.digest()).equals(p.ciphertextSha256())) {
                return new Point(offset, i, 0, sha256());
            }
            offset += p.ciphertextSize();
        }
        return new Point(offset, payloads.size(), 0, null);
    }

    /** Whether the folder still ends where the remembered point says (nothing was written or cut since). */
    private static boolean stillAt(Path d, Point p, int payloads) throws IOException {
        if (p.payload() >= payloads) {
            return true;
        }
        Path f = BlobStore.payload(d, p.payload());
        long size = Files.exists(f) ? Files.size(f) : 0;
        return size == p.within() && !Files.exists(BlobStore.payload(d, p.payload() + 1));
    }

    /**
     * Cuts a message's folder back to a resume point: the payload it continues is truncated to the
     * verified bytes and any later one removed. Returns the payload file, open for writing at its end.
     */
    public SequentialFile cutBackTo(AuthorityId sender, UUID messageId, Point p, int payloads,
            long payloadSize) throws IOException {
        Path d = dir(sender, messageId);
        for (int i = p.payload() + 1; i < payloads; i++) {
            Files.deleteIfExists(BlobStore.payload(d, i));
        }
        if (p.payload() >= payloads) {
            return null;
        }
        return SequentialFile.continueAt(BlobStore.payload(d, p.payload()), p.within(), payloadSize);
    }

    /** Removes transfers abandoned longer than {@link #KEEP} (at start). */
    public void removeAbandoned(Instant now) throws IOException {
        try (var senders = Files.list(root)) {
            for (Path s : (Iterable<Path>) senders::iterator) {
                try (var messages = Files.list(s)) {
                    for (Path m : (Iterable<Path>) messages::iterator) {
                        if (lastWritten(m).map(t -> t.plus(KEEP).isBefore(now)).orElse(false)) {
                            long bytes = bytes(m);
                            discardFolder(m);
                            try {
                                drops.dropped(AuthorityId.of(s.getFileName().toString()), UUID.fromString(m.getFileName().toString()),
                                        bytes, "abandoned");
                            } catch (IllegalArgumentException notOurs) {
                                // a folder this node did not name: removed, nothing to report
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * When anything in a transfer's folder was last written (a payload grows without touching the folder);
     * empty when the folder went meanwhile: a transfer that completed (its files moved into the store) or was
     * dropped while another sender's message was making room — nothing to make room from, not a failure.
     */
    static java.util.Optional<Instant> lastWritten(Path folder) throws IOException {
        try {
            Instant last = Files.getLastModifiedTime(folder).toInstant();
            try (var files = Files.list(folder)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Instant t;
                    try {
                        t = Files.getLastModifiedTime(f).toInstant();
                    } catch (java.nio.file.NoSuchFileException moved) {
                        continue; // moved into the store as the listing ran
                    }
                    last = t.isAfter(last) ? t : last;
                }
            }
            return java.util.Optional.of(last);
        } catch (java.nio.file.NoSuchFileException gone) {
            return java.util.Optional.empty();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
