package org.liaison.gateway.node;

import org.liaison.gateway.peer.PeerContext;

/** The node's shared state as the delivery side and the local API see it. */
public interface NodeState extends PeerContext {
    /** The checkpoints this node holds of its peers' audit logs. */
    org.liaison.gateway.audit.PeerLogs peerLogs();

    /** The stages of requests: notices to send and received (opened, acknowledged, declined, answered). */
    Stages stages();

    /** How received messages of cases nobody is assigned to are shown (see CaseAccess). */
    default org.liaison.gateway.local.CaseAccess.Mode caseAccess() {
        return org.liaison.gateway.local.CaseAccess.Mode.OPEN;
    }

    /** Retention and deletion of messages. */
    Retention retention();

    /** A reply to {@code inReplyTo} was sealed here (for the deadlines this authority owes). */
    default void sealedReply(java.util.UUID inReplyTo) {
    }

    /** A request was sealed here asking for an answer by {@code respondBy} (null: no date). */
    default void sealedRequest(java.util.UUID messageId, java.time.Instant respondBy) {
    }

    /** Whether a reply to the request {@code messageId} sent from here was received. */
    default boolean replyReceivedFor(java.util.UUID messageId) {
        return false;
    }

    /** Whether a reply to {@code messageId} was sealed here. */
    default boolean isAnswered(java.util.UUID messageId) {
        return false;
    }

    /** Refuses a package that would send on a file this authority received under no-onward-transfer (see OnwardTransfers). */
    default void checkOnwardTransfer(org.liaison.protocol.model.Manifest outgoing, java.util.List<org.liaison.certs.AuthorityId> recipients)
            throws org.liaison.protocol.ProtocolException {
    }
}
