package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.protocol.ErrorCode;

/**
 * Issue 9, defect 5, over real sockets: an announced envelope length reserves nothing, and what
 * clients really send is held within a budget, refused beyond it.
 */
class EnvelopeMemoryTest {
    @TempDir
    Path dir;

    static final int MAX = TestNodes.FAST.maxEnvelopeBytes();

    /** Opens a connection as Italy's gateway and starts a message: headers, the length prefix, then {@code body} bytes of it. */
    static SSLSocket start(SSLContext ctx, GatewayNode node, int announced, int body) throws Exception {
        SSLSocket s = RawPeer.connect(ctx, node.peerPort(), "TLSv1.3");
        OutputStream out = s.getOutputStream();
        out.write(("POST " + ReceiveHandler.PATH + " HTTP/1.1\r\nHost: peer\r\nContent-Length: " + (1L << 30) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(ByteBuffer.allocate(4).putInt(announced).array());
        out.write(new byte[body]);
        out.flush();
        return s;
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void fourBytesAnnouncingFourMebibytesHoldAlmostNothing() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode al = GatewayNode.start(t.config(AL), new MemoryAuditLog(), TestNodes.FAST)) {
            SSLContext ctx = RawPeer.context(t.federation.pki().authority(IT).gatewayTls());
            long before = heapAfterGc();
            List<SSLSocket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    open.add(start(ctx, al, MAX, 100));
                }
                TestNodes.await("the server to read the heads", Duration.ofSeconds(20), () -> al.buffers().inUse() >= 40L * 100);
                long grown = heapAfterGc() - before;
                // 40 announced envelopes of 4 MiB would be 160 MiB if the announcement were believed.
                assertThat(al.buffers().inUse()).isLessThanOrEqualTo(40L * 8 * 1024);
                assertThat(grown).as("heap growth in bytes").isLessThan(64L << 20);
            } finally {
                for (SSLSocket s : open) {
                    s.close();
                }
            }
            TestNodes.await("released when the connections close", Duration.ofSeconds(10), () -> al.buffers().inUse() == 0);
        }
    }

    @Test
    void beyondTheNodesBudgetAHeadIsRefusedAsRetryable() throws Exception {
        TestNodes t = new TestNodes(dir);
        try (GatewayNode al = GatewayNode.start(t.config(AL), new MemoryAuditLog(), TestNodes.FAST)) {
            SSLContext ctx = RawPeer.context(t.federation.pki().authority(IT).gatewayTls());
            List<SSLSocket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 16; i++) { // 16 envelopes of the largest size, all but complete: the node's whole budget
                    open.add(start(ctx, al, MAX, MAX - 1));
                }
                TestNodes.await("the budget to fill", Duration.ofSeconds(30), () -> al.buffers().inUse() == 16L * MAX);
                try (SSLSocket one = start(ctx, al, MAX, 16 * 1024)) {
                    RawPeer.Response r = RawPeer.read(one.getInputStream());
                    assertThat(r.status()).isEqualTo(503);
                    assertThat(r.body()).contains(ErrorCode.UNAVAILABLE.code()).contains("retry");
                }
            } finally {
                for (SSLSocket s : open) {
                    s.close();
                }
            }
            TestNodes.await("released when the connections close", Duration.ofSeconds(10), () -> al.buffers().inUse() == 0);
            // And the node works as before.
            try (SSLSocket s = RawPeer.connect(al.peerPort(), t.federation.pki().authority(IT).gatewayTls(), "TLSv1.3")) {
                assertThat(RawPeer.post(s, "", RawPeer.message(al.trust().directory(), t.investigator(IT), IT, List.of(AL),
                        t.federation.pki().authority(IT).envelopeSigning())).status()).isEqualTo(200);
            }
        }
    }
}
