package org.liaison.gateway.evidence;

import java.security.PrivateKey;
import java.time.Clock;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.directory.Trust;

/**
 * What issuing and exporting evidence needs of the node (see {@link EvidenceIssuer}, {@link EvidenceContainer}):
 * the node's peer side ({@code PeerContext}) provides it, so that evidence does not depend on the peer API.
 */
public interface EvidenceNode {
    AuthorityId me();

    /** The node's time. */
    Clock clock();

    Trust trust();

    MessageStore store();

    AuditLog audit();

    /** What signs the evidence and seals the containers. */
    Credential signing();

    /** Every key this authority may decrypt with: the current encryption key first, then those it replaced. */
    List<PrivateKey> decryptionKeys();

    /** The node's latest audit checkpoint cosigned by its witnesses (the latest that met the quorum, else the latest); null: none. */
    String cosignedCheckpoint();
}
