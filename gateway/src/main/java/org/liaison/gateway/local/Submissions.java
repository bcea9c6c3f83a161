package org.liaison.gateway.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.UUID;
import org.liaison.protocol.ProtocolException;

/** Where the local API's uploads are sealed and stored (the node's outbox implements it). */
public interface Submissions {
    /**
     * Begins an upload: the manifest is checked (signature, signer = {@code submitter}, idempotency key) before any
     * file byte; {@code resumeFrom} &gt; 0 resumes a parked upload with the same key and package.
     */
    Upload begin(byte[] manifestXml, X509Certificate submitter, String idempotencyKey, UUID conversationId, UUID inReplyTo,
            Duration ttl, long resumeFrom) throws ProtocolException, IOException;

    /** File bytes a parked upload of {@code user} with this key kept (0: none). */
    long parkedBytes(X509Certificate user, String idempotencyKey);

    /** One upload in progress. Not thread-safe: one writer. */
    interface Upload {
        /** The message this upload's idempotency key made already (its bytes are then ignored), or null. */
        UUID existing();

        void write(ByteBuffer data) throws IOException, ProtocolException;

        /** Seals and stores the message; its id. */
        UUID finish() throws IOException, ProtocolException;

        /** Drops the upload and its staged files. */
        void abort();

        /** The connection broke: kept for a resume with the same key (or dropped when it cannot be). */
        void park();
    }
}
