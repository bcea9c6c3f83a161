package org.liaison.cli.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.store.SqliteMessageStore;

/**
 * A backup copies what the data folder holds, never what a symbolic link in it points at: a link (to /etc, to
 * another node's evidence) makes the backup fail with an error naming it, and nothing of its target is copied.
 */
class BackupLinksTest {
    @TempDir
    Path dir;

    private Path dataFolder() throws Exception {
        return dataFolder(dir.resolve("data"));
    }

    /** A node's data folder: its database, audit log and an evidence file. */
    private static Path dataFolder(Path data) throws Exception {
        Files.createDirectories(data);
        FileAuditLog.open(data.resolve("audit"), "test", Duration.ofSeconds(2)).close();
        SqliteMessageStore.open(data.resolve("messages.db")).close();
        Files.createDirectories(data.resolve("evidence"));
        Files.writeString(data.resolve("evidence").resolve("own.xml"), "<Evidence/>");
        return data;
    }

    private Path outside() throws IOException {
        Path other = Files.createDirectories(dir.resolve("elsewhere"));
        Files.writeString(other.resolve("secret.xml"), "another node's evidence");
        return other;
    }

    @Test
    void aLinkToAFileIsRefusedAndNamed() throws Exception {
        Path data = dataFolder();
        Path link = Files.createSymbolicLink(data.resolve("evidence").resolve("stolen.xml"), outside().resolve("secret.xml"));
        Backup.take(dataFolder(dir.resolve("clean")), dir.resolve("clean-backup")); // the same folder without the link is backed up
        Path out = dir.resolve("backup");
        assertThatThrownBy(() -> Backup.take(data, out)).isInstanceOf(IOException.class)
                .hasMessageContaining(link.toString()).hasMessageContaining("symbolic link");
        assertThat(out.resolve("evidence").resolve("stolen.xml")).doesNotExist();
    }

    @Test
    void aLinkedFolderIsRefusedAndNamed() throws Exception {
        Path data = dataFolder();
        Path link = Files.createSymbolicLink(data.resolve("evidence").resolve("peers"), outside());
        Path out = dir.resolve("backup");
        assertThatThrownBy(() -> Backup.take(data, out)).isInstanceOf(IOException.class)
                .hasMessageContaining(link.toString()).hasMessageContaining("symbolic link");
        assertThat(out.resolve("evidence").resolve("peers").resolve("secret.xml")).doesNotExist();
    }

    @Test
    void aLinkedTopFolderIsRefusedAndNamed() throws Exception {
        Path data = dataFolder();
        Path link = Files.createSymbolicLink(data.resolve("audit-peers"), outside());
        Path out = dir.resolve("backup");
        assertThatThrownBy(() -> Backup.take(data, out)).isInstanceOf(IOException.class)
                .hasMessageContaining(link.toString()).hasMessageContaining("symbolic link");
        assertThat(out.resolve("audit-peers").resolve("secret.xml")).doesNotExist();
    }

    /** A link's name and target are whatever was put on the disk: a terminal escape in them does not reach the error. */
    @Test
    void aLinksNameAndTargetAreNeutralisedInTheError() throws Exception {
        Path data = dataFolder();
        Files.createSymbolicLink(data.resolve("evidence").resolve("x\u001b[2Jy.xml"), Path.of("/tmp/\u001b]0;owned\u0007"));
        assertThatThrownBy(() -> Backup.take(data, dir.resolve("backup"))).isInstanceOf(IOException.class)
                .hasMessageContaining("symbolic link").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b", "\u0007"));
    }
}
