package org.liaison.gateway.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.Fingerprint;
import org.liaison.certs.Keystores;
import org.liaison.certs.Passwords;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.protocol.directory.FederationDirectory;

/**
 * A node's own keys as read from its keystores: the gateway TLS key, the envelope-signing key, the
 * encryption key in use and those it replaced. Immutable; the node replaces the whole set when the
 * keystore or password files change (a key rotation without restart), once the new set passed
 * {@link #check}: a peer accepts a certificate only if the directory lists it, so a node uses a new
 * key only after the directory announced it.
 */
public record NodeKeys(Credential tls, Credential signing, Credential encryption, List<Credential> previousEncryption,
        List<String> files) {

    /** Every private key this node may decrypt with, the current one first. */
    public List<PrivateKey> decryptionKeys() {
        List<PrivateKey> out = new ArrayList<>();
        out.add(encryption.decryptionKey());
        previousEncryption.forEach(c -> out.add(c.decryptionKey()));
        return List.copyOf(out);
    }

    /** Whether {@code other} holds the same certificates (by fingerprint) in the same roles. */
    boolean sameKeys(NodeKeys other) {
        return tls.fingerprint().equals(other.tls.fingerprint()) && signing.fingerprint().equals(other.signing.fingerprint())
                && encryption.fingerprint().equals(other.encryption.fingerprint())
                && encryption.kemCertificate().map(Fingerprint::of).equals(other.encryption.kemCertificate().map(Fingerprint::of))
                && previousEncryption.stream().map(Credential::fingerprint).toList()
                        .equals(other.previousEncryption.stream().map(Credential::fingerprint).toList());
    }

    /** The keystore and password files of {@code config}, in a fixed order (what a reload watches). */
    static List<Path> files(NodeConfig config, Function<String, Path> path) {
        List<Path> out = new ArrayList<>();
        for (NodeConfig.Keystore k : keystores(config)) {
            out.add(path.apply(k.keystore()));
            out.add(path.apply(k.passwordFile()));
        }
        return out;
    }

    private static List<NodeConfig.Keystore> keystores(NodeConfig config) {
        List<NodeConfig.Keystore> all = new ArrayList<>(List.of(config.tls(), config.signing(), config.encryption()));
        if (config.previousEncryption() != null) {
            all.addAll(config.previousEncryption());
        }
        return all;
    }

    /**
     * What identifies the current version of each of {@link #files}: its modification time and file
     * key (a keystore renamed over the old one is another file, even within the clock's granularity).
     * A missing file reads as "missing" (a reload then fails and says why).
     */
    static List<String> times(NodeConfig config, Function<String, Path> path) {
        List<String> out = new ArrayList<>();
        for (Path p : files(config, path)) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                out.add(a.lastModifiedTime() + " " + a.fileKey() + " " + a.size());
            } catch (IOException e) {
                out.add("missing");
            }
        }
        return List.copyOf(out);
    }

    /**
     * Reads every keystore {@code config} names. {@code current} (null at start) is the set in use: an
     * encryption key it held that the new set no longer lists stays in {@code previousEncryption}, so
     * that what was sealed to it still opens until the node restarts.
     */
    public static NodeKeys load(NodeConfig config, Function<String, Path> path, NodeKeys current) throws IOException, GeneralSecurityException {
        List<String> times = times(config, path);
        // Each keystore costs a key derivation (PBKDF2): the signing and encryption ones are read on another thread while
        // this one reads the TLS one. A failure is reported as before, the first in this order: tls, signing, encryption.
        var signingRead = loadAsync(config.signing(), path, "signing");
        var encryptionRead = loadAsync(config.encryption(), path, "encryption");
        Credential tls = load(config.tls(), path, "tls");
        Credential signing = await(signingRead);
        Credential encryption = await(encryptionRead);
        List<Credential> previous = new ArrayList<>();
        if (config.previousEncryption() != null) {
            for (int i = 0; i < config.previousEncryption().size(); i++) {
                previous.add(load(config.previousEncryption().get(i), path, "previousEncryption[" + i + "]"));
            }
        }
        if (current != null) {
            List<Credential> held = new ArrayList<>(current.previousEncryption());
            held.add(0, current.encryption());
            for (Credential c : held) {
                if (!c.fingerprint().equals(encryption.fingerprint())
                        && previous.stream().noneMatch(p -> p.fingerprint().equals(c.fingerprint()))) {
                    previous.add(c);
                }
            }
        }
        return new NodeKeys(tls, signing, encryption, List.copyOf(previous), times);
    }

    private static CompletableFuture<Credential> loadAsync(NodeConfig.Keystore k, Function<String, Path> path,
            String field) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return load(k, path, field);
            } catch (IOException | GeneralSecurityException e) {
                throw new CompletionException(e);
            }
        });
    }

    private static Credential await(CompletableFuture<Credential> read) throws IOException, GeneralSecurityException {
        try {
            return read.join();
        } catch (CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof GeneralSecurityException g) {
                throw g;
            }
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private static Credential load(NodeConfig.Keystore k, Function<String, Path> path, String field)
            throws IOException, GeneralSecurityException {
        try {
            return Keystores.load(path.apply(k.keystore()), Passwords.fromFile(path.apply(k.passwordFile())));
        } catch (IOException | GeneralSecurityException e) {
            throw new GeneralSecurityException(field + ": cannot open " + k.keystore() + " with " + k.passwordFile() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The directory must list this node's TLS, signing and encryption certificates for {@code me}
     * (peers refuse an unlisted one; senders encrypt to the listed ones).
     *
     * @throws IllegalStateException naming the certificate that is not listed
     */
    public void check(FederationDirectory directory, AuthorityId me) {
        FederationDirectory.Entry e = directory.authority(me).orElseThrow(() -> new IllegalStateException(
                "directory #" + directory.sequence() + " does not list " + me));
        if (!e.isGatewayCertificate(tls.certificate())) {
            throw new IllegalStateException(unlisted("TLS", tls, "gateway", directory, me));
        }
        if (!e.isSigningCertificate(signing.certificate())) {
            throw new IllegalStateException(unlisted("signing", signing, "signing", directory, me));
        }
        Fingerprint f = encryption.fingerprint();
        if (e.encryptionCertificates().stream().noneMatch(c -> Fingerprint.of(c).equals(f))) {
            throw new IllegalStateException(unlisted("encryption", encryption, "encryption", directory, me));
        }
        // Senders seal with the hybrid KEM exactly when the directory binds an ML-KEM-768 certificate to the one in use:
        // the keystore must hold the same halves, or what is sealed to this node would not open.
        Optional<X509Certificate> listedKem = e.kemCertificateFor(encryption.certificate());
        Optional<X509Certificate> heldKem = encryption.kemCertificate();
        if (heldKem.isPresent() && (listedKem.isEmpty() || !Fingerprint.of(listedKem.get()).equals(Fingerprint.of(heldKem.get())))) {
            throw new IllegalStateException("the encryption keystore holds an ML-KEM-768 certificate (SHA-256 "
                    + Fingerprint.of(heldKem.get()).hex() + ") that directory #" + directory.sequence() + " does not list for " + me
                    + " (publish a directory that lists it as KemCertificate first)");
        }
        if (heldKem.isEmpty() && listedKem.isPresent()) {
            throw new IllegalStateException("directory #" + directory.sequence() + " lists an ML-KEM-768 certificate (SHA-256 "
                    + Fingerprint.of(listedKem.get()).hex() + ") for " + me + "'s encryption certificate, but the encryption keystore"
                    + " holds no ML-KEM-768 key");
        }
    }

    private static String unlisted(String what, Credential c, String kind, FederationDirectory d, AuthorityId me) {
        return "the " + what + " certificate (SHA-256 " + c.fingerprint().hex() + ") is not a " + kind + " certificate directory #"
                + d.sequence() + " lists for " + me + " (publish a directory that lists it first)";
    }
}
