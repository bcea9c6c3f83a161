package org.liaison.gateway.witness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.protocol.tlog.Cosignature;

/**
 * A node's witness key: the Ed25519 key it cosigns other authorities' checkpoints with, kept as
 * {@code witness.key} beside node.yaml (made with the federation) or, failing that, made on first
 * start in {@code dataDir/witness/witness.key}. The file holds seed ‖ public key, owner-only, as the
 * audit log key; the directory lists its vkey ({@code liaison-witness/ID+keyid+key}).
 */
public final class WitnessKeys {
    /** The key file's name beside node.yaml. */
    public static final String FILE = "witness.key";

    private WitnessKeys() {}

    /** The name a node's witness key cosigns under. */
    public static String name(AuthorityId id) {
        return "liaison-witness/" + id.value();
    }

    /** Makes a new witness key in {@code keyFile} (owner-only, never overwritten); returns its vkey. */
    public static String create(Path keyFile, AuthorityId id) throws IOException {
        byte[] seed = new byte[32];
        new java.security.SecureRandom().nextBytes(seed);
        Cosignature.Cosigner c = Cosignature.Cosigner.of(name(id), seed);
        byte[] both = Arrays.copyOf(seed, 64);
        System.arraycopy(c.key().publicKey(), 0, both, 32, 32);
        try {
            Files.createDirectories(keyFile.toAbsolutePath().getParent());
            SecureFiles.writeNew(keyFile, both, true);
        } finally {
            Arrays.fill(both, (byte) 0);
            Arrays.fill(seed, (byte) 0);
        }
        return c.key().vkey();
    }

    /** Loads the witness key in {@code keyFile}; a file that is not one is refused (never replaced). */
    public static Cosignature.Cosigner load(Path keyFile, AuthorityId id) throws IOException {
        byte[] k = Files.readAllBytes(keyFile);
        try {
            if (k.length != 64) {
                throw new IOException("the witness key " + keyFile + " is not a witness key (" + k.length
                        + " bytes, expected 64). Nothing was changed: restore it from the backup of the node's keys");
            }
            Cosignature.Cosigner c = Cosignature.Cosigner.of(name(id), Arrays.copyOfRange(k, 0, 32));
            if (!Arrays.equals(c.key().publicKey(), Arrays.copyOfRange(k, 32, 64))) {
                throw new IOException("the witness key " + keyFile + " is damaged (its public key is not its seed's)."
                        + " Nothing was changed: restore it from the backup of the node's keys");
            }
            return c;
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** The node's key: {@code witness.key} beside node.yaml if present, else {@code dataDir/witness/witness.key} (made if absent). */
    public static Cosignature.Cosigner forNode(Path configDir, Path dataDir, AuthorityId id) throws IOException {
        Path beside = configDir.resolve(FILE);
        if (Files.exists(beside)) {
            return load(beside, id);
        }
        Path own = dataDir.resolve("witness").resolve(FILE);
        if (!Files.exists(own)) {
            create(own, id);
        }
        return load(own, id);
    }
}
