package org.liaison.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import javax.crypto.KeyAgreement;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.liaison.certs.Credential;
import org.liaison.certs.Providers;
import org.liaison.gateway.audit.FileAuditLog;

/**
 * The "design floor" of {@code scripts/bench-messages} (issue 26): the cryptographic operations the protocol as now
 * designed performs per message, counted from the nodes' own audit logs over the measured window, priced at what each
 * primitive costs in this JVM. Beside the issue's floor (3 signatures, 3 verifications, X25519, one handshake: the
 * target stays that one), it shows how much of the gap the design itself sets: the evidence of each event, the
 * recipient's checkpoint in each receipt, the manifest checked by both nodes.
 *
 * <p>Counted per message: signatures — the investigator's manifest (one per submission, in the client), each envelope
 * ({@code seal} entries), each evidence a node issued ({@code evidence} entries that name no other issuer), each
 * audit checkpoint signed (the notes added to each node's {@code checkpoints} file); verifications — the manifest at
 * submission ({@code submit}), the envelope and its manifest at reception ({@code receive}: two), the receipt or
 * delivered evidence back at the sender ({@code receipt}); X25519 — the wrap at sealing (an ephemeral key pair and an
 * agreement per recipient) and the unwrap at reception (an agreement); one full mutual-TLS handshake per submission
 * (the local API). Left out: the witnesses' cosignatures and their checks (one round every few seconds, not per
 * message), the peer port's handshakes (its connections are kept), certificate paths (validated once per
 * certificate and CRL period).
 */
final class DesignFloor {
    private DesignFloor() {}

    /** CPU milliseconds of each primitive, measured in this JVM. */
    record Costs(double sign, double verify, double wrap, double unwrap, double handshake) {}

