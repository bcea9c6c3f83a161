package org.liaison.gateway.node;

import org.liaison.gateway.peer.PeerContext;

/**
 * The node's shared state as the node's own services see it; the packages the node assembles see
 * it through their own narrow ports ({@code PeerContext}, {@code DeliveryContext}, {@code LocalNode}).
 */
public interface NodeState extends PeerContext, org.liaison.gateway.delivery.DeliveryContext, org.liaison.gateway.local.LocalNode {
    /** The checkpoints this node holds of its peers' audit logs. */
    @Override
    org.liaison.gateway.audit.PeerLogs peerLogs();

    /** The stages of requests: notices to send and received (opened, acknowledged, declined, answered). */
    @Override
    Stages stages();

    /** Retention and deletion of messages. */
    @Override
    Retention retention();

    /** A reply to {@code inReplyTo} was sealed here (for the deadlines this authority owes). */
    void sealedReply(java.util.UUID inReplyTo);

    /** Refuses a package that would send on a file this authority received under no-onward-transfer (see OnwardTransfers). */
    void checkOnwardTransfer(org.liaison.protocol.model.Manifest outgoing, java.util.List<org.liaison.certs.AuthorityId> recipients)
            throws org.liaison.protocol.ProtocolException;
}
