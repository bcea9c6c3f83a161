package org.liaison.gateway.peer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.gateway.net.EventLoops;
import org.liaison.protocol.envelope.Receipts;

/**
 * The schema version each peer announced in its latest request (the {@value Receipts#SCHEMA_HEADER} header; none
 * before 1.4), kept in {@code dataDir/peer-schemas/ID} so that a restart remembers it. A federation upgrades node by
 * node: this node sends its stage notices as evidence only to a peer whose latest request announced 1.4 or later, the
 * notice format of before to the others (a peer that goes back to an older version announces nothing, and is
 * forgotten at its next request). Notices are about messages the peer sent: it has always made a request before.
 *
 * <p>An announcement comes on an event loop (the head of a peer's request): it takes effect in memory at once, and
 * the file is written on the {@code writes} executor — the latest value of each peer, so that writes queued in any
 * order leave the last announcement on disk; {@link #close()} writes what is still pending. A header that is no
 * version ({@link Receipts#isVersion}) is ignored: it changes nothing.
 */
public final class PeerSchemas implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(PeerSchemas.class);
    /** Remembers nothing: every peer reads the formats before 1.4 (node fakes in tests). */
    public static final PeerSchemas NONE = new PeerSchemas(null, null);
    private static final int MAX_LENGTH = 16;
    private static final String NOTHING = "";

    private final Path dir;
    private final ExecutorService writes;
    private final Map<AuthorityId, String> known = new ConcurrentHashMap<>();
    /** Peers whose latest announcement is not on disk yet. */
    private final Set<AuthorityId> unwritten = ConcurrentHashMap.newKeySet();

    /**
     * Reads what the peers announced before (off the event loops: at the node's open).
     *
     * @param writes where the files are written (the node's: a single-thread executor); shut down by {@link #close()}
     */
    public PeerSchemas(Path dir, ExecutorService writes) {
        this.dir = dir;
        this.writes = writes;
        if (dir != null && Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    try {
                        String v = Files.isRegularFile(f) && Files.size(f) <= MAX_LENGTH
                                ? Files.readString(f, StandardCharsets.US_ASCII).strip() : NOTHING;
                        if (Receipts.isVersion(v)) {
                            known.put(AuthorityId.of(f.getFileName().toString()), v);
                        }
                    } catch (IOException | IllegalArgumentException e) {
                        LOG.warn("ignored {}: {}", f, e.toString()); // a temporary file, say
                    }
                }
            } catch (IOException | DirectoryIteratorException e) {
                LOG.warn("cannot read the schemas peers announced in {}: {}", dir, e.toString());
            }
        }
    }

    /** {@code peer} made an authenticated request announcing {@code schema} (null: no header). */
    public void announced(AuthorityId peer, String schema) {
        if (dir == null) {
            return;
        }
        if (schema != null && !Receipts.isVersion(schema)) {
            LOG.debug("{} announced a schema that is no version; ignored", peer);
            return;
        }
        String v = schema == null ? NOTHING : schema;
        String before = known.put(peer, v);
        if (v.equals(before == null ? NOTHING : before)) {
            return;
        }
        unwritten.add(peer); // after the put: a write that takes it out reads this value or a later one
        try {
            writes.execute(this::write);
        } catch (RejectedExecutionException stopping) {
            LOG.warn("cannot note the schema {} announced while the node stops: kept in memory", peer);
        }
    }

    /** Writes each pending peer's latest announcement (one writer at a time). */
    private synchronized void write() {
        EventLoops.assertOffLoop("a write of a peer's schema");
        for (AuthorityId peer : List.copyOf(unwritten)) {
            unwritten.remove(peer);
            String v = known.getOrDefault(peer, NOTHING);
            try {
                Path f = dir.resolve(peer.value());
                if (v.isEmpty()) {
                    Files.deleteIfExists(f);
                } else {
                    SecureFiles.writeAtomically(f, v.getBytes(StandardCharsets.US_ASCII), false);
                }
                LOG.info("{} reads schema {}", peer, v.isEmpty() ? "before " + Receipts.EVIDENCE_SCHEMA : v);
            } catch (IOException e) {
                LOG.warn("cannot note the schema {} announced: {}", peer, e.toString()); // kept in memory
            }
        }
    }

    /** Writes what is still pending and stops the writes. */
    @Override
    public void close() {
        if (writes == null) {
            return;
        }
        writes.shutdown();
        try {
            writes.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        write();
    }

    /** The version {@code peer} announced last, if any. */
    public Optional<String> of(AuthorityId peer) {
        String v = known.getOrDefault(peer, NOTHING);
        return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    /** Whether {@code peer} announced that it reads evidence in place of receipts and notices (schema 1.4 or later). */
    public boolean readsEvidence(AuthorityId peer) {
        return Receipts.readsEvidence(of(peer).orElse(null));
    }
}
