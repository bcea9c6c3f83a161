package org.liaison.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.TestMounts;
import org.liaison.protocol.envelope.Envelopes;

/**
 * Issue 9, defect 7: a write that fails (a full disk, an I/O error) leaves the log exactly as it
 * was, the log takes entries again when writing works, and opening a log never destroys data.
 */
class AuditLogFailureTest {
    @TempDir
    Path dir;

    /** The entries channel, with a switch that makes writes fail halfway (and optionally truncation too). */
    static final class FailingChannel extends FileChannel {
        final FileChannel in;
        volatile boolean failWrites;
        volatile boolean failTruncate;

        FailingChannel(FileChannel in) {
            this.in = in;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (failWrites) {
                ByteBuffer half = src.duplicate();
                half.limit(src.position() + Math.max(1, src.remaining() / 2));
                int n = in.write(half);
                src.position(src.position() + n);
                throw new IOException("No space left on device");
            }
            return in.write(src);
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            if (failTruncate) {
                throw new IOException("Input/output error");
            }
            in.truncate(size);
            return this;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return in.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return in.read(dsts, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            throw new IOException("not used");
        }

        @Override
        public long position() throws IOException {
            return in.position();
        }

        @Override
        public FileChannel position(long p) throws IOException {
            in.position(p);
            return this;
        }

        @Override
        public long size() throws IOException {
            return in.size();
        }

        @Override
        public void force(boolean metaData) throws IOException {
            in.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return in.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return in.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return in.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return in.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return in.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return in.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return in.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            in.close();
        }
    }

    static AuditEvent event(int i) {
        return AuditEvent.of("receive", "IT-DNA", "m-" + i, "AL-PP", "ok", null);
    }

