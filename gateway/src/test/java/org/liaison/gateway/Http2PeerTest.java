package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Credential;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.peer.ReceiveHandler;

/** The peer API over HTTP/2 (negotiated by ALPN), spoken by an independent client: the JDK's HttpClient. */
class Http2PeerTest {
    @TempDir
    Path dir;

    static HttpClient h2(Credential client) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", client.privateKey(), "x".toCharArray(), client.chain().toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "x".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), new TrustManager[] {RawPeer.trustAnyServer()}, null);
        SSLParameters params = new SSLParameters();
        params.setProtocols(new String[] {"TLSv1.3"});
        params.setEndpointIdentificationAlgorithm(null);
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(ctx).sslParameters(params)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    static HttpResponse<String> post(HttpClient c, int port, byte[] body) throws Exception {
        return c.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + ReceiveHandler.PATH))
                .header("Content-Type", ReceiveHandler.MESSAGE_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void messageOverHttp2IsReceiptedAndRefusalsWorkPerStream() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode al = t.start(AL)) {
            var italy = t.federation.pki().authority(IT);
            HttpClient client = h2(italy.gatewayTls());
            byte[] body = RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL), italy.envelopeSigning());
            HttpResponse<String> first = post(client, al.peerPort(), body);
            assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.body()).contains("<Receipt");

            HttpResponse<String> again = post(client, al.peerPort(), body);
            assertThat(again.body()).isEqualTo(first.body());

            byte[] forged = RawPeer.message(al.trust().directory(), t.investigator(US), US, List.of(AL),
                    t.federation.pki().authority(US).envelopeSigning());
            HttpResponse<String> refused = post(client, al.peerPort(), forged);
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains("LIAISON:0013");
            assertThat(al.store().inbox().all()).hasSize(1);
        }
    }
}
