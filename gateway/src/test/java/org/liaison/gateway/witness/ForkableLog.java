package org.liaison.gateway.witness;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.protocol.tlog.AddCheckpoint;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.MerkleTree;
import org.liaison.protocol.tlog.SignedNote;

/** A log signed with an authority's real audit log key, whose history a test can fork (the misbehaving node of the tests). */
final class ForkableLog {
    final String origin;
    final SignedNote.Signer signer;
    final MerkleTree tree = new MerkleTree();
    private final String tag;

    /** Signs with the key in {@code keyFile} (seed ‖ public key, as audit-log.key); entries are tagged so that two histories differ. */
    ForkableLog(AuthorityId id, Path keyFile, String tag) throws Exception {
        this.origin = FederationSetup.auditLogName(id);
        byte[] k = Files.readAllBytes(keyFile);
        this.signer = new SignedNote.Signer(origin, Arrays.copyOfRange(k, 0, 32), Arrays.copyOfRange(k, 32, 64));
        this.tag = tag;
    }

    ForkableLog grow(int n) {
        for (int i = 0; i < n; i++) {
            tree.append(Merkle.leafHash((tag + " entry " + tree.size()).getBytes(StandardCharsets.UTF_8)));
        }
        return this;
    }

    String note() throws Exception {
        return SignedNote.sign(new Checkpoint(origin, tree.size(), tree.root(tree.size())).text(), signer);
    }

    byte[] request(long old) throws Exception {
        List<byte[]> proof = old == 0 || old == tree.size() ? List.of() : tree.consistencyProof(old, tree.size());
        return new AddCheckpoint(old, proof, note()).encode();
    }
}
