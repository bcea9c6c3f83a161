package org.liaison.gateway.net;

import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.liaison.protocol.ProtocolException;

/**
 * A request body taken as it streams in (a received message, an upload): a head that is held whole
 * in the node's {@link BufferBudget} and checked off the event loop before any byte after it is
 * taken, then the rest, handed to a {@link PayloadSink} on the writers. The {@link FrontDoor} drives
 * it: bytes on the event loop ({@link #accept}), the check and the end on a worker.
 */
public interface StreamedBody {
    /** Where the bytes after the head are processed: {@code writers}, reading paused by {@code flow}; a failed write goes to {@code failed}. */
    void writeOn(Executor writers, PayloadSink.Flow flow, Consumer<ProtocolException> failed);

    /** Takes bytes (event loop); stops right after the head so that it is checked before more is taken. */
    void accept(ByteBuffer data) throws ProtocolException;

    /** Whether the head is complete and waits for {@link #check}. */
    boolean awaitingCheck();

    /** Checks the head: blocking, on a worker. */
    void check() throws Exception;

    /** The body ended: completes it (blocking, on a worker) and answers. On a failure the front door calls {@link #fail}. */
    Answer finish() throws Exception;

    /** Refused: everything staged is dropped. Idempotent. */
    void fail();

    /** The connection broke: what was taken may stay for a resumed request (or be dropped). */
    void suspend();

    /**
     * The connection broke while {@link #check} runs on a worker; once the check is done the front door
     * calls {@link #suspend} (it passed) or {@link #fail} (it did not).
     */
    void disconnectedDuringCheck();

    /** What the refusal of this body is audited about (a message id), or null. */
    String id();
}
