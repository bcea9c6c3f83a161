package org.liaison.gateway;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.FederationPki;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;

/** The fixture of the tests that try Albania's node from outside: a federation, Albania's node running, its audit events. */
abstract class AlbaniaNodeTest {
    @TempDir
    Path dir;

    TestNodes t;
    MemoryAuditLog audit;
    GatewayNode al;

    @BeforeEach
    void startAlbania() throws Exception {
        t = new TestNodes(dir);
        audit = new MemoryAuditLog();
        al = GatewayNode.start(t.config(TestNodes.AL), audit, TestNodes.FAST);
    }

    @AfterEach
    void stopAlbania() {
        al.close();
    }

    /**
     * Waits (a few seconds at most) for an audit entry: refusals and authentication failures are
     * appended from workers after the answer went out, so the test may read the log first.
     */
    boolean eventually(java.util.function.Predicate<java.util.List<AuditEvent>> condition)
            throws InterruptedException {
        long end = System.nanoTime() + java.time.Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < end) {
            if (condition.test(audit.events())) {
                return true;
            }
            Thread.sleep(20);
        }
        return condition.test(audit.events());
    }

    FederationPki.Authority auth(AuthorityId id) {
        return t.federation.pki().authority(id);
    }
}
