package org.liaison.gateway.local;

import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.envelope.EnvelopeHeader;

/** The stages of a received request that the local API records (the node's stages implement it). */
public interface ReceivedStages {
    String ACKNOWLEDGED = "acknowledged";
    String DECLINED = "declined";

    /** A received message was fetched: the first time, an opened notice is queued for its sender. */
    void opened(MessageStore.Received r, EnvelopeHeader h) throws ProtocolException;

    /**
     * An investigator ({@code actor}) acknowledges or declines a received request ({@code stage}: {@link #ACKNOWLEDGED}
     * or {@link #DECLINED}). Whether it is new ({@code false}: that stage was sent before; nothing changed).
     */
    boolean decide(MessageStore.Received r, EnvelopeHeader h, String stage, String reason, String note, String actor)
            throws ProtocolException;
}
