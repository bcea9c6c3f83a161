package org.liaison.gateway.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.ReadTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

/**
 * A client's time to send its request head starts when it can send one: after the TLS handshake, not when the
 * connection opened (a slow handshake would eat it). The handshake has its own bound, the TLS handler's handshake
 * timeout: a client that never finishes one is still cut.
 */
class SlowClientGuardTest {
    /** What reached the API handler's place in the pipeline. */
    private final List<Throwable> caught = new ArrayList<>();

    private EmbeddedChannel channel(boolean tls) throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        if (tls) {
            SSLEngine engine = SSLContext.getDefault().createSSLEngine();
            engine.setUseClientMode(false); // a server waiting for the client's hello, which is slow to come
            SslHandler ssl = new SslHandler(engine);
            ssl.setHandshakeTimeout(10, TimeUnit.SECONDS);
            ch.pipeline().addLast("tls", ssl);
        }
        ch.pipeline().addLast("deadlines", new SlowClientGuard(SlowClientGuard.Mode.HTTP, Duration.ofSeconds(3), 1024));
        ch.pipeline().addLast("api", new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                caught.add(cause);
            }
        });
        return ch;
    }

    private static void elapse(EmbeddedChannel ch, int seconds) {
        for (int i = 0; i < seconds; i++) {
            ch.advanceTimeBy(1, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
        }
    }

    @Test
    void theHeadDeadlineStartsAfterTheHandshake() throws Exception {
        EmbeddedChannel ch = channel(true);
        elapse(ch, 5); // the handshake takes longer than the head deadline, within its own bound
        assertThat(caught).as("the handshake's time is not the head's").isEmpty();
        assertThat(ch.isActive()).isTrue();
        ch.pipeline().context("tls").fireUserEventTriggered(SslHandshakeCompletionEvent.SUCCESS);
        elapse(ch, 2);
        assertThat(caught).isEmpty();
        elapse(ch, 2); // 4 s after the handshake, no head: too slow
        assertThat(caught).containsExactly(ReadTimeoutException.INSTANCE);
    }

    @Test
    void aHandshakeThatNeverEndsIsCutByItsOwnTimeout() throws Exception {
        EmbeddedChannel ch = channel(true);
        elapse(ch, 11);
        assertThat(ch.isActive()).as("closed by the TLS handler's handshake timeout").isFalse();
    }

    @Test
    void withoutTlsTheHeadDeadlineStartsWithTheConnection() throws Exception {
        EmbeddedChannel ch = channel(false);
        elapse(ch, 4);
        assertThat(caught).containsExactly(ReadTimeoutException.INSTANCE);
    }
}
