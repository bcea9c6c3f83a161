package org.liaison.gateway.peer;

import java.nio.ByteBuffer;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The head of a streamed body: a 4-byte big-endian length, then that many bytes of XML (an
 * envelope on the peer API, a manifest on the local API). Fed as bytes arrive; bounded.
 */
public final class LengthPrefixed {
    private final int max;
    private final String what;
    private final ByteBuffer length = ByteBuffer.allocate(4);
    private byte[] value;
    private int filled;

    public LengthPrefixed(int max, String what) {
        this.max = max;
        this.what = what;
    }

    /**
     * Takes bytes from {@code data} until the value is complete (leaving the rest in {@code data}).
     *
     * @return the value once complete, else {@code null}
     */
    public byte[] accept(ByteBuffer data) throws ProtocolException {
        while (length.hasRemaining() && data.hasRemaining()) {
            length.put(data.get());
            if (!length.hasRemaining()) {
                int n = length.getInt(0);
                if (n <= 0 || n > max) {
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, what + " of " + n + " bytes (expected 1 to " + max + ")");
                }
                value = new byte[n];
            }
        }
        if (value == null || filled == value.length) {
            return value != null && filled == value.length ? value : null;
        }
        int k = Math.min(data.remaining(), value.length - filled);
        data.get(value, filled, k);
        filled += k;
        return filled == value.length ? value : null;
    }

    public boolean complete() {
        return value != null && filled == value.length;
    }
}
