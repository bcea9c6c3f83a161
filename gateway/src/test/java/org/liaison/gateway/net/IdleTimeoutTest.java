package org.liaison.gateway.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The idle timeout closes a connection on which the client lets nothing move, but not one on which the node
 * itself paused reading to work on a request (checking an uploaded package's signatures off the event loop, say)
 * and has nothing waiting to be written: that pause is the node's, however long a loaded machine makes it.
 * Regression: a submit through the local API was cut off ("the upload was cut off") when the package check of a
 * loaded node took longer than the read timeout.
 */
class IdleTimeoutTest {
    private static EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel(new IdleTimeout(Duration.ofSeconds(3)));
        ch.freezeTime();
        return ch;
    }

    private static void elapse(EmbeddedChannel ch, int seconds) {
        for (int i = 0; i < seconds; i++) {
            ch.advanceTimeBy(1, TimeUnit.SECONDS);
            ch.runScheduledPendingTasks();
        }
    }

    @Test
    void aClientThatSendsNothingIsClosed() {
        EmbeddedChannel ch = channel();
        elapse(ch, 4);
        assertThat(ch.isActive()).isFalse();
    }

    @Test
    void aClientThatKeepsSendingStaysOpen() {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < 5; i++) {
            elapse(ch, 2);
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
            ch.readInbound();
        }
        assertThat(ch.isActive()).isTrue();
    }

    @Test
    void theNodesOwnPauseInReadingIsNotTheClientsStall() {
        EmbeddedChannel ch = channel();
        ch.config().setAutoRead(false); // the node checks the request's head off the event loop
        elapse(ch, 30);
        assertThat(ch.isActive()).isTrue();
        ch.config().setAutoRead(true); // the node reads again: from now on the client must move
        elapse(ch, 4);
        assertThat(ch.isActive()).isFalse();
    }

    @Test
    void aClientThatStopsReadingIsClosedEvenWhileTheNodeDoesNotRead() {
        EmbeddedChannel ch = channel();
        ch.config().setAutoRead(false);
        ch.write(Unpooled.wrappedBuffer(new byte[1024])); // an answer waiting for the client, which reads nothing
        elapse(ch, 4);
        assertThat(ch.isActive()).isFalse();
    }
}
