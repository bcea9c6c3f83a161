package org.liaison.gateway.local;

import java.security.PrivateKey;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.directory.Trust;

/**
 * What the local API needs of the node, and nothing more: the node's composition root implements it
 * (the local package knows no node type). The trust and the keys can change while the node runs.
 */
public interface LocalNode {
    AuthorityId me();

    /** The current directory and CRLs. */
    Trust trust();

    /** The node's time (the system clock but in tests). */
    Clock clock();

    MessageStore store();

    AuditLog audit();

    /** This node's latest audit checkpoint with its witnesses' cosignatures (see PeerContext); null: none yet. */
    String cosignedCheckpoint();

    /** What one witness of this node's log holds: the latest checkpoint it cosigned, or why it could not be asked. */
    record Witnessed(AuthorityId witness, String checkpoint, String error) {}

    /** Asks each witness the directory names for this node's log for the latest checkpoint it cosigned (over the peer API). */
    List<Witnessed> askWitnesses();

    NodeMetrics metrics();

    /** The memory budget for bodies being received. */
    BufferBudget buffers();

    /** Every key this authority may decrypt with: the current encryption key first, then those it replaced. */
    List<PrivateKey> decryptionKeys();

    /** Issues the evidence of this node's acts (exports). */
    EvidenceIssuer evidence();

    /** How received messages of cases nobody is assigned to are shown (see {@link CaseAccess}). */
    CaseAccess.Mode caseAccess();

    /** Whether a reply to the request {@code messageId} sent from here was received. */
    boolean replyReceivedFor(UUID messageId);

    /** The stages of received requests this node's users decide (opened, acknowledged, declined). */
    ReceivedStages stages();

    /** The deletion of a whole case (an operator's decision). */
    CaseDeletion retention();
}
