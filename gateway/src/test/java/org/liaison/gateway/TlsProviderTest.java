package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.local.LocalApi;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.tls.TlsContexts;

/** The JDK and the OpenSSL (BoringSSL) TLS providers, alone and mixed, accept and refuse the same things. */
class TlsProviderTest {
    @TempDir
    Path dir;

    static void useProvider(TestNodes t, AuthorityId id, String provider) throws IOException {
        Path config = t.config(id);
        String yaml = Files.readString(config).replaceAll("(?m)^tlsProvider: .*\n", "");
        Files.writeString(config, yaml + (yaml.endsWith("\n") ? "" : "\n") + "tlsProvider: " + provider + "\n");
    }

    @ParameterizedTest(name = "sender {0}, receiver {1}")
    @CsvSource({"jdk,jdk", "jdk,openssl", "openssl,jdk", "openssl,openssl"})
    void exchangeAndRefusalsWithEachProvider(String sender, String receiver) throws Exception {
        Assumptions.assumeTrue(OpenSsl.isAvailable(), "netty-tcnative is not loadable here: " + OpenSsl.unavailabilityCause());
        TestNodes t = new TestNodes(dir);
        useProvider(t, IT, sender);
        useProvider(t, AL, receiver);
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("over " + sender + " to " + receiver)));
            TestNodes.await("delivery", Duration.ofSeconds(20),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            assertThat(al.store().inbox().all()).hasSize(1);

            Throwable tls12 = catchThrowable(() -> RawPeer.connect(al.peerPort(), t.federation.pki().authority(IT).gatewayTls(),
                    "TLSv1.2").close());
            assertThat(tls12).isInstanceOf(IOException.class);
            Throwable notGateway = catchThrowable(() -> {
                try (SSLSocket s = RawPeer.connect(al.peerPort(), t.investigator(IT), "TLSv1.3")) {
                    RawPeer.post(s, "", new byte[] {0, 0, 0, 1, 0});
                }
            });
            assertThat(notGateway).isInstanceOf(IOException.class);
            assertThat(al.store().inbox().all()).hasSize(1);

            // The local API with the same provider: investigators (Ed25519 personal certificates) list and fetch.
            LocalClient investigator = new LocalClient(
                    t.federation.profiles().get(AL).get(Role.INVESTIGATOR));
            assertThat(investigator.get(LocalApi.INBOX)).hasSize(1);
            try (java.io.InputStream in = investigator.fetch(id.toString())) {
                assertThat(in.readAllBytes().length).isGreaterThan(4);
            }
        }
    }

    /** Left out of node.yaml, the peer API's TLS is OpenSSL where netty-tcnative loads, else the JDK's; a wrong name is refused. */
    @org.junit.jupiter.api.Test
    void theDefaultIsOpenSslWhereItLoads() {
        assertThat(TlsContexts.provider(null)).isEqualTo(OpenSsl.isAvailable()
                ? io.netty.handler.ssl.SslProvider.OPENSSL : io.netty.handler.ssl.SslProvider.JDK);
        assertThat(TlsContexts.provider("jdk")).isEqualTo(io.netty.handler.ssl.SslProvider.JDK);
        assertThat(catchThrowable(() -> TlsContexts.provider("gnutls"))).hasMessageContaining("expected: jdk or openssl");
    }
}
