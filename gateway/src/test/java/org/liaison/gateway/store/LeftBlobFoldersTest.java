package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.node.Retention;

/**
 * The blob folders of deleted messages a node makes sure are gone at each start ({@link Retention#removeLeftFolders}):
 * only those whose removal a crash or a failure left, not every deletion ever made; rows deleted before the store
 * recorded removals (store migration 13 on SQLite, 9 on PostgreSQL) are checked once. On SQLite and PostgreSQL.
 */
class LeftBlobFoldersTest {
    private static final AuthorityId IT = AuthorityId.of("IT-DNA");
    private static final AuthorityId AL = AuthorityId.of("AL-PP");

    @TempDir
    Path dir;

    /** A received and a sent message, stored with a blob folder each on disk, then deleted (rows only, as a crash leaves them). */
    private List<Path> deletedWithFolders(MessageStore s, String tag) throws Exception {
        Path in = Files.createDirectories(dir.resolve("blobs/in-" + tag));
        Files.writeString(in.resolve("payload"), "x");
        UUID received = UUID.randomUUID();
        s.inbox().storeReceived(new MessageStore.Received(IT, received, Instant.now().truncatedTo(ChronoUnit.MILLIS), new byte[] {1},
                "00", new byte[] {2}, in));
        UUID sent = UUID.randomUUID();
        Path out = Files.createDirectories(dir.resolve("blobs/outbox/" + sent));
        Files.writeString(out.resolve("payload"), "y");
        s.sent().storeOutgoing(new MessageStore.Outgoing(sent, Instant.now(), Instant.now().plus(Duration.ofDays(1)), new byte[] {1}, null,
                out, "pkg", "env", "me"), List.of(AL), Instant.now());
        assertThat(s.inbox().delete(received, Instant.now())).isTrue();
        assertThat(s.sent().delete(sent, Instant.now())).isTrue();
        return List.of(in, out);
    }

    private static List<Path> left(MessageStore s) {
        return java.util.stream.Stream.concat(s.inbox().deletedBlobs().stream(), s.sent().deletedBlobs().stream()).toList();
    }

    private void onlyWhatIsLeftIsListed(MessageStore s) throws Exception {
        List<Path> crashed = deletedWithFolders(s, "a");
        assertThat(left(s)).containsExactlyInAnyOrderElementsOf(crashed); // a crash came between the rows and the folders
        Retention.removeLeftFolders(s, Instant.now());
        assertThat(crashed).allSatisfy(p -> assertThat(p).doesNotExist());
        assertThat(left(s)).isEmpty(); // the next start reads nothing of them
        List<Path> later = deletedWithFolders(s, "b");
        assertThat(left(s)).containsExactlyInAnyOrderElementsOf(later);
        s.inbox().blobsRemoved(List.of(later.get(0)), Instant.now());
        s.sent().blobsRemoved(List.of(later.get(1)), Instant.now());
        assertThat(left(s)).isEmpty();
    }

    /** Undoes store migrations 13 and 14 on SQLite, 9 and 10 on PostgreSQL (the version is the caller's to set). */
    static void undoBlobsRemoved(Statement st) throws Exception {
        for (String sql : List.of("ALTER TABLE notices DROP COLUMN note", "DROP INDEX inbox_blobs_to_remove", "DROP INDEX outbox_blobs_to_remove",
                "ALTER TABLE inbox DROP COLUMN blobs_removed_ms", "ALTER TABLE outbox DROP COLUMN blobs_removed_ms",
                "CREATE INDEX inbox_deleted ON inbox (deleted_ms) WHERE deleted_ms IS NOT NULL",
                "CREATE INDEX outbox_deleted ON outbox (deleted_ms) WHERE deleted_ms IS NOT NULL")) {
            st.execute(sql);
        }
    }

    @Test
    void onSqliteAStartReadsOnlyTheFoldersLeftAndRowsDeletedBeforeTheMigrationOnce() throws Exception {
        Path file = dir.resolve("messages.db");
        List<Path> before;
        try (MessageStore s = SqliteMessageStore.open(file)) {
            onlyWhatIsLeftIsListed(s);
            before = deletedWithFolders(s, "old");
            Retention.removeLeftFolders(s, Instant.now());
            Files.createDirectories(before.get(0)); // (come back: a migrated store's rows are checked once more)
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            for (String table : List.of("inbox", "outbox")) { // the index of those rows only, not a scan of every deletion
                try (var r = st.executeQuery("EXPLAIN QUERY PLAN SELECT blobs FROM " + table
                        + " WHERE deleted_ms IS NOT NULL AND blobs_removed_ms IS NULL")) {
                    assertThat(r.next()).isTrue();
                    assertThat(r.getString("detail")).containsPattern("USING (COVERING )?INDEX " + table + "_blobs_to_remove");
                }
            }
            undoBlobsRemoved(st);
            st.execute("PRAGMA user_version=12");
        }
        migratedRowsAreCheckedOnce(() -> SqliteMessageStore.open(file), before);
    }

    @Test
    void onPostgresqlAStartReadsOnlyTheFoldersLeftAndRowsDeletedBeforeTheMigrationOnce() throws Exception {
        LocalPostgres.Database db = LocalPostgres.newDatabase();
        List<Path> before;
        try (MessageStore s = PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 2, dir, "node-a")) {
            onlyWhatIsLeftIsListed(s);
            before = deletedWithFolders(s, "old");
            Retention.removeLeftFolders(s, Instant.now());
            Files.createDirectories(before.get(0));
        }
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password()); Statement st = c.createStatement()) {
            undoBlobsRemoved(st);
            st.execute("UPDATE liaison_schema SET version = 8");
        }
        migratedRowsAreCheckedOnce(() -> PostgresMessageStore.open(db.url(), db.user(), db.password().toCharArray(), 2, dir, "node-a"),
                before);
    }

    private interface Opener {
        MessageStore open() throws Exception;
    }

    private static void migratedRowsAreCheckedOnce(Opener opener, List<Path> before) throws Exception {
        try (MessageStore s = opener.open()) {
            // Every row deleted before the migration (those of the first part too) is listed, once.
            assertThat(left(s)).hasSize(6).containsAll(before);
            Retention.removeLeftFolders(s, Instant.now());
            assertThat(before.get(0)).doesNotExist();
            assertThat(left(s)).isEmpty();
        }
    }
}
