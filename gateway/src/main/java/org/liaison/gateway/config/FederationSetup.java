package org.liaison.gateway.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.Year;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.CaStore;
import org.liaison.certs.FederationPki;
import org.liaison.certs.Role;
import org.liaison.certs.SecureFiles;
import org.liaison.certs.Suite;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.audit.LogOrigin;
import org.liaison.gateway.witness.WitnessKeys;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.DirectoryDrafts;
import org.liaison.protocol.directory.DirectorySigner;

/**
 * {@code liaison certs init-federation}: a complete, working federation in one folder — the PKI
 * ({@link FederationPki}), a signed directory with a JIT of all authorities, one node
 * configuration per authority on free loopback ports, and a profile folder per person.
 */
public final class FederationSetup {
    public static final String DIRECTORY = "directory.xml";
    public static final String NODE_CONFIG = "node.yaml";
    /** The audit log's signing key, beside node.yaml. */
    public static final String AUDIT_KEY = "audit-log.key";

    /** The name an authority's audit log signs its checkpoints under (see {@link LogOrigin}). */
    public static String auditLogName(AuthorityId id) {
        return LogOrigin.of(id);
    }

    private FederationSetup() {}

    /** What was made, for the command to report. */
    public record Result(Path dir, FederationPki pki, String jitId, Map<AuthorityId, NodeConfig> nodes,
            Map<AuthorityId, Map<Role, Path>> profiles, long directorySequence) {}

    public static Result create(Path dir, List<AuthorityId> ids, Suite suite, Instant now, Duration validity)
            throws IOException, GeneralSecurityException, ProtocolException {
        return create(dir, ids, suite, now, validity, false);
    }

    /** Where the nodes run. */
    public static final int CONTAINER_PEER_PORT = 8443;
    public static final int CONTAINER_LOCAL_PORT = 9443;
    public static final int CONTAINER_ADMIN_PORT = 9102;
    public static final String CONTAINER_DATA = "/var/lib/liaison";

