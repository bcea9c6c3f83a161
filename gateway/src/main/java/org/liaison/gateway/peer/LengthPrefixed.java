package org.liaison.gateway.peer;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The head of a streamed body: a 4-byte big-endian length, then that many bytes of XML (an
 * envelope on the peer API, a manifest on the local API). Fed as bytes arrive; bounded.
 *
 * <p>The announced length is only a limit: memory grows with the bytes that actually arrive
 * (doubling, from 8 KiB), each growth reserved from a {@link BufferBudget} lease first. Four bytes
 * announcing four mebibytes hold eight kibibytes.
 */
public final class LengthPrefixed {
    static final int FIRST_CAPACITY = 8 * 1024;
    private final int max;
    private final String what;
    private final BufferBudget.Lease lease;
    private final ByteBuffer length = ByteBuffer.allocate(4);
    private int announced = -1;
    private byte[] value = new byte[0];
    private int filled;

    public LengthPrefixed(int max, String what, BufferBudget.Lease lease) {
        this.max = max;
        this.what = what;
        this.lease = lease;
    }

    /**
     * Takes bytes from {@code data} until the value is complete (leaving the rest in {@code data}).
     *
     * @return the value once complete, else {@code null}
     * @throws ProtocolException PAYLOAD_TOO_LARGE for a length out of range, UNAVAILABLE when the budget is spent
     */
    public byte[] accept(ByteBuffer data) throws ProtocolException {
        while (length.hasRemaining() && data.hasRemaining()) {
            length.put(data.get());
            if (!length.hasRemaining()) {
                int n = length.getInt(0);
                if (n <= 0 || n > max) {
                    throw new ProtocolException(ErrorCode.PAYLOAD_TOO_LARGE, what + " of " + n + " bytes (expected 1 to " + max + ")");
                }
                announced = n;
            }
        }
        if (announced < 0) {
            return null;
        }
        if (filled == announced) {
            return value;
        }
        int k = Math.min(data.remaining(), announced - filled);
        ensure(filled + k);
        data.get(value, filled, k);
        filled += k;
        if (filled == announced) {
            if (value.length != announced) {
                value = Arrays.copyOf(value, announced);
            }
            return value;
        }
        return null;
    }

    private void ensure(int needed) throws ProtocolException {
        if (needed <= value.length) {
            return;
        }
        int capacity = Math.max(Math.min(announced, FIRST_CAPACITY), value.length);
        while (capacity < needed) {
            capacity = (int) Math.min(announced, capacity * 2L);
        }
        lease.reserve(capacity - value.length);
        value = Arrays.copyOf(value, capacity);
    }

    public boolean complete() {
        return announced >= 0 && filled == announced;
    }

    /** The bytes of memory held for the value so far. */
    int capacity() {
        return value.length;
    }
}
