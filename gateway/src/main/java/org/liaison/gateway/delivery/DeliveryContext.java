package org.liaison.gateway.delivery;

import java.time.Clock;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.audit.PeerLogs;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.directory.Trust;

/** What the delivery worker needs of the node (the node's composition root implements it). */
public interface DeliveryContext {
    AuthorityId me();

    /** The node's time (the system clock but in tests). */
    Clock clock();

    /** The current directory and CRLs. */
    Trust trust();

    MessageStore store();

    AuditLog audit();

    /** Issues the evidence of relays, refusals and expiries. */
    EvidenceIssuer evidence();

    NodeMetrics metrics();

    /** The checkpoints this node holds of its peers' audit logs (a receipt's checkpoint is observed). */
    PeerLogs peerLogs();
}
