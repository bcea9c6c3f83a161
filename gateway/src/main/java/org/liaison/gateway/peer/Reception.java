package org.liaison.gateway.peer;

import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.net.Answer;
import org.liaison.gateway.net.PayloadSink;
import org.liaison.gateway.net.StreamedBody;
import org.liaison.protocol.ProtocolException;

/** A message received on the peer API ({@link IncomingMessage}), as the streamed body of its request. */
final class Reception implements StreamedBody {
    private static final Logger LOG = LogManager.getLogger(ReceiveHandler.class);
    private final PeerContext node;
    private final AuthorityId peer;
    private final IncomingMessage message;

    Reception(PeerContext node, AuthorityId peer, IncomingMessage message) {
        this.node = node;
        this.peer = peer;
        this.message = message;
    }

    @Override
    public void writeOn(Executor writers, PayloadSink.Flow flow, Consumer<ProtocolException> failed) {
        message.writeOn(writers, flow, failed);
    }

    @Override
    public void accept(ByteBuffer data) throws ProtocolException {
        message.accept(data);
    }

    @Override
    public boolean awaitingCheck() {
        return message.awaitingCheck();
    }

    /** Verifies the envelope (signature, parties, the package inside: CRLs, the store, decryption). */
    @Override
    public void check() throws ProtocolException {
        message.checkEnvelope();
    }

    /** Stores and receipts the message: answered with the signed receipt. */
    @Override
    public Answer finish() throws ProtocolException {
        byte[] receipt = message.finish();
        node.metrics().received();
        LOG.info("received message {} from {} ({})", message.messageId(), peer, message.timing());
        return Answer.bytes(ReceiveHandler.RECEIPT_TYPE, receipt);
    }

    @Override
    public void fail() {
        message.fail();
    }

    /** The connection broke or stalled: the staged bytes stay for a resumed transfer. */
    @Override
    public void suspend() {
        message.suspend();
    }

    /** The check's worker owns the staging until it is done; the front door then suspends or fails it. */
    @Override
    public void disconnectedDuringCheck() {
        // nothing to do before the check is done (see above)
    }

    @Override
    public String id() {
        return message.messageId();
    }
}
