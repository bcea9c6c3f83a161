package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import org.liaison.certs.Role;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.node.GatewayNode;

/**
 * Italy's and Albania's nodes started on loopback, each with an in-memory audit log, with their investigators' profiles
 * and a small request file: the set-up of tests that follow a request's life between two authorities.
 */
final class TwoNodes implements AutoCloseable {
    final TestNodes t;
    /** The investigators' profiles. */
    final Path it;
    final Path al;
    /** A request's text, in a file. */
    final Path file;
    final MemoryAuditLog itAudit = new MemoryAuditLog();
    final MemoryAuditLog alAudit = new MemoryAuditLog();
    final GatewayNode itNode;
    final GatewayNode alNode;

    private TwoNodes(Path dir) throws Exception {
        t = new TestNodes(dir.resolve("fed"));
        it = t.federation.profiles().get(IT).get(Role.INVESTIGATOR);
        al = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        file = Files.writeString(dir.resolve("request.txt"), "please send the records of account 4711");
        itNode = GatewayNode.start(t.config(IT), itAudit, TestNodes.FAST);
        try {
            alNode = GatewayNode.start(t.config(AL), alAudit, TestNodes.FAST);
        } catch (Exception | Error e) {
            itNode.close();
            throw e;
        }
    }

    /** Makes the federation in {@code dir/fed} and starts both nodes. */
    static TwoNodes start(Path dir) throws Exception {
        return new TwoNodes(dir);
    }

    /** Albania's node, then Italy's. */
    @Override
    public void close() {
        try {
            alNode.close();
        } finally {
            itNode.close();
        }
    }
}
