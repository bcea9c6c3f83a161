package org.liaison.gateway.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.liaison.protocol.ProtocolException;

/**
 * The body bytes of one request that must wait while its head (an envelope, a manifest) is
 * checked off the event loop: the rest of the chunk the head ended in, and any chunks decoded
 * before reading paused. They are fed, in order, once the check has passed. Event loop only.
 */
public final class HeldBody {
    /** What takes body bytes. */
    public interface Feeder {
        void feed(ByteBuf content, boolean last) throws ProtocolException;
    }

    private final ArrayDeque<Object[]> held = new ArrayDeque<>();
    private boolean waiting;

    /** Whether a check is running (body chunks must be {@link #hold held}). */
    public boolean waiting() {
        return waiting;
    }

    /** A check starts; {@code rest} (copied) are the bytes after the head in {@code buffers[from]} and the buffers after it. */
    public void pause(ByteBuffer[] buffers, int from, boolean last) {
        ByteBuf rest = Unpooled.buffer();
        for (int i = from; i < buffers.length; i++) {
            rest.writeBytes(buffers[i]);
        }
        held.add(new Object[] {rest, last});
        waiting = true;
    }

    /** A chunk decoded while the check runs. */
    public void hold(HttpContent chunk) {
        held.add(new Object[] {chunk.content().retain(), chunk instanceof LastHttpContent});
    }

    /** The check passed: feeds what was held, in order, and lets go of it. Stops early when {@code more} says so. */
    public void resume(Feeder feeder, java.util.function.BooleanSupplier more) throws ProtocolException {
        waiting = false;
        try {
            while (!held.isEmpty() && more.getAsBoolean()) {
                Object[] h = held.poll();
                try {
                    feeder.feed((ByteBuf) h[0], (Boolean) h[1]);
                } finally {
                    ((ByteBuf) h[0]).release();
                }
            }
        } finally {
            clear();
        }
    }

    /** Lets go of everything held (the check failed, or the connection closed). */
    public void clear() {
        waiting = false;
        while (!held.isEmpty()) {
            ((ByteBuf) held.poll()[0]).release();
        }
    }
}
