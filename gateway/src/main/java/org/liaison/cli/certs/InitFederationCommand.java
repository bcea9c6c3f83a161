package org.liaison.cli.certs;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.cli.Json;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "init-federation", mixinStandardHelpOptions = true,
        description = {"Create a complete working federation in a new folder, for trying Liaison out and for tests.",
            "Makes the operator CA and a signed directory (with a JIT of all authorities), and for each authority its",
            "national CA, gateway TLS / signing / encryption credentials, CRLs, a node configuration on free loopback",
            "ports, and one investigator, one auditor and one operator with a profile folder each. Passwords are random, in files."},
        footer = {"", "Example:",
            "  liaison certs init-federation --out federation --authorities IT-DNA,AL-PP,US-OIA",
            "  liaison certs init-federation --containers --out deploy/compose/federation --authorities IT-DNA,AL-PP,US-OIA",
            "  liaison directory show federation/directory.xml --federation federation"})
public final class InitFederationCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New (or empty) folder for the federation.")
    Path out;

    @Option(names = "--authorities", required = true, split = ",", paramLabel = "ID,ID,...",
            description = "Authority ids: country code, hyphen, short name (e.g. IT-DNA,AL-PP,US-OIA).")
    List<String> authorities;

    @Option(names = "--suite", defaultValue = "modern", paramLabel = "modern|rsa|pq-hybrid",
            description = "Crypto suite (default: ${DEFAULT-VALUE}; pq-hybrid adds ML-KEM-768 to encryption).")
    String suite;

    @Option(names = "--days", defaultValue = "365", description = "Validity of the certificates in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--containers", description = {"Lay the nodes out for containers (deploy/compose): each node named after its",
        "authority in lower case (it-dna), on all interfaces, ports 8443 peer, 9443 local, 9102 admin, data in /var/lib/liaison;",
        "profiles reach authority number i (from 0) on 127.0.0.1:9443+10i. Default: free loopback ports, data beside node.yaml."})
    boolean containers;

    @Option(names = "--json", description = "Print what was made as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<AuthorityId> ids = new ArrayList<>();
        for (String a : authorities) {
            ids.add(AuthorityId.of(a.trim()));
        }
        if (days <= 0) {
            throw new IllegalArgumentException("--days: " + days + " (expected: > 0)");
        }
        FederationSetup.Result r = FederationSetup.create(out, ids, Suite.fromId(suite),
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Duration.ofDays(days), containers);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("folder", out.toString());
        result.put("suite", suite);
        result.put("directory", out.resolve(FederationSetup.DIRECTORY).toString());
        result.put("jit", r.jitId());
        List<Map<String, Object>> list = new ArrayList<>();
        for (AuthorityId id : ids) {
            NodeConfig n = r.nodes().get(id);
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("authority", id.value());
            a.put("nodeConfig", out.resolve(id.value()).resolve(FederationSetup.NODE_CONFIG).toString());
            a.put("peerPort", n.peer().port());
            a.put("localPort", n.local().port());
            a.put("adminPort", n.admin().port());
            a.put("investigatorProfile", r.profiles().get(id).get(Role.INVESTIGATOR).toString());
            a.put("auditorProfile", r.profiles().get(id).get(Role.AUDITOR).toString());
            a.put("operatorProfile", r.profiles().get(id).get(Role.OPERATOR).toString());
            list.add(a);
        }
        result.put("authorities", list);
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            o.println(Json.write(result));
            return 0;
        }
        o.println("Created a federation of " + ids.size() + " authorities in " + out + " (" + suite + " suite)");
        o.println("  operator CA and directory signer   " + out.resolve("operator"));
        o.println("  signed directory #1                " + out.resolve(FederationSetup.DIRECTORY)
                + (r.jitId() == null ? "" : "  (JIT " + r.jitId() + ")"));
        for (Map<String, Object> a : list) {
            o.printf("  %-7s node %s  ports peer %s, local %s, admin %s%n", a.get("authority"), a.get("nodeConfig"),
                    a.get("peerPort"), a.get("localPort"), a.get("adminPort"));
            o.printf("          investigator --profile %s%n", a.get("investigatorProfile"));
            o.printf("          auditor      --profile %s%n", a.get("auditorProfile"));
            o.printf("          operator     --profile %s%n", a.get("operatorProfile"));
        }
        o.println("Passwords are random and stored next to each keystore (*.password, readable by you only).");
        return 0;
    }
}
