package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.local.LocalApiHandler;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.protocol.ErrorCode;

/**
 * HTTP/1.1 pipelining is not served, on either API: two requests sent back to back over TLS get the
 * answer to the first, then the connection closes; the second is not processed, and that is audited.
 */
class PipeliningTest extends AlbaniaNodeTest {

    static byte[] request(String method, String path, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((method + " " + path + " HTTP/1.1\r\nHost: node\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** Writes both requests in one go (one TLS record where they fit), then reads the first answer. */
    static RawPeer.Response sendBackToBack(SSLSocket s, byte[] first, byte[] second) throws IOException {
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.writeBytes(first);
        both.writeBytes(second);
        s.getOutputStream().write(both.toByteArray());
        s.getOutputStream().flush();
        return RawPeer.read(s.getInputStream());
    }

    boolean pipeliningAudited() throws InterruptedException {
        return eventually(events -> events.stream().anyMatch(e -> e.type().equals("reject") && e.reason() != null
                && e.reason().contains(ErrorCode.PIPELINING_REFUSED.code())));
    }

    @Test
    void aPeerThatPipelinesGetsTheFirstAnswerAndTheSecondRequestIsNotProcessed() throws Exception {
        UUID asked = UUID.randomUUID();
        byte[] message = RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL), auth(IT).envelopeSigning());
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            // The first is answered from a worker; the second, a whole message, is in the same bytes.
            RawPeer.Response first = sendBackToBack(s, request("GET", ReceiveHandler.transferPath(asked), new byte[0]),
                    request("POST", ReceiveHandler.PATH, message));
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).contains(asked.toString()).doesNotContain("<Receipt");
            assertThat(catchThrowable(() -> RawPeer.read(s.getInputStream()))).as("no second answer: the connection closes")
                    .isInstanceOf(IOException.class);
        }
        assertThat(pipeliningAudited()).isTrue();
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void aPeerRequestSentAfterARefusedOneIsNotProcessed() throws Exception {
        byte[] message = RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL), auth(IT).envelopeSigning());
        try (SSLSocket s = RawPeer.connect(al.peerPort(), auth(IT).gatewayTls(), "TLSv1.3")) {
            // A notice that is no notice is refused from a worker, after the message behind it was read.
            RawPeer.Response first = sendBackToBack(s, request("POST", ReceiveHandler.NOTICE_PATH,
                    "<Notice>not signed</Notice>".getBytes(StandardCharsets.UTF_8)), request("POST", ReceiveHandler.PATH, message));
            assertThat(first.status()).isBetween(400, 499);
            assertThat(first.body()).doesNotContain("one request at a time").doesNotContain("<Receipt");
            assertThat(catchThrowable(() -> RawPeer.read(s.getInputStream()))).isInstanceOf(IOException.class);
        }
        assertThat(pipeliningAudited()).isTrue();
        assertThat(al.store().inbox().all()).isEmpty();
    }

    @Test
    void theLocalApiAnswersTheFirstOfTwoPipelinedRequestsThenCloses() throws Exception {
        try (SSLSocket s = RawPeer.connect(al.localPort(), HostileMemberTest.jdkKey(t.investigator(AL)), "TLSv1.3")) {
            RawPeer.Response first = sendBackToBack(s, request("GET", LocalApiHandler.PREFIX + "inbox", new byte[0]),
                    request("GET", LocalApi.MESSAGES + "/" + UUID.randomUUID(), new byte[0]));
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).startsWith("[");
            assertThat(catchThrowable(() -> RawPeer.read(s.getInputStream()))).as("no second answer: the connection closes")
                    .isInstanceOf(IOException.class);
        }
        assertThat(pipeliningAudited()).isTrue();
    }
}
