package org.liaison.gateway;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.liaison.certs.AuthorityId;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.store.LocalPostgres;
import org.liaison.protocol.directory.DirectoryEdits;
import org.liaison.protocol.directory.DirectorySigner;
import org.liaison.protocol.model.Directory;

/**
 * Several nodes of one authority on one PostgreSQL database, in a federation made by
 * init-federation: a node.yaml per node (node-1.yaml keeps the ports init-federation chose, the
 * others get free ones; all share the data folder and the audit log key), and the directory
 * re-signed listing every node as an endpoint of the authority.
 */
final class TestCluster {
    private TestCluster() {}

    /** The configuration files, node 1 first, and each node's local API port. */
    record Nodes(List<Path> configs, List<Integer> localPorts) {}

    static Nodes configure(FederationSetup.Result f, AuthorityId id, int count, LocalPostgres.Database db) throws Exception {
        Path folder = f.dir().resolve(id.value());
        Files.writeString(folder.resolve("postgres.password"), db.password() + "\n");
        NodeConfig first = f.nodes().get(id);
        String base = Files.readString(folder.resolve(FederationSetup.NODE_CONFIG), StandardCharsets.UTF_8);
        List<Path> configs = new ArrayList<>();
        List<Integer> locals = new ArrayList<>();
        Directory d = DirectoryEdits.read(Files.readAllBytes(f.dir().resolve(FederationSetup.DIRECTORY)));
        List<String> endpoints = d.getAuthority().stream().filter(a -> a.getId().equals(id.value())).findFirst().orElseThrow().getEndpoint();
        for (int n = 1; n <= count; n++) {
            int[] ports = n == 1 ? new int[] {first.peer().port(), first.local().port(), first.admin().port()}
                    : new int[] {freePort(), freePort(), freePort()};
            String yaml = base.replace("port: " + first.peer().port() + "\n", "port: " + ports[0] + "\n")
                    .replace("port: " + first.local().port() + "\n", "port: " + ports[1] + "\n")
                    .replace("port: " + first.admin().port() + "\n", "port: " + ports[2] + "\n")
                    + "store:\n  type: postgresql\n  url: " + db.url() + "\n  user: " + db.user() + "\n  passwordFile: postgres.password\n"
                    + "  pool: 4\nnodeId: " + id.value().toLowerCase(java.util.Locale.ROOT) + "-" + n + "\n";
            configs.add(Files.writeString(folder.resolve("node-" + n + ".yaml"), yaml));
            locals.add(ports[1]);
            if (n > 1) {
                endpoints.add("https://127.0.0.1:" + ports[0]);
            }
        }
        if (count > 1) {
            DirectoryEdits.nextEdition(d, Instant.now().truncatedTo(ChronoUnit.SECONDS));
            Files.write(f.dir().resolve(FederationSetup.DIRECTORY), DirectorySigner.sign(d, f.pki().directorySigning()));
        }
        return new Nodes(List.copyOf(configs), List.copyOf(locals));
    }

    /** A copy of a person's profile folder that reaches the local API on {@code localPort}. */
    static Path profileFor(Path profile, String suffix, int localPort) throws IOException {
        Path copy = profile.resolveSibling(profile.getFileName() + "-" + suffix);
        Files.createDirectories(copy);
        for (String file : List.of("credential.p12", "credential.password")) {
            Files.copy(profile.resolve(file), copy.resolve(file));
        }
        Files.writeString(copy.resolve("profile.yaml"), Files.readString(profile.resolve("profile.yaml"))
                .replaceAll("https://127\\.0\\.0\\.1:\\d+", "https://127.0.0.1:" + localPort));
        return copy;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
