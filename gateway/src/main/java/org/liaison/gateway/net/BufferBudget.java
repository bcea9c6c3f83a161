package org.liaison.gateway.net;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicLong;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;

/**
 * The memory a server may spend on request heads it must hold whole (envelopes on the peer API,
 * manifests on the local API) before it can verify them: a limit per connection (all HTTP/2
 * streams of a connection share it) and one for the whole server. Memory is reserved as bytes
 * arrive, never on an announced length, so a client that announces much and sends little holds
 * little; a client that sends more than the budget allows is refused with UNAVAILABLE (retryable:
 * a peer's honest retry succeeds once others' heads are verified and released).
 */
public final class BufferBudget {
    private static final AttributeKey<AtomicLong> USED = AttributeKey.valueOf("liaison.buffered");

    private final long perConnection;
    private final long total;
    private final AtomicLong used = new AtomicLong();

    public BufferBudget(long perConnection, long total) {
        if (perConnection <= 0 || total < perConnection) {
            throw new IllegalArgumentException("budget: " + perConnection + " per connection, " + total
                    + " in all (expected: 0 < per connection <= in all)");
        }
        this.perConnection = perConnection;
        this.total = total;
    }

    /** What is held now, across all connections. */
    public long inUse() {
        return used.get();
    }

    /** A lease for one request on {@code channel} (a connection, or an HTTP/2 stream of one). */
    public Lease lease(Channel channel) {
        // An HTTP/2 stream's parent is its connection (a plain connection's parent is the listening socket).
        Channel connection = channel instanceof io.netty.handler.codec.http2.Http2StreamChannel ? channel.parent() : channel;
        AtomicLong c = connection.attr(USED).get();
        if (c == null) {
            connection.attr(USED).setIfAbsent(new AtomicLong());
            c = connection.attr(USED).get();
        }
        return new Lease(c);
    }

    /** A lease with no connection (tests, in-process use): only the total applies. */
    public Lease lease() {
        return new Lease(new AtomicLong());
    }

    /** The bytes one request holds; released once, when the request is done with them. */
    public final class Lease {
        private final AtomicLong connection;
        private long held;

        private Lease(AtomicLong connection) {
            this.connection = connection;
        }

        /** Takes {@code n} more bytes, or refuses (and takes nothing). */
        public synchronized void reserve(long n) throws ProtocolException {
            if (connection.addAndGet(n) > perConnection) {
                connection.addAndGet(-n);
                throw new ProtocolException(ErrorCode.UNAVAILABLE, "too much is being received on this connection at once (more than "
                        + perConnection + " bytes of unverified heads); send fewer requests in parallel, or retry");
            }
            if (used.addAndGet(n) > total) {
                used.addAndGet(-n);
                connection.addAndGet(-n);
                throw new ProtocolException(ErrorCode.UNAVAILABLE, "the node is receiving too much at once; retry later");
            }
            held += n;
        }

        /** Gives everything back. Idempotent. */
        public synchronized void release() {
            if (held > 0) {
                connection.addAndGet(-held);
                used.addAndGet(-held);
                held = 0;
            }
        }
    }
}
