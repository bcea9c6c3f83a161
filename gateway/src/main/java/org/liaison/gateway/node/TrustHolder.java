package org.liaison.gateway.node;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Pem;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.tls.HybridTls;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.Trust;

/**
 * What the node trusts and what it proves itself with, each replaced whole when its files change: the
 * directory and CRLs ({@link #reloadTrust}), the node's keys and the TLS contexts made from them
 * ({@link #reloadKeys}). A refused directory or keystore leaves the current one in place, logged and
 * audited. Reloads run on one thread (the node's reloader); readers see one consistent version.
 */
final class TrustHolder {
    /** The node's logger: its trust and key messages keep the name operators filter on. */
    private static final Logger LOG = LogManager.getLogger(GatewayNode.class);

    /** The TLS contexts made from the keys: peer server, peer client, local API (classic and hybrid). */
    record Contexts(SslContext peerServer, SslContext peerClient, SslContext local, Supplier<SslContext> localHybrid) {}

    /** Makes the TLS contexts of a set of keys. */
    interface ContextMaker {
        Contexts make(NodeKeys keys) throws javax.net.ssl.SSLException;
    }

    private final NodeConfig config;
    private final Path configFile;
    /** A path of the configuration, resolved against the configuration file's folder. */
    private final Function<String, Path> path;
    private final AuthorityId me;
    private final AuditLog audit;
    private final Clock clock;
    private final X509Certificate operatorCa;
    private final DirectoryVerifier directoryVerifier;
    private final AtomicReference<Trust> trust = new AtomicReference<>();
    /** The node's keys, replaced whole when their files change (see {@link #reloadKeys}). */
    private final AtomicReference<NodeKeys> keys = new AtomicReference<>();
    private final AtomicReference<Contexts> contexts = new AtomicReference<>();
    private volatile List<FileTime> trustFilesSeen;
    private volatile List<String> keyFilesRefused;
    private SslProvider tlsProvider;
    private ContextMaker contextMaker;
    private Runnable keysChanged;

    /**
     * Loads the keys, verifies the directory (at {@code now}) and reads the CRLs; the keys must be the ones the
     * directory lists for {@code me}.
     */
    TrustHolder(NodeConfig config, Path configFile, AuthorityId me, AuditLog audit, Clock clock, Instant now) throws Exception {
        this.config = config;
        this.configFile = configFile;
        this.path = p -> NodeConfig.resolve(configFile, p);
        this.me = me;
        this.audit = audit;
        this.clock = clock;
        NodeKeys loadedKeys = NodeKeys.load(config, path, null);
        keys.set(loadedKeys);
        this.operatorCa = Pem.readCertificate(path.apply(config.directory().operatorCa()));
        this.directoryVerifier = new DirectoryVerifier(operatorCa, List.of(Pem.readCrl(path.apply(config.directory().operatorCrl()))));
        FederationDirectory directory = directoryVerifier.verify(Files.readAllBytes(path.apply(config.directory().file())), now);
        trust.set(new Trust(directory, readCrls()));
        trustFilesSeen = trustFileTimes();
        loadedKeys.check(directory, me);
    }

    /**
     * Makes the first TLS contexts: {@code maker} makes them again from each new set of keys, and
     * {@code keysChanged} runs once new keys are in use (connections made with the old ones retire).
     */
    void useTls(SslProvider provider, ContextMaker maker, Runnable keysChanged) throws javax.net.ssl.SSLException {
        this.tlsProvider = provider;
        this.contextMaker = maker;
        this.keysChanged = keysChanged;
        contexts.set(maker.make(keys.get()));
    }

    Trust trust() {
        return trust.get();
    }

    NodeKeys keys() {
        return keys.get();
    }

    Contexts contexts() {
        return contexts.get();
    }

    X509Certificate operatorCa() {
        return operatorCa;
    }

    SslProvider tlsProvider() {
        return tlsProvider;
    }