    @Test
    void aFailedAppendLeavesTheLogAsItWasAndTheLogGoesOn() throws Exception {
        FailingChannel[] ch = new FailingChannel[1];
        String vkey;
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1), c -> ch[0] = new FailingChannel(c))) {
            vkey = log.verifierKey();
            for (int i = 0; i < 5; i++) {
                log.record(event(i));
            }
            log.checkpointNow();
            ch[0].failWrites = true;
            assertThatThrownBy(() -> log.record(event(5))).isInstanceOf(FileAuditLog.AuditWriteException.class)
                    .hasMessageContaining("No space left");
            assertThat(log.healthy()).isFalse();
            ch[0].failWrites = false;
            for (int i = 5; i < 10; i++) {
                log.record(event(i));
            }
            assertThat(log.healthy()).isTrue();
            assertThat(log.size()).isEqualTo(10);
        }
        AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, vkey);
        assertThat(r.problems()).isEmpty();
        assertThat(r.entries()).isEqualTo(10);
        try (FileAuditLog again = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            assertThat(again.size()).isEqualTo(10);
        }
    }

    @Test
    void whenTheFailedBytesCannotBeRemovedNoEntryIsTakenUntilTheyAre() throws Exception {
        FailingChannel[] ch = new FailingChannel[1];
        String vkey;
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1), c -> ch[0] = new FailingChannel(c))) {
            vkey = log.verifierKey();
            log.record(event(0));
            ch[0].failWrites = true;
            ch[0].failTruncate = true;
            assertThatThrownBy(() -> log.record(event(1))).isInstanceOf(FileAuditLog.AuditWriteException.class);
            ch[0].failWrites = false;
            assertThatThrownBy(() -> log.record(event(2))).hasMessageContaining("could not be removed yet");
            ch[0].failTruncate = false;
            log.record(event(3));
            assertThat(log.size()).isEqualTo(2);
        }
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).isEmpty();
    }

    /** 20 entries, checkpointed at 20; returns the verifier key. */
    String twenty() throws Exception {
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            for (int i = 0; i < 20; i++) {
                log.record(event(i));
            }
            log.checkpointNow();
            return log.verifierKey();
        }
    }

    String digest(String file) throws IOException {
        return Envelopes.sha256(Files.readAllBytes(dir.resolve(file)));
    }

    void assertRefusedUnchanged(String because) throws Exception {
        String entries = digest(FileAuditLog.ENTRIES);
        String checkpoints = digest(FileAuditLog.CHECKPOINTS);
        assertThatThrownBy(() -> FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1)))
                .isInstanceOf(FileAuditLog.AuditLogDamagedException.class).hasMessageContaining(because)
                .hasMessageContaining("Nothing was changed");
        assertThat(digest(FileAuditLog.ENTRIES)).isEqualTo(entries);
        assertThat(digest(FileAuditLog.CHECKPOINTS)).isEqualTo(checkpoints);
    }

    @Test
    void aLogMissingSignedEntriesIsRefusedWithoutTouchingIt() throws Exception {
        twenty();
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        // Two thirds of the signed entries gone (what a start used to cut after a failed append left garbage).
        Files.write(dir.resolve(FileAuditLog.ENTRIES), java.util.Arrays.copyOf(all, all.length / 3));
        assertRefusedUnchanged("fewer entries");
    }

    @Test
    void aRewrittenLogIsRefusedAtOpen() throws Exception {
        twenty();
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        String text = new String(all, java.nio.charset.StandardCharsets.ISO_8859_1).replace("\"m-7\"", "\"m-X\"");
        Files.write(dir.resolve(FileAuditLog.ENTRIES), text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertRefusedUnchanged("altered");
    }

    @Test
    void aLongRunOfBytesAfterTheLastRecordIsRefusedNotCut() throws Exception {
        twenty();
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        byte[] longer = java.util.Arrays.copyOf(all, all.length + FileAuditLog.MAX_TAIL + 1);
        longer[all.length] = 0x7f; // a length no record has
        Files.write(dir.resolve(FileAuditLog.ENTRIES), longer);
        assertRefusedUnchanged("are not a record");
    }

    @Test
    void anIncompleteFinalRecordAfterTheCheckpointIsDropped() throws Exception {
        String vkey = twenty();
        byte[] all = Files.readAllBytes(dir.resolve(FileAuditLog.ENTRIES));
        byte[] cut = java.util.Arrays.copyOf(all, all.length + 10);
        ByteBuffer.wrap(cut, all.length, 4).putInt(200); // a record announced, 6 of its 200 bytes written
        Files.write(dir.resolve(FileAuditLog.ENTRIES), cut);
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            assertThat(log.size()).isEqualTo(20);
            log.record(event(20));
        }
        assertThat(AuditLogVerifier.verify(dir, vkey).problems()).isEmpty();
    }

    @Test
    void aLogKeyOfTheWrongLengthOrNotItsOwnPublicKeyIsRefused() throws Exception {
        twenty();
        byte[] key = Files.readAllBytes(dir.resolve(FileAuditLog.KEY));
        Files.write(dir.resolve(FileAuditLog.KEY), java.util.Arrays.copyOf(key, 40));
        assertThatThrownBy(() -> FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1)))
                .isInstanceOf(FileAuditLog.AuditLogDamagedException.class).hasMessageContaining("40 bytes");
        byte[] other = key.clone();
        other[40] ^= 1;
        Files.write(dir.resolve(FileAuditLog.KEY), other);
        assertThatThrownBy(() -> FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1)))
                .isInstanceOf(FileAuditLog.AuditLogDamagedException.class).hasMessageContaining("not the seed's");
    }

    /** A real full disk: a small tmpfs (needs root and mount; skipped, saying why, where that is not possible). */
    @Test
    void aFullFilesystemLosesNoEntryAndTheLogResumesWhenSpaceReturns() throws Exception {
        Path mnt = Files.createDirectory(dir.resolve("small"));
        Assumptions.assumeTrue(TestMounts.mount(mnt, "256k"),
                "cannot mount a small tmpfs here (needs root and mount rights) — the injected-failure tests above cover the same path");
        try {
            Path logDir = mnt.resolve("audit");
            String vkey;
            int acknowledged = 0;
            try (FileAuditLog log = FileAuditLog.open(logDir, "liaison/IT-DNA", Duration.ofHours(1))) {
                vkey = log.verifierKey();
                Path filler = mnt.resolve("filler");
                try (var o = Files.newOutputStream(filler)) {
                    byte[] block = new byte[4096];
                    while (true) {
                        o.write(block);
                        o.flush();
                    }
                } catch (IOException full) {
                    // the filesystem is full now
                }
                boolean refused = false;
                for (int i = 0; i < 2000 && !refused; i++) {
                    try {
                        log.record(event(i));
                        acknowledged++;
                    } catch (FileAuditLog.AuditWriteException e) {
                        refused = true;
                    }
                }
                assertThat(refused).as("an append was refused on the full disk").isTrue();
                assertThat(log.healthy()).isFalse();
                Files.delete(filler);
                for (int i = 0; i < 10; i++) {
                    log.record(event(10_000 + i));
                    acknowledged++;
                }
                assertThat(log.healthy()).isTrue();
            }
            AuditLogVerifier.Report r = AuditLogVerifier.verify(logDir, vkey);
            assertThat(r.problems()).isEmpty();
            assertThat(r.entries()).isEqualTo(acknowledged);
            try (FileAuditLog again = FileAuditLog.open(logDir, "liaison/IT-DNA", Duration.ofHours(1))) {
                assertThat(again.size()).isEqualTo(acknowledged);
            }
        } finally {
            TestMounts.unmount(mnt);
        }
    }
}
