package org.liaison.gateway.delivery;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.PayloadInfo;

/**
 * The envelopes this node sealed lately, with what a delivery attempt reads of them (header and payloads), so that
 * an attempt need not parse its own stored envelope again ({@code Envelopes.readStored}: a digest, a parse, a schema
 * check and a JAXB reading per attempt). What is kept is used only for stored bytes that are, byte for byte, the
 * bytes sealed here, under the same recorded SHA-256: exactly what {@code readStored} would have read, and proof that
 * they did not change at rest. Anything else (another node of the authority sealed it, a restart, an envelope pushed
 * out) is read from the store as before.
 *
 * <p>Bounded: the {@value #MAX} most recently sealed, each at most {@value #MAX_BYTES} bytes (16 MiB at the very most); an
 * entry goes when its deliveries are all done or when it is pushed out.
 */
public final class SealedEnvelopes {
    /** How many sealed envelopes are kept at most. */
    public static final int MAX = 512;
    /** The largest envelope kept (a small message's is 4–6 KiB; one with many recipients or files is read from the store). */
    public static final int MAX_BYTES = 32 * 1024;

    /** What a delivery attempt needs of an envelope sealed here, and the exact bytes and SHA-256 it stands for. */
    public record Sealed(byte[] xml, String sha256, EnvelopeHeader header, List<PayloadInfo> payloads, int recipients) {}

    /** A kept envelope and how many of its deliveries are not over yet. */
    private static final class Kept {
        final Sealed sealed;
        int open;

        Kept(Sealed sealed) {
            this.sealed = sealed;
            this.open = sealed.recipients();
        }
    }

    /** By message id, oldest first; guarded by itself. */
    private final Map<UUID, Kept> recent = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Kept> eldest) {
            return size() > MAX;
        }
    };

    /**
     * A message sealed and stored here: its envelope's exact bytes, their SHA-256, and the header and payloads sealed
     * into them. The header is kept as the envelope carries it (its times in milliseconds, as xs:dateTime holds them).
     */
    public void sealed(UUID id, byte[] xml, String sha256, EnvelopeHeader h, List<PayloadInfo> payloads, int recipients) {
        if (xml.length > MAX_BYTES) {
            return;
        }
        EnvelopeHeader asCarried = new EnvelopeHeader(h.messageId(), h.conversationId(), h.inReplyTo(), millis(h.created()),
                millis(h.expires()), h.from(), h.to(), h.jit(), h.service(), h.action());
        Sealed s = new Sealed(xml.clone(), sha256, asCarried, List.copyOf(payloads), recipients);
        synchronized (recent) {
            recent.put(id, new Kept(s));
        }
    }

    private static Instant millis(Instant t) {
        return Instant.ofEpochMilli(t.toEpochMilli());
    }

    /** What was sealed here as {@code m}'s envelope, when {@code m}'s stored bytes and recorded SHA-256 are exactly those. */
    public Optional<Sealed> of(MessageStore.Outgoing m) {
        Sealed s;
        synchronized (recent) {
            Kept k = recent.get(m.messageId());
            s = k == null ? null : k.sealed;
        }
        if (s == null || !s.sha256().equals(m.recordedEnvelopeSha256()) || !Arrays.equals(s.xml(), m.envelope())) {
            return Optional.empty();
        }
        return Optional.of(s);
    }

    /** One delivery of {@code id} is over (delivered or failed for good): the entry goes after its last recipient's. */
    public void deliveryEnded(UUID id) {
        synchronized (recent) {
            Kept k = recent.get(id);
            if (k != null && --k.open <= 0) {
                recent.remove(id);
            }
        }
    }

    /** How many envelopes are kept (for tests). */
    int size() {
        synchronized (recent) {
            return recent.size();
        }
    }
}
