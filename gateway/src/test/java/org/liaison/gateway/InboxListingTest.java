package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.local.LocalApiHandler;

/**
 * The inbox listing reads the listing fields kept in the store's columns at reception, never the
 * envelopes (issue 26, item 5: it decrypted and parsed every held manifest at every listing). A row
 * stored before the columns existed has its envelope read once, and its columns filled.
 */
class InboxListingTest extends AlbaniaNodeTest {

    UUID received() throws Exception {
        UUID id = UUID.randomUUID();
        byte[] body = RawPeer.message(al.trust().directory(), auth(IT).envelopeSigning(), IT, List.of(AL), id,
                RawPeer.manifest(t.investigator(IT), IT, List.of(AL), Set.of()), RawPeer.PAYLOAD);
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            assertThat(RawPeer.post(s, "", body).status()).isEqualTo(200);
        }
        return id;
    }

    JsonNode listing() throws Exception {
        try (SSLSocket s = RawPeer.connect(al.localPort(), HostileMemberTest.jdkKey(t.investigator(AL)), "TLSv1.3")) {
            RawPeer.Response r = RawPeer.request(s, "GET", LocalApiHandler.PREFIX + "inbox", "", new byte[0]);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            return new ObjectMapper().readTree(r.body());
        }
    }

    /** Runs one statement on the node's database beside the node (as damage at rest, or an older version, would). */
    void sql(String statement, Object... values) throws Exception {
        Path db = NodeConfig.resolve(t.config(AL), al.config().dataDir()).resolve("messages.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); PreparedStatement p = c.prepareStatement(statement)) {
            for (int i = 0; i < values.length; i++) {
                p.setObject(i + 1, values[i]);
            }
            assertThat(p.executeUpdate()).isEqualTo(1);
        }
    }

    void envelopeChangesAtRest(UUID id) throws Exception {
        sql("UPDATE inbox SET envelope = ? WHERE message_id = ?", "<not-an-envelope/>".getBytes(StandardCharsets.UTF_8), id.toString());
    }

    @Test
    void theListingReadsTheStoredColumnsNotTheEnvelopes() throws Exception {
        UUID id = received();
        JsonNode before = listing();
        assertThat(before).hasSize(1);
        assertThat(before.get(0).path("case").asText()).isEqualTo("OP-RAW-1");
        assertThat(before.get(0).path("service").asText()).isNotEmpty();
        assertThat(before.get(0).path("files").asInt()).isEqualTo(1);

        // A listing that read the envelope would now list this row with its problem instead.
        envelopeChangesAtRest(id);

        assertThat(listing()).isEqualTo(before);
    }

    @Test
    void aRowStoredBeforeTheColumnsHasItsEnvelopeReadOnceAndItsColumnsFilled() throws Exception {
        UUID id = received();
        JsonNode before = listing();
        sql("UPDATE inbox SET case_ref = NULL, service = NULL, classification = NULL, handling = NULL, files = NULL, bytes = NULL,"
                + " respond_ms = NULL, urgency = NULL, conversation_id = NULL, in_reply_to = NULL, kept = 'LEGACY' WHERE message_id = ?",
                id.toString()); // as a row stored before the columns is: marked LEGACY (store migration 11)
        assertThat(al.store().inbox().received(id).orElseThrow().listing()).isNull();

        assertThat(listing()).isEqualTo(before); // read from the envelope, the same row
        assertThat(al.store().inbox().received(id).orElseThrow().listing()).isNotNull();
        assertThat(al.store().inbox().received(id).orElseThrow().caseRef()).isEqualTo("OP-RAW-1");

        envelopeChangesAtRest(id);
        assertThat(listing()).isEqualTo(before); // and not read again
    }
    @Test
    void aBadQueryIsRefusedWith400NamingTheParameter() throws Exception {
        for (String[] q : new String[][] {{"?bogus=1", "bogus"}, {"?limit=abc", "limit"}, {"?limit=1&limit=2", "limit"},
            {"?overdue=maybe", "overdue"}, {"?since=2026-13-01", "since"}, {"?case=a%20b", "case"}}) {
            try (SSLSocket s = RawPeer.connect(al.localPort(), HostileMemberTest.jdkKey(t.investigator(AL)), "TLSv1.3")) {
                RawPeer.Response r = RawPeer.request(s, "GET", LocalApiHandler.PREFIX + "inbox" + q[0], "", new byte[0]);
                assertThat(r.status()).as(q[0]).isEqualTo(400);
                assertThat(r.body()).as(q[0]).contains("LIAISON:0003").contains(q[1] + ":");
            }
        }
        assertThat(listing()).isEmpty(); // and the listing without a query answers as before
    }
}
