package org.liaison.gateway.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SqliteMessageStore;

/** A store call or an audit append put back on an event loop fails (the test suite runs with the check on). */
class EventLoopsTest {
    @TempDir
    Path dir;

    @Test
    void storeAndAuditCallsAreRefusedOnEventLoopsAndAllowedElsewhere() throws Exception {
        assertThat(Boolean.getBoolean("liaison.assertOffLoop")).as("the suite runs with the check on").isTrue();
        EventLoopGroup group = EventLoops.group("test", 1);
        try (MessageStore store = SqliteMessageStore.open(dir.resolve("messages.db"));
                FileAuditLog log = FileAuditLog.open(dir.resolve("audit"), "liaison/IT-DNA", Duration.ofHours(1))) {
            assertThat(OnLoop.run(group, () -> store.inbox().all())).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("a store call on event loop liaison-test");
            assertThat(OnLoop.run(group, () -> log.record(AuditEvent.of("x", "a", null, null, "ok", null))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("an audit append on event loop");
            assertThat(log.size()).isZero();
            assertThat(store.inbox().all()).isEmpty(); // off the loop: fine
            log.record(AuditEvent.of("x", "a", null, null, "ok", null));
            assertThat(log.size()).isEqualTo(1);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
