package org.liaison.gateway.peer;

import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.evidence.EvidenceNode;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.witness.Witness;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.model.Manifest;

/** What the peer API needs of the node; the trust can change when a newer directory or CRL is loaded. */
public interface PeerContext extends EvidenceNode {
    AuthorityId me();

    /** The node's time (the system clock but in tests): use it rather than {@code Instant.now()}. */
    java.time.Clock clock();

    Trust trust();

    MessageStore store();

    BlobStore blobs();

    /** Messages being received, staged for a resume (see {@link StagedTransfers}). */
    StagedTransfers transfers();

    AuditLog audit();

    Credential signing();

    /** This authority's encryption credential: what opens received messages. */
    Credential encryption();

    /** Every key this authority may decrypt with: the current encryption key first, then those it replaced. */
    java.util.List<java.security.PrivateKey> decryptionKeys();

    int maxEnvelopeBytes();

    /** A package was received and stored (its manifest checked): for what this node keeps about received packages. */
    void receivedPackage(AuthorityId from, java.util.UUID messageId, java.util.UUID inReplyTo,
            Manifest manifest);

    /** The memory budget for envelopes and manifests being received (see {@link org.liaison.gateway.net.BufferBudget}). */
    BufferBudget buffers();

    NodeMetrics metrics();

    /**
     * Whether the audit log already has a {@code receive} entry for this message although the store
     * does not hold it: a crash came between the two. Asked once; the answer is forgotten after.
     */
    boolean receiveLoggedBeforeACrash(AuthorityId sender, java.util.UUID messageId);

    /** A {@code receive} entry was logged and the store then failed: the next reception of the message is the same one. */
    void receiveLoggedNotStored(AuthorityId sender, java.util.UUID messageId);

    /**
     * A stage notice {@code peer} sent about a message this node sent it (see {@code Stages}): verified,
     * kept and audited, or refused with the reason.
     */
    void noticeReceived(AuthorityId peer, byte[] xml) throws ProtocolException;

    /** Issues the evidence of this node's acts (see EvidenceIssuer). */
    EvidenceIssuer evidence();

    /** This node as a witness of other authorities' audit logs (see {@code Witness}); empty when it witnesses none. */
    java.util.Optional<Witness> witness();

    /** The schema version each peer announced (see {@link PeerSchemas}): whether it reads evidence in place of receipts and notices. */
    PeerSchemas peerSchemas();

    /**
     * This node's latest audit checkpoint with its witnesses' cosignatures (the latest that met the directory's quorum, else
     * the latest with those it got), handed out with its delivered evidence and its consistency proofs; null: none.
     */
    String cosignedCheckpoint();

    /** {@code peer} just made an authenticated request: it is up (deliveries to it waiting in backoff may go now). */
    void peerIsUp(AuthorityId peer);
}
