package org.liaison.gateway.local;

import java.util.List;
import java.util.UUID;
import org.liaison.protocol.ProtocolException;

/** Deletes every message of a case (the node's retention implements it). */
public interface CaseDeletion {
    /** The messages deleted, received and sent. */
    record Deleted(List<UUID> received, List<UUID> sent) {}

    /** Deletes every message of {@code caseRef}, received and sent, audited with {@code actor} and {@code reason}. */
    Deleted deleteCase(String caseRef, String actor, String reason) throws ProtocolException;
}
