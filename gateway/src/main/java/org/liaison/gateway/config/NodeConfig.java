package org.liaison.gateway.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.SecureFiles;
import org.liaison.protocol.envelope.Envelopes;

/**
 * A node's configuration: one YAML file, validated when loaded, with errors that name the field
 * and what was expected. Relative paths are relative to the file's folder. Secrets are never in
 * the file: keystore passwords are read from the files it names.
 *
 * <p>{@code previousEncryption} (optional) lists the encryption keys this node used before the
 * current one: messages sealed to them (in flight during a rotation, or stored unread) still open.
 * The node reloads its keystores when their files change (see the runbook in deploy/README.md).
 *
 * <p>{@code auditKey} (optional) is the file of the audit log's signing key, kept with the other
 * keys (its verifier key is listed in the directory); without it the key is {@code dataDir/audit/log.key}.
 *
 * <p>{@code store} (optional) chooses the message store (see {@link Store}); {@code nodeId}
 * (optional, default: the host name) names this process in logs, metrics and delivery leases when
 * several nodes serve one authority.
 *
 * <p>{@code retention} (optional) sets how long messages are kept, per service id or {@code default}, as
 * ISO-8601 periods (P5Y, P90D, PT12H); services not named keep the defaults listed in the README.
 *
 * <p>{@code caseAccess} (optional): {@code open} (the default: received messages of a case nobody is
 * assigned to are open to every investigator of the authority) or {@code assigned} (only to the
 * people an operator assigned to the case; see {@code CaseAccess}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeConfig(String authority, String dataDir, DirectorySource directory, List<String> crls, Listener peer,
        Listener local, Listener admin, Keystore tls, Keystore signing, Keystore encryption, String tlsProvider,
        List<Keystore> previousEncryption, String auditKey, Store store, String nodeId, java.util.Map<String, String> retention,
        String caseAccess, Timestamping timestamping) {

    /**
     * An RFC 3161 time-stamping authority for the evidence this node issues (see {@code TrustedTime}): its
     * {@code url}, the PEM file of its {@code certificates} (the TSA certificate first, its CA chain to the
     * root after), how often the audit log's checkpoint is stamped ({@code every} seconds, default 10) and
     * how long the node may go without a token before it refuses new submissions ({@code maxWithout}
     * seconds, default 14400).
     */
    public record Timestamping(String url, String certificates, Integer every, Integer maxWithout) {}

    /** Where the signed directory comes from, and the operator CA it must be signed under. */
    public record DirectorySource(String file, String operatorCa, String operatorCrl) {}

    public record Listener(String host, int port) {}

    public record Keystore(String keystore, String passwordFile) {}

    /**
     * Where messages are stored: {@code sqlite} (the default: dataDir/messages.db, one node) or
     * {@code postgresql} (several nodes of one authority on one database: {@code url} is a
     * jdbc:postgresql:// URL, the password is read from {@code passwordFile}, {@code pool} connections).
     */
    public record Store(String type, String url, String user, String passwordFile, Integer pool) {
        public boolean isPostgresql() {
            return "postgresql".equals(type);
        }

        public int poolSize() {
            return pool == null ? 8 : pool;
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** Checks every field; the first problem found is named with the field and the expectation. */
    public NodeConfig validate() {
        require(authority, "authority");
        try {
            AuthorityId.of(authority);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("authority: " + authority + " (expected: an authority id such as IT-DNA)");
        }
        require(dataDir, "dataDir");
        require(directory, "directory");
        require(directory.file(), "directory.file");
        require(directory.operatorCa(), "directory.operatorCa");
        require(directory.operatorCrl(), "directory.operatorCrl");
        if (crls == null || crls.isEmpty()) {
            throw new IllegalArgumentException("crls: missing (expected: the CRL file of every national CA in the federation)");
        }
        listener(peer, "peer");
        listener(local, "local");
        listener(admin, "admin");
        if (peer.port() != 0 && (peer.port() == local.port() || peer.port() == admin.port() || local.port() == admin.port())) {
            throw new IllegalArgumentException("peer.port, local.port, admin.port: " + peer.port() + ", " + local.port() + ", "
                    + admin.port() + " (expected: three different ports)");
        }
        keystore(tls, "tls");
        keystore(signing, "signing");
        keystore(encryption, "encryption");
        if (previousEncryption != null) {
            for (int i = 0; i < previousEncryption.size(); i++) {
                keystore(previousEncryption.get(i), "previousEncryption[" + i + "]");
            }
        }
        if (store != null) {
            if (!"sqlite".equals(store.type()) && !store.isPostgresql()) {
                throw new IllegalArgumentException("store.type: " + store.type() + " (expected: sqlite or postgresql)");
            }
            if (store.isPostgresql()) {
                require(store.url(), "store.url");
                if (!store.url().startsWith("jdbc:postgresql://")) {
                    throw new IllegalArgumentException("store.url: " + store.url() + " (expected: jdbc:postgresql://HOST:PORT/DATABASE)");
                }
                require(store.user(), "store.user");
                require(store.passwordFile(), "store.passwordFile");
                if (auditKey == null) {
                    throw new IllegalArgumentException("auditKey: missing (expected with store type postgresql: the audit log's key file,"
                            + " the same on every node of the authority)");
                }
                if (store.pool() != null && (store.pool() < 1 || store.pool() > 200)) {
                    throw new IllegalArgumentException("store.pool: " + store.pool() + " (expected: 1 to 200 connections)");
                }
            } else if (store.url() != null || store.user() != null || store.passwordFile() != null || store.pool() != null) {
                throw new IllegalArgumentException("store: url, user, passwordFile and pool are for type postgresql (type is sqlite)");
            }
        }
        if (nodeId != null && !nodeId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("nodeId: " + nodeId + " (expected: letters, digits, '.', '_' or '-', up to 64)");
        }
        if (caseAccess != null && !caseAccess.equals("open") && !caseAccess.equals("assigned")) {
            throw new IllegalArgumentException("caseAccess: " + caseAccess + " (expected: open or assigned)");
        }
        if (timestamping != null) {
            require(timestamping.url(), "timestamping.url");
            require(timestamping.certificates(), "timestamping.certificates");
            if (!timestamping.url().startsWith("http://") && !timestamping.url().startsWith("https://")) {
                throw new IllegalArgumentException("timestamping.url: " + timestamping.url() + " (expected: an http:// or https:// URL)");
            }
            if (timestamping.every() != null && (timestamping.every() < 1 || timestamping.every() > 3600)) {
                throw new IllegalArgumentException("timestamping.every: " + timestamping.every() + " (expected: 1 to 3600 seconds)");
            }
            if (timestamping.maxWithout() != null && timestamping.maxWithout() < 60) {
                throw new IllegalArgumentException("timestamping.maxWithout: " + timestamping.maxWithout() + " (expected: at least 60 seconds)");
            }
        }
        if (tlsProvider != null && !tlsProvider.equals("jdk") && !tlsProvider.equals("openssl")) {
            throw new IllegalArgumentException("tlsProvider: " + tlsProvider + " (expected: jdk or openssl)");
        }
        return this;
    }

    private static void require(Object value, String field) {
        if (value == null || (value instanceof String && ((String) value).isBlank())) {
            throw new IllegalArgumentException(field + ": missing");
        }
    }

    private static void listener(Listener l, String field) {
        require(l, field);
        require(l.host(), field + ".host");
        if (l.port() < 0 || l.port() > 65535) {
            throw new IllegalArgumentException(field + ".port: " + l.port() + " (expected: 0 to 65535)");
        }
    }

    private static void keystore(Keystore k, String field) {
        require(k, field);
        require(k.keystore(), field + ".keystore");
        require(k.passwordFile(), field + ".passwordFile");
    }

    /** A configuration as read once: the validated values and the SHA-256 of exactly the bytes they were parsed from. */
    public record Loaded(NodeConfig config, String sha256) {}

    /** Loads and validates a configuration file. */
    public static NodeConfig load(Path file) throws IOException {
        return read(file).config();
    }

    /**
     * Reads a configuration file once: parses and validates those bytes and digests the same bytes
     * (a file changed between two reads can not be audited as something it was not).
     */
    public static Loaded read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("configuration file " + file + " does not exist");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        try {
            return new Loaded(YAML.readValue(text, NodeConfig.class).validate(), Envelopes.sha256(bytes));
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(file + ": unknown field '" + e.getPropertyName() + "'");
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    /** Writes this configuration (validated) with a comment header. */
    public void write(Path file, String comment) throws IOException {
        validate();
        StringBuilder sb = new StringBuilder();
        for (String line : comment.split("\n")) {
            sb.append("# ").append(line).append('\n');
        }
        sb.append(YAML.writeValueAsString(this));
        SecureFiles.writeAtomically(file, sb.toString().getBytes(StandardCharsets.UTF_8), false);
    }

    /** This process's name among the authority's nodes: {@code nodeId}, or the host name. */
    public String effectiveNodeId() {
        if (nodeId != null) {
            return nodeId;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "node";
        }
    }

    /** A path from this file, resolved against the folder of the configuration file. */
    public static Path resolve(Path configFile, String path) {
        Path p = Path.of(path);
        return p.isAbsolute() ? p : configFile.toAbsolutePath().getParent().resolve(p).normalize();
    }
}
