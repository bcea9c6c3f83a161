package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.Role;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;

/**
 * A multi-megabyte package streams out of the local API decrypted, whole and in order, to a client
 * that reads it slower than the node's read timeout allows for a request: a download runs while it moves.
 */
class LargeFetchTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void fetchStreamsAFortyMegabytePackageToASlowReader() throws Exception {
        TestNodes t = new TestNodes(dir);
        long size = 40L << 20;
        try (GatewayNode it = t.start(IT); GatewayNode al = t.start(AL)) {
            UUID id = it.outbox().submit(ServeProcessTest.large(t, IT, AL, size));
            TestNodes.await("delivery", Duration.ofSeconds(60),
                    () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
            LocalClient client = new LocalClient(t.federation.profiles().get(AL).get(Role.INVESTIGATOR));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long total = 0;
            long t0 = System.nanoTime();
            try (java.io.DataInputStream in = new java.io.DataInputStream(client.fetch(id.toString()))) {
                in.skipNBytes(in.readInt()); // the manifest
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                    total += n;
                    Thread.sleep(total % (1 << 20) < n ? 100 : 0); // ~10 MB/s: about 4 s, longer than the 3 s read timeout
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(seconds).isGreaterThan(TestNodes.FAST.readTimeout().toSeconds());
            assertThat(total).isEqualTo(size);
            assertThat(sha.digest()).isEqualTo(ResumeTest.sha(size));
        }
    }
}