    /**
     * As above; with {@code containers}, each node runs in its own container (or host) named after its
     * authority in lower case ({@code it-dna}), listens on all interfaces on the fixed ports 8443 (peer),
     * 9443 (local) and 9102 (admin), and keeps its data in /var/lib/liaison; the people's profiles
     * reach the local API of authority number i (from 0) on 127.0.0.1:9443+10i, where deploy/compose
     * publishes it.
     */
    public static Result create(Path dir, List<AuthorityId> ids, Suite suite, Instant now, Duration validity, boolean containers)
            throws IOException, GeneralSecurityException, ProtocolException {
        if (Files.exists(dir) && Files.list(dir).findAny().isPresent()) {
            throw new IOException(dir + " is not empty; choose a new folder for the federation");
        }
        FederationPki pki = FederationPki.create(dir, ids, suite, now, validity);
        Map<AuthorityId, int[]> ports = containers ? new LinkedHashMap<>() : freePorts(ids);
        if (containers) {
            ids.forEach(id -> ports.put(id, new int[] {CONTAINER_PEER_PORT, CONTAINER_LOCAL_PORT, CONTAINER_ADMIN_PORT}));
        }
        Map<AuthorityId, String> endpoints = new LinkedHashMap<>();
        ports.forEach((id, p) -> endpoints.put(id, "https://" + (containers ? host(id) : "127.0.0.1") + ":" + p[0]));

        String year = Integer.toString(Year.from(now.atZone(ZoneOffset.UTC)).getValue());
        String jitId = "JIT-" + String.join("-", ids.stream().map(a -> a.country()).toList()) + "-" + year;
        List<DirectoryDrafts.JitDraft> jits = ids.size() < 2 ? List.of() : List.of(new DirectoryDrafts.JitDraft(jitId,
                "Joint investigation team " + String.join(", ", ids.stream().map(AuthorityId::value).toList()), ids.get(0),
                now.minus(Duration.ofDays(1)), now.plus(validity), "19", "Agreement on the joint investigation team"));
        // Each node's audit log key, made now so that the directory lists its verifier key from the first edition.
        Map<AuthorityId, String> auditKeys = new LinkedHashMap<>();
        for (AuthorityId id : ids) {
            auditKeys.put(id, FileAuditLog.createKey(dir.resolve(id.value()).resolve(AUDIT_KEY),
                    auditLogName(id)));
        }
        // Each node's witness key: every authority's log is witnessed by all the others, a majority of them cosigning.
        Map<AuthorityId, String> witnessKeys = new LinkedHashMap<>();
        for (AuthorityId id : ids) {
            witnessKeys.put(id, WitnessKeys.create(dir.resolve(id.value())
                    .resolve(WitnessKeys.FILE), id));
        }
        byte[] directory = DirectorySigner.sign(DirectoryDrafts.draft(pki, "Liaison federation", endpoints, auditKeys, witnessKeys, 1, now,
                now.plus(Duration.ofDays(30)), jits), pki.directorySigning());
        SecureFiles.writeAtomically(dir.resolve(DIRECTORY), directory, false);

        List<String> crls = new ArrayList<>();
        for (AuthorityId id : ids) {
            crls.add("../" + id.value() + "/ca/" + CaStore.CRL);
        }
        Map<AuthorityId, NodeConfig> nodes = new LinkedHashMap<>();
        Map<AuthorityId, Map<Role, Path>> profiles = new LinkedHashMap<>();
        for (AuthorityId id : ids) {
            int[] p = ports.get(id);
            Path a = dir.resolve(id.value());
            String listen = containers ? "0.0.0.0" : "127.0.0.1";
            NodeConfig node = new NodeConfig(id.value(), containers ? CONTAINER_DATA : "data",
                    new NodeConfig.DirectorySource("../" + DIRECTORY, "../operator/ca/" + CaStore.CERTIFICATE,
                            "../operator/ca/" + CaStore.CRL),
                    crls, new NodeConfig.Listener(listen, p[0]), new NodeConfig.Listener(listen, p[1]),
                    new NodeConfig.Listener(listen, p[2]), new NodeConfig.Keystore("gateway-tls.p12", "gateway-tls.password"),
                    new NodeConfig.Keystore("envelope-signing.p12", "envelope-signing.password"),
                    new NodeConfig.Keystore("encryption.p12", "encryption.password"), null, null, AUDIT_KEY, null, null, null, null, null);
            node.write(a.resolve(NODE_CONFIG), "Liaison node of " + id + ". Run it with: liaison serve --config " + a.resolve(NODE_CONFIG)
                    + "\nPeer API on port " + p[0] + ", local API on " + p[1] + ", admin (health, metrics) on " + p[2] + "."
                    + (containers ? "\nIn a container named " + host(id) + " (deploy/compose)." : ""));
            int published = containers ? CONTAINER_LOCAL_PORT + 10 * ids.indexOf(id) : p[1];
            nodes.put(id, node);
            Map<Role, Path> people = new LinkedHashMap<>();
            for (Role role : List.of(Role.INVESTIGATOR, Role.AUDITOR, Role.OPERATOR)) {
                Path u = a.resolve("users").resolve(role.id());
                new UserProfile(id.value(), role.id(), "https://127.0.0.1:" + published, "credential.p12", "credential.password",
                        "../../ca/" + CaStore.CERTIFICATE, "../../..").write(u);
                people.put(role, u);
            }
            profiles.put(id, people);
        }
        return new Result(dir, pki, jits.isEmpty() ? null : jitId, nodes, profiles, 1);
    }

    /** The container or host name of an authority's node: its id in lower case. */
    public static String host(AuthorityId id) {
        return id.value().toLowerCase(java.util.Locale.ROOT);
    }

    /** Three free loopback ports per authority (peer, local, admin), all different. */
    private static Map<AuthorityId, int[]> freePorts(List<AuthorityId> ids) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        Map<AuthorityId, int[]> out = new LinkedHashMap<>();
        try {
            for (AuthorityId id : ids) {
                int[] p = new int[3];
                for (int i = 0; i < 3; i++) {
                    ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                    held.add(s);
                    p[i] = s.getLocalPort();
                }
                out.put(id, p);
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
        return out;
    }
}
