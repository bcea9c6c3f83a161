package org.liaison.gateway.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.net.EventLoops;
import org.liaison.gateway.net.OnLoop;

/** A peer's announced schema is remembered in memory at once and written to disk off the event loop, in order. */
class PeerSchemasTest {
    static final AuthorityId AL = AuthorityId.of("AL-PP");

    @TempDir
    Path dir;

    /** As the node has them: written on a single-thread executor of their own. */
    static PeerSchemas open(Path folder) {
        return new PeerSchemas(folder, java.util.concurrent.Executors.newSingleThreadExecutor());
    }

    @Test
    void anAnnouncementOnAnEventLoopWritesNothingThereAndIsKeptInOrder() throws Exception {
        assertThat(Boolean.getBoolean("liaison.assertOffLoop")).as("the suite runs with the check on").isTrue();
        EventLoopGroup group = EventLoops.group("test", 1);
        Path folder = dir.resolve("peer-schemas");
        try {
            PeerSchemas schemas = open(folder);
            assertThat(OnLoop.run(group, () -> {
                schemas.announced(AL, "1.4");
                schemas.announced(AL, null);
                schemas.announced(AL, "1.5");
            })).as("no file written on the loop").isNull();
            assertThat(schemas.of(AL)).as("in memory at once").contains("1.5");
            schemas.close(); // writes what is pending
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        assertThat(Files.readString(folder.resolve(AL.value()), StandardCharsets.US_ASCII)).isEqualTo("1.5");
        assertThat(open(folder).of(AL)).contains("1.5");
    }

    @Test
    void aGarbageAnnouncementIsIgnoredAndChangesNothing() throws Exception {
        Path folder = dir.resolve("peer-schemas");
        PeerSchemas schemas = open(folder);
        schemas.announced(AL, "1.4");
        schemas.close();
        byte[] before = Files.readAllBytes(folder.resolve(AL.value()));
        schemas = open(folder);
        for (String garbage : new String[] {"1.4.0.0.0.0.0.0.0.0.0.0.0", "9".repeat(100_000), "one.four", "1.4\u0000", "1.\t4",
            "../../etc/passwd", "/tmp/x", "1.4/../x", "", " ", "-1", "1.-4", "1e4", "\u0661.\u0664"}) {
            schemas.announced(AL, garbage);
            assertThat(schemas.of(AL)).as(garbage).contains("1.4");
            assertThat(schemas.readsEvidence(AL)).isTrue();
        }
        schemas.close();
        assertThat(Files.readAllBytes(folder.resolve(AL.value()))).isEqualTo(before);
        try (var files = Files.list(folder)) {
            assertThat(files.map(f -> f.getFileName().toString()).toList()).containsExactly(AL.value());
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString()).toList()).containsExactly("peer-schemas");
        }
        assertThat(open(folder).of(AL)).contains("1.4");
        // No header at all (a peer gone back to a version before 1.4) is not garbage: it is forgotten.
        schemas = open(folder);
        schemas.announced(AL, null);
        schemas.close();
        assertThat(folder.resolve(AL.value())).doesNotExist();
    }

    /**
     * One rule with the protocol's ({@code Receipts.isVersion}): a part of more than six digits is no version, so it
     * neither replaces what the peer announced before nor makes it a peer that reads no evidence. Regression: the node
     * kept "1234567.1" (its own rule: any digits, 16 characters) while the protocol read it as no version at all.
     */
    @Test
    void whatTheProtocolReadsAsNoVersionIsIgnoredHereToo() throws Exception {
        PeerSchemas schemas = open(dir.resolve("peer-schemas"));
        schemas.announced(AL, "1.4");
        for (String noVersion : new String[] {"1234567.1", "1.1234567", "12345678901234"}) {
            schemas.announced(AL, noVersion);
            assertThat(schemas.of(AL)).as(noVersion).contains("1.4");
            assertThat(schemas.readsEvidence(AL)).as(noVersion).isTrue();
        }
        schemas.announced(AL, "01.4"); // digits only: a version (1.4)
        assertThat(schemas.of(AL)).contains("01.4");
        assertThat(schemas.readsEvidence(AL)).isTrue();
        schemas.close();
    }
}