    /** How many of each per message, over one window. */
    record Counts(double signatures, double verifications, double wraps, double unwraps, double handshakes) {
        double millis(Costs c) {
            return signatures * c.sign() + verifications * c.verify() + wraps * c.wrap() + unwraps * c.unwrap() + handshakes * c.handshake();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The primitives as the nodes use them: Ed25519 and X25519 of Bouncy Castle, a full TLS 1.3 handshake with client certificate. */
    static Costs measure(Credential tlsClient, Credential tlsServer) throws Exception {
        Provider bc = Providers.bouncyCastle();
        KeyPairGenerator ed = KeyPairGenerator.getInstance("Ed25519", bc);
        KeyPair signing = ed.generateKeyPair();
        byte[] signedInfo = new byte[600]; // about the size of a canonical ds:SignedInfo
        KeyPairGenerator x = KeyPairGenerator.getInstance("X25519", bc);
        KeyPair recipient = x.generateKeyPair();
        byte[][] sig = new byte[1][];
        Runnable sign = () -> {
            try {
                Signature s = Signature.getInstance("Ed25519", bc);
                s.initSign(signing.getPrivate());
                s.update(signedInfo);
                sig[0] = s.sign();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        sign.run();
        Runnable verify = () -> {
            try {
                Signature s = Signature.getInstance("Ed25519", bc);
                s.initVerify(signing.getPublic());
                s.update(signedInfo);
                if (!s.verify(sig[0])) {
                    throw new IllegalStateException("does not verify");
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        Runnable wrap = () -> agree(x.generateKeyPair().getPrivate(), recipient.getPublic(), bc);
        KeyPair ephemeral = x.generateKeyPair();
        Runnable unwrap = () -> agree(recipient.getPrivate(), ephemeral.getPublic(), bc);
        return new Costs(threadCpu(sign, 3000), threadCpu(verify, 3000), threadCpu(wrap, 3000), threadCpu(unwrap, 3000),
                handshakeCpu(tlsClient, tlsServer, 150));
    }

    private static void agree(PrivateKey mine, PublicKey theirs, Provider bc) {
        try {
            KeyAgreement a = KeyAgreement.getInstance("X25519", bc);
            a.init(mine);
            a.doPhase(theirs, true);
            a.generateSecret();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** CPU ms per run of {@code r} on this thread, after as many runs of warm-up. */
    private static double threadCpu(Runnable r, int k) {
        for (int i = 0; i < k; i++) {
            r.run();
        }
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long c0 = cpu.getCurrentThreadCpuTime();
        for (int i = 0; i < k; i++) {
            r.run();
        }
        return (cpu.getCurrentThreadCpuTime() - c0) / 1e6 / k;
    }

    /**
     * CPU ms per full handshake, both ends (a bare JDK server, as the local API's TLS is the JDK's; every session
     * invalidated): the client's and the server's threads only (no compiler or collector thread). Both ends present
     * gateway TLS certificates (ECDSA P-256): an investigator's Ed25519 certificate, as the local API sees, would need the
     * CLI's own key manager here.
     */
    private static double handshakeCpu(Credential client, Credential server, int k) throws Exception {
        SSLContext serverCtx = MessageBenchmark.bareServer(server);
        try (SSLServerSocket bare = (SSLServerSocket) serverCtx.getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress())) {
            bare.setNeedClientAuth(true);
            Thread acceptor = MessageBenchmark.acceptor(bare);
            SSLContext ctx = RawPeer.context(client);
            for (int i = 0; i < 2 * k; i++) {
                MessageBenchmark.handshake(ctx, bare.getLocalPort(), true);
            }
            java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
            long c0 = cpu.getCurrentThreadCpuTime() + cpu.getThreadCpuTime(acceptor.getId());
            for (int i = 0; i < k; i++) {
                MessageBenchmark.handshake(ctx, bare.getLocalPort(), true);
            }
            return (cpu.getCurrentThreadCpuTime() + cpu.getThreadCpuTime(acceptor.getId()) - c0) / 1e6 / k;
        }
    }

    /** Where a node's audit log stood: the sizes of its entries and checkpoints files. */
    record Mark(long entries, long checkpoints) {
        static Mark of(Path auditDir) throws IOException {
            return new Mark(size(auditDir.resolve(FileAuditLog.ENTRIES)), size(auditDir.resolve(FileAuditLog.CHECKPOINTS)));
        }

        private static long size(Path f) throws IOException {
            return Files.exists(f) ? Files.size(f) : 0;
        }
    }

    /** What one node's log shows since {@code from}: the operations above, as totals (not per message). */
    record Tally(long seals, long issued, long checkpoints, long submits, long receives, long receipts, long handshakes) {
        Tally plus(Tally o) {
            return new Tally(seals + o.seals, issued + o.issued, checkpoints + o.checkpoints, submits + o.submits, receives + o.receives,
                    receipts + o.receipts, handshakes + o.handshakes);
        }

        /**
         * Per message ({@code messages} submitted in the window), with the client's manifest signature. Handshakes as the
         * nodes audited them ({@code tls-handshake}: on the local API, and at the peer API, each counted once, by the side
         * that accepted it): a warm client keeps its connection, a CLI per message makes one.
         */
        Counts perMessage(int messages) {
            double m = messages;
            return new Counts((messages + seals + issued + checkpoints) / m, (submits + 2.0 * receives + receipts) / m, seals / m,
                    receives / m, handshakes / m);
        }
    }

    static Tally tally(Path auditDir, Mark from) throws IOException {
        long seals = 0;
        long issued = 0;
        long submits = 0;
        long receives = 0;
        long receipts = 0;
        long handshakes = 0;
        for (byte[] record : records(auditDir.resolve(FileAuditLog.ENTRIES), from.entries())) {
            JsonNode e = JSON.readTree(record);
            switch (e.path("type").asText()) {
                case "seal" -> seals++;
                case "evidence" -> issued += e.has("evidenceIssuer") ? 0 : 1;
                case "submit" -> submits++;
                case "receive" -> receives++;
                case "receipt" -> receipts++;
                case "tls-handshake" -> handshakes += e.path("reason").asText().startsWith("delivery") ? 0 : 1;
                default -> { }
            }
        }
        long checkpoints = records(auditDir.resolve(FileAuditLog.CHECKPOINTS), from.checkpoints()).size();
        return new Tally(seals, issued, checkpoints, submits, receives, receipts, handshakes);
    }

    /** The length-prefixed records of an audit file from {@code offset} (a record still being written is left out). */
    static java.util.List<byte[]> records(Path f, long offset) throws IOException {
        java.util.List<byte[]> out = new java.util.ArrayList<>();
        if (!Files.exists(f)) {
            return out;
        }
        byte[] all = Files.readAllBytes(f);
        ByteBuffer b = ByteBuffer.wrap(all);
        b.position((int) Math.min(offset, all.length));
        while (b.remaining() >= 4) {
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                break;
            }
            byte[] r = new byte[n];
            b.get(r);
            out.add(r);
        }
        return out;
    }

    /**
     * One line: the counts per message and the floor they set, beside the issue's floor; also without the handshake, as
     * the issue's floor is measured ({@link MessageBenchmark#cryptoFloorMillis} runs no handshake, its XML work included).
     */
    static String describe(Counts n, Costs c, double issueFloor) {
        return String.format("design floor (what the protocol now does per message, counted from the nodes' audit logs): %.2f ms ="
                + " %.2f Ed25519 signatures x %.3f + %.2f verifications x %.3f + %.2f X25519 wraps x %.3f + %.2f unwraps x %.3f"
                + " + %.2f full mTLS handshakes (JDK, both ends; as audited) x %.2f (ms each, measured here; %.2f ms without them);"
                + " the issue's floor (the target, measured with its XML work and without a handshake) %.2f ms",
                n.millis(c), n.signatures(), c.sign(), n.verifications(), c.verify(), n.wraps(), c.wrap(), n.unwraps(), c.unwrap(),
                n.handshakes(), c.handshake(), n.millis(c) - n.handshakes() * c.handshake(), issueFloor);
    }
}
