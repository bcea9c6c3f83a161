package org.liaison.gateway.node;

import org.liaison.certs.AuthorityId;
import org.liaison.gateway.audit.PeerLogs;
import org.liaison.gateway.delivery.DeliveryContext;
import org.liaison.gateway.local.LocalNode;
import org.liaison.gateway.peer.PeerContext;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.model.Manifest;

/**
 * The node's shared state as the node's own services see it; the packages the node assembles see
 * it through their own narrow ports ({@code PeerContext}, {@code DeliveryContext}, {@code LocalNode}).
 */
public interface NodeState extends PeerContext, DeliveryContext, LocalNode {
    /** The checkpoints this node holds of its peers' audit logs. */
    @Override
    PeerLogs peerLogs();

    /** The stages of requests: notices to send and received (opened, acknowledged, declined, answered). */
    @Override
    Stages stages();

    /** Retention and deletion of messages. */
    @Override
    Retention retention();

    /** A reply to {@code inReplyTo} was sealed here (for the deadlines this authority owes). */
    void sealedReply(java.util.UUID inReplyTo);

    /** Refuses a package that would send on a file this authority received under no-onward-transfer (see OnwardTransfers). */
    void checkOnwardTransfer(Manifest outgoing, java.util.List<AuthorityId> recipients)
            throws ProtocolException;
}