    /** Loads a newer directory or CRLs when their files changed; a refused directory leaves the current one in place. */
    void reloadTrust() {
        try {
            List<FileTime> times = trustFileTimes();
            if (times.equals(trustFilesSeen)) {
                return;
            }
            trustFilesSeen = times;
            Trust current = trust.get();
            FederationDirectory next = directoryVerifier.accept(current.directory(),
                    Files.readAllBytes(path.apply(config.directory().file())), clock.instant());
            trust.set(new Trust(next, readCrls()));
            if (next != current.directory()) {
                audit.record(AuditEvent.of(clock, "directory-change", me.value(), null, null, "ok",
                        "directory #" + current.directory().sequence() + " -> #" + next.sequence()));
                LOG.info("loaded directory #{}", next.sequence());
                keyFilesRefused = null; // keystores refused under the last directory are tried again under this one
                try {
                    HybridTls.requireProvider(next, me, tlsProvider);
                } catch (IllegalStateException jdk) {
                    LOG.error("peers that announce hybrid TLS will refuse this node: {}", jdk.getMessage());
                }
                try {
                    keys.get().check(next, me);
                } catch (IllegalStateException unlisted) {
                    audit.record(AuditEvent.of(clock, "keys-unlisted", me.value(), null, null, "refused", unlisted.getMessage()));
                    LOG.error("peers will refuse this node: {}", unlisted.getMessage());
                }
            } else {
                audit.record(AuditEvent.of(clock, "crl-reload", me.value(), null, null, "ok", null));
            }
        } catch (ProtocolException e) {
            audit.record(AuditEvent.of(clock, "directory-refused", me.value(), null, null, "refused", e.code().code() + " " + e.getMessage()));
            LOG.error("refused the new directory, keeping #{}: {}", trust.get().directory().sequence(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot reload the directory or CRLs: {}", e.toString());
        }
    }

    /**
     * Loads the node's keystores again when their files changed, and uses the new keys once the
     * current directory lists their certificates; otherwise (a keystore half-written, a wrong
     * password, a certificate not yet published) the keys in use stay and the refusal is logged
     * and audited. Connections already open finish with the key they were made with.
     */
    void reloadKeys() {
        NodeKeys current = keys.get();
        List<String> times = NodeKeys.times(config, path);
        if (times.equals(current.files()) || times.equals(keyFilesRefused)) {
            return;
        }
        NodeKeys next;
        Contexts made;
        try {
            next = NodeKeys.load(config, path, current);
            next.check(trust.get().directory(), me);
            made = contextMaker.make(next);
        } catch (Exception e) {
            keyFilesRefused = times; // tried once per change of the files
            audit.record(AuditEvent.of(clock, "keys-refused", me.value(), null, null, "refused", e.getMessage()));
            LOG.error("refused the changed keystores, keeping the keys in use: {}", e.getMessage());
            return;
        }
        keyFilesRefused = null;
        if (next.sameKeys(current)) {
            keys.set(next); // the files were rewritten with the keys in use: nothing changes
            return;
        }
        // Logged (durably) before the keys are used: no message is signed or opened with a key the log does not name.
        audit.record(AuditEvent.of(clock, "keys-change", me.value(), null, null, "ok", null)
                .with("tlsCertificateSha256", next.tls().fingerprint().hex())
                .with("signingCertificateSha256", next.signing().fingerprint().hex())
                .with("encryptionCertificateSha256", next.encryption().fingerprint().hex()));
        contexts.set(made);
        keys.set(next);
        keysChanged.run();
        LOG.info("now using TLS certificate SHA-256 {}, signing {}, encryption {} ({} previous encryption keys held)",
                next.tls().fingerprint(), next.signing().fingerprint(), next.encryption().fingerprint(),
                next.previousEncryption().size());
        if ((config.previousEncryption() == null ? 0 : config.previousEncryption().size()) < next.previousEncryption().size()) {
            LOG.warn("an encryption key this node replaced is held in memory only: add its keystore under previousEncryption in {}"
                    + " so that messages sealed to it still open after a restart", configFile);
        }
    }

    private List<X509CRL> readCrls() throws IOException {
        List<X509CRL> crls = new ArrayList<>();
        for (String c : config.crls()) {
            crls.add(Pem.readCrl(path.apply(c)));
        }
        return crls;
    }

    private List<FileTime> trustFileTimes() throws IOException {
        List<FileTime> times = new ArrayList<>();
        times.add(Files.getLastModifiedTime(path.apply(config.directory().file())));
        for (String c : config.crls()) {
            times.add(Files.getLastModifiedTime(path.apply(c)));
        }
        return times;
    }
}
