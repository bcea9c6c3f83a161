package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.CertificateAuthority;
import org.liaison.certs.KeyAlgorithm;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;

class AdminPortTest {
    @TempDir
    Path dir;

    static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthReadinessAndMetricsReflectWhatTheNodeDid() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            assertThat(get(al.adminPort(), "/health").body()).isEqualTo("ok\n");
            assertThat(get(al.adminPort(), "/ready").statusCode()).isEqualTo(200);
            assertThat(get(al.adminPort(), "/nothing").statusCode()).isEqualTo(404);

            UUID id = it.outbox().submit(t.submission(IT, List.of(AL), null, null, TestNodes.text("counted")));
            TestNodes.await("delivery", Duration.ofSeconds(20),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            CertificateAuthority self = CertificateAuthority.createRoot("CN=intruder",
                    KeyAlgorithm.EC_P256, java.time.Instant.now().minusSeconds(60),
                    java.time.Instant.now().plusSeconds(3600), 0);
            catchThrowable(() -> RawPeer.connect(al.peerPort(), self.credential(), "TLSv1.3").getInputStream().read());

            String alMetrics = get(al.adminPort(), "/metrics").body();
            assertThat(alMetrics).contains("liaison_messages_received_total 1.0");
            TestNodes.await("TLS failure counted", Duration.ofSeconds(5), () -> {
                try {
                    return get(al.adminPort(), "/metrics").body().contains("liaison_tls_failures_total 1.0");
                } catch (Exception e) {
                    return false;
                }
            });
            String itMetrics = get(it.adminPort(), "/metrics").body();
            assertThat(itMetrics).contains("liaison_deliveries{state=\"delivered\"} 1.0")
                    .contains("liaison_delivery_attempts_total{outcome=\"delivered\"} 1.0")
                    .contains("liaison_delivery_latency_seconds_count 1").contains("liaison_store_bytes");
            assertThat(itMetrics).doesNotContain(id.toString());
            // What expires, in seconds from now: the certificates (30 days in TestNodes), CRLs (7 days), the directory (30 days).
            double tls = gauge(itMetrics, "liaison_certificate_expiry_seconds{purpose=\"tls\"}");
            assertThat(tls).isBetween(29 * 86400.0, 30 * 86400.0);
            assertThat(gauge(itMetrics, "liaison_certificate_expiry_seconds{purpose=\"operator-ca\"}")).isGreaterThan(29 * 86400.0);
            assertThat(gauge(itMetrics, "liaison_crl_next_update_seconds{issuer=\"CN=AL-PP National CA,O=AL-PP,C=AL\"}"))
                    .isBetween(6 * 86400.0, 7 * 86400.0);
            assertThat(gauge(itMetrics, "liaison_crl_age_seconds{issuer=\"CN=IT-DNA National CA,O=IT-DNA,C=IT\"}")).isBetween(0.0, 3600.0);
            assertThat(gauge(itMetrics, "liaison_directory_next_update_seconds")).isBetween(29 * 86400.0, 30 * 86400.0);
            assertThat(gauge(itMetrics, "liaison_disk_free_bytes")).isGreaterThan(0.0);
        }
    }

    /** The value of one sample line of a Prometheus scrape. */
    private static double gauge(String scrape, String series) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + series + " in the scrape");
    }
}
