package org.liaison.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;

/**
 * A message to send is stored with one write of its outbox row: its times (created, respond-by) and when an answer to
 * it was received are in the insert, not set by an update of the row just inserted (issue 26: two writes of the row,
 * and of its indexes, per message sealed).
 */
class SentRowWriteTest {
    @TempDir
    Path dir;

    @Test
    void aSentRowIsWrittenOnceWithItsTimesAndItsAnswer() throws Exception {
        Path file = dir.resolve("messages.db");
        SqliteMessageStore.open(file).close(); // the schema
        UUID id = UUID.randomUUID();
        Instant created = Instant.parse("2026-01-02T03:04:05.678Z");
        Instant respondBy = created.plus(Duration.ofDays(10));
        try (Connection real = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (Statement st = real.createStatement()) {
                // An answer held already (a copy from elsewhere, a migration): the request is answered when it is stored.
                st.execute("INSERT INTO inbox (sender, message_id, received_at, envelope, envelope_sha256, receipt, blobs, in_reply_to,"
                        + " received_ms) VALUES ('AL-PP', '" + UUID.randomUUID() + "', '" + created + "', x'01', '00', x'02', 'b', '" + id
                        + "', 1234)");
            }
            List<String> ran = new ArrayList<>();
            Connection c = (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, m, args) -> {
                        if (m.getName().equals("prepareStatement")) {
                            ran.add((String) args[0]);
                        }
                        try {
                            return m.invoke(real, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            SqlSent sent = new SqlSent(new SqlDb(SqlDialect.SQLITE, SqlDb.single(c, new Object()), dir, null));
            sent.storeOutgoing(new MessageStore.Outgoing(id, created, created.plus(Duration.ofDays(30)), new byte[] {1}, null,
                    dir.resolve("blobs/outbox/" + id), "pkg", "env", "me", respondBy), List.of(AuthorityId.of("AL-PP")), created);
            assertThat(ran).filteredOn(sql -> sql.contains("outbox")).hasSize(1).allSatisfy(sql -> assertThat(sql).startsWith("INSERT INTO outbox"));
            try (Statement st = real.createStatement();
                    ResultSet r = st.executeQuery("SELECT created_ms, respond_ms, answered_ms FROM outbox WHERE message_id = '" + id + "'")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getLong(1)).isEqualTo(created.toEpochMilli());
                assertThat(r.getLong(2)).isEqualTo(respondBy.toEpochMilli());
                assertThat(r.getLong(3)).isEqualTo(1234L);
            }
        }
    }
}
