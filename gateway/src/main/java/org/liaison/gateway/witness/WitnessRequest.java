package org.liaison.gateway.witness;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.tlog.AddCheckpoint;

/** The witness's routes on the peer API: an add-checkpoint body being received, and which requests are the witness's. */
public final class WitnessRequest {
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    private WitnessRequest() {}

    /** Whether {@code req} is {@code POST /liaison/v1/witness/add-checkpoint}. */
    public static boolean isAddCheckpoint(HttpRequest req) {
        return HttpMethod.POST.equals(req.method()) && Witness.ADD_CHECKPOINT.equals(req.uri());
    }

    /** Whether {@code uri} is the monitoring {@code GET /liaison/v1/witness/HASH/checkpoint}. */
    public static boolean isLatest(String uri) {
        return uri.startsWith(Witness.PREFIX + "/") && uri.endsWith("/checkpoint");
    }

    /** The origin hash of a monitoring path. */
    public static String originHashOf(String uri) {
        return uri.substring(Witness.PREFIX.length() + 1, uri.length() - "/checkpoint".length());
    }

    /** Starts receiving a request's body; one declared larger than a witness request can be is refused at once. */
    public static WitnessRequest start(HttpRequest req) throws ProtocolException {
        if (HttpUtil.getContentLength(req, -1L) > AddCheckpoint.MAX_BYTES) {
            throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "an add-checkpoint request exceeds " + AddCheckpoint.MAX_BYTES + " bytes");
        }
        return new WitnessRequest();
    }

    /** Adds a part of the body; returns whether it was the last. */
    public boolean add(HttpContent part) throws ProtocolException {
        ByteBuf c = part.content();
        if (body.size() + c.readableBytes() > AddCheckpoint.MAX_BYTES) {
            throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, "an add-checkpoint request exceeds " + AddCheckpoint.MAX_BYTES + " bytes");
        }
        byte[] b = new byte[c.readableBytes()];
        c.readBytes(b);
        body.writeBytes(b);
        return part instanceof LastHttpContent;
    }

    public byte[] body() {
        return body.toByteArray();
    }
}
