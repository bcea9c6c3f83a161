package org.liaison.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;
import static org.liaison.gateway.TestNodes.US;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.TestNodes;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;

/**
 * What a delivery attempt takes from {@link SealedEnvelopes} in place of reading its stored envelope is exactly what
 * {@code Envelopes.readStored} reads of the same bytes, and it is taken only for those very bytes.
 */
class SealedEnvelopesTest {
    @TempDir
    Path dir;

    @Test
    void whatIsKeptIsWhatTheStoredEnvelopeSaysAndOnlyForItsExactBytes() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode it = t.start(IT)) {
            byte[] manifest = t.submission(IT, List.of(AL, US), null, null, TestNodes.text("evidence")).manifestXml();
            List<PayloadInfo> payloads = List.of(new PayloadInfo(0, PayloadCipher.DEFAULT_SEGMENT_SIZE, 40, "ab".repeat(32)));
            UUID id = UUID.randomUUID();
            // A time finer than the envelope carries (xs:dateTime in milliseconds), as a node's clock gives it.
            Instant created = Instant.parse("2026-12-07T10:00:00.123456789Z");
            EnvelopeHeader h = new EnvelopeHeader(id, id, null, created, created.plus(Duration.ofDays(7)), IT, List.of(AL, US), null,
                    Service.MLA_REQUEST, "submit");
            byte[] envelope = Envelopes.seal(h, it.trust().directory(), manifest, payloads, ContentEncryption.newContentKey(),
                    t.federation.pki().authority(IT).envelopeSigning());
            String sha256 = Envelopes.sha256(envelope);
            SealedEnvelopes kept = new SealedEnvelopes();
            kept.sealed(id, envelope, sha256, h, payloads, 2);

            SealedEnvelopes.Sealed s = kept.of(outgoing(id, envelope, sha256)).orElseThrow();
            Envelopes.Stored read = Envelopes.readStored(envelope, sha256);
            assertThat(s.header()).isEqualTo(read.header());
            assertThat(s.payloads()).isEqualTo(read.payloads());
            assertThat(s.sha256()).isEqualTo(read.sha256());

            // Bytes changed at rest, or another recorded digest: not taken (the attempt reads the store, which refuses them).
            byte[] changed = envelope.clone();
            changed[changed.length / 2] ^= 1;
            assertThat(kept.of(outgoing(id, changed, sha256))).isEmpty();
            assertThat(kept.of(outgoing(id, envelope, Envelopes.sha256(changed)))).isEmpty();
            assertThat(kept.of(outgoing(UUID.randomUUID(), envelope, sha256))).isEmpty();

            // Kept until each recipient's delivery is over.
            kept.deliveryEnded(id);
            assertThat(kept.of(outgoing(id, envelope, sha256))).isPresent();
            kept.deliveryEnded(id);
            assertThat(kept.of(outgoing(id, envelope, sha256))).isEmpty();
            assertThat(kept.size()).isZero();
        }
    }

    @Test
    void itHoldsAtMostItsBound() throws Exception {
        SealedEnvelopes kept = new SealedEnvelopes();
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        for (int i = 0; i < SealedEnvelopes.MAX + 10; i++) {
            UUID id = UUID.randomUUID();
            kept.sealed(id, new byte[] {1, 2, 3}, "x", new EnvelopeHeader(id, id, null, now, now.plusSeconds(60), IT, List.of(AL), null,
                    Service.MLA_REQUEST, "submit"), List.of(), 1);
        }
        assertThat(kept.size()).isEqualTo(SealedEnvelopes.MAX);
        UUID big = UUID.randomUUID();
        kept.sealed(big, new byte[SealedEnvelopes.MAX_BYTES + 1], "y", new EnvelopeHeader(big, big, null, now, now.plusSeconds(60), IT,
                List.of(AL), null, Service.MLA_REQUEST, "submit"), List.of(), 1);
        assertThat(kept.of(outgoing(big, new byte[SealedEnvelopes.MAX_BYTES + 1], "y"))).isEmpty();
    }

    private MessageStore.Outgoing outgoing(UUID id, byte[] envelope, String sha256) {
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        return new MessageStore.Outgoing(id, now, now.plus(Duration.ofDays(7)), envelope, null, dir, null, sha256, null, null, null, null);
    }
}
