package org.liaison.gateway.node;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.peer.PeerContext;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.File;
import org.liaison.protocol.model.HandlingFlag;
import org.liaison.protocol.model.Manifest;
import org.liaison.protocol.xml.Formats;
import org.liaison.protocol.xml.SecureXml;
import org.liaison.protocol.xml.XmlLimits;

/**
 * The files this authority received in packages marked {@code no-onward-transfer}, by SHA-256, so
 * that its own node refuses to send one of them on to anyone but the authority it came from (the
 * receiving side refuses a relayed package as well). Built from the inbox (and the digests kept of such
 * messages deleted since) on first use, then kept up to date as packages arrive. Holds digests only.
 */
final class OnwardTransfers {
    /** A protected file: which message brought it, from whom. */
    private record Origin(UUID messageId, AuthorityId from) {}

    private final PeerContext node;
    private Map<String, Origin> files;

    OnwardTransfers(PeerContext node) {
        this.node = node;
    }

    /** A package just received (its manifest checked): remember its files if it is marked. */
    synchronized void received(AuthorityId from, UUID messageId, Manifest m) {
        if (files != null) {
            add(files, from, messageId, m);
        }
    }

    /**
     * Refuses a package that would send on a file received under {@code no-onward-transfer} to anyone
     * but the authority that sent it.
     */
    void check(Manifest outgoing, List<AuthorityId> recipients) throws ProtocolException {
        Map<String, Origin> known = index();
        for (File f : outgoing.getFile()) {
            Origin o = known.get(f.getSha256());
            if (o == null) {
                continue;
            }
            List<AuthorityId> others = recipients.stream().filter(r -> !r.equals(o.from())).toList();
            if (!others.isEmpty()) {
                throw new ProtocolException(ErrorCode.ONWARD_TRANSFER_REFUSED, "file " + f.getName() + " is one " + o.from()
                        + " sent in message " + o.messageId() + " marked no-onward-transfer: it may go back to " + o.from()
                        + " only, not to " + others);
            }
        }
    }

    private synchronized Map<String, Origin> index() {
        if (files == null) {
            Map<String, Origin> built = new HashMap<>();
            for (MessageStore.ProtectedFile f : node.store().inbox().protectedFiles()) { // of messages deleted since
                built.putIfAbsent(f.sha256(), new Origin(f.messageId(), f.sender()));
            }
            for (MessageStore.Received r : node.store().inbox().eachReceived()) {
                if (r.quarantine() != null) {
                    continue;
                }
                try {
                    add(built, r.sender(), r.messageId(), manifestOf(node, r));
                } catch (ProtocolException | RuntimeException unreadable) {
                    // a stored message that no longer reads is an incident of its own (listing and fetch report it)
                }
            }
            files = built;
        }
        return files;
    }

    /** The checked manifest of a stored received message, decrypted with this node's keys. */
    static Manifest manifestOf(PeerContext node, MessageStore.Received r) throws ProtocolException {
        Envelopes.Stored env = Envelopes.readStored(r.envelope(), r.envelopeSha256());
        Envelopes.Opened o = Envelopes.open(env, node.me(), node.decryptionKeys());
        return Formats.fromElement(SecureXml.parse(o.manifestXml(), XmlLimits.DEFAULT).getDocumentElement(), Manifest.class);
    }

    /** The digests of a marked package's files (none when it is not marked no-onward-transfer). */
    static List<String> protectedDigests(Manifest m) {
        if (m.getHandling() == null || !m.getHandling().getFlag().contains(HandlingFlag.NO_ONWARD_TRANSFER)) {
            return List.of();
        }
        return m.getFile().stream().map(File::getSha256).toList();
    }

    private static void add(Map<String, Origin> into, AuthorityId from, UUID messageId, Manifest m) {
        if (m.getHandling() != null && m.getHandling().getFlag().contains(HandlingFlag.NO_ONWARD_TRANSFER)) {
            for (File f : m.getFile()) {
                into.putIfAbsent(f.getSha256(), new Origin(messageId, from));
            }
        }
    }
}
