package org.liaison.gateway.peer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.protocol.envelope.Receipts;

/**
 * The schema version each peer announced in its latest request (the {@value Receipts#SCHEMA_HEADER} header; none
 * before 1.4), kept in {@code dataDir/peer-schemas/ID} so that a restart remembers it. A federation upgrades node by
 * node: this node sends its stage notices as evidence only to a peer whose latest request announced 1.4 or later, the
 * notice format of before to the others (a peer that goes back to an older version announces nothing, and is
 * forgotten at its next request). Notices are about messages the peer sent: it has always made a request before.
 */
public final class PeerSchemas {
    private static final Logger LOG = LogManager.getLogger(PeerSchemas.class);
    /** Remembers nothing: every peer reads the formats before 1.4 (node fakes in tests). */
    public static final PeerSchemas NONE = new PeerSchemas(null);

    private final Path dir;
    private final Map<AuthorityId, String> known = new ConcurrentHashMap<>();
    private static final String NOTHING = "";

    public PeerSchemas(Path dir) {
        this.dir = dir;
    }

    /** {@code peer} made an authenticated request announcing {@code schema} (null: no header). */
    public void announced(AuthorityId peer, String schema) {
        if (dir == null) {
            return;
        }
        String v = schema == null || schema.length() > 16 || !schema.matches("[0-9]+(\\.[0-9]+)?") ? NOTHING : schema;
        if (v.equals(read(peer))) {
            return;
        }
        known.put(peer, v);
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

    /** The version {@code peer} announced last, if any. */
    public Optional<String> of(AuthorityId peer) {
        String v = read(peer);
        return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    /** Whether {@code peer} announced that it reads evidence in place of receipts and notices (schema 1.4 or later). */
    public boolean readsEvidence(AuthorityId peer) {
        return Receipts.readsEvidence(of(peer).orElse(null));
    }

    private String read(AuthorityId peer) {
        if (dir == null) {
            return NOTHING;
        }
        return known.computeIfAbsent(peer, p -> {
            Path f = dir.resolve(p.value());
            try {
                return Files.exists(f) ? Files.readString(f, StandardCharsets.US_ASCII).strip() : NOTHING;
            } catch (IOException e) {
                return NOTHING;
            }
        });
    }
}
