package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.node.GatewayNode;

/**
 * The files under deploy/, checked here without Docker or a cluster: the Dockerfile's shape, the
 * compose federation against what {@code init-federation --containers} makes, the systemd unit with
 * systemd-analyze, the Kubernetes manifests read into Kubernetes' own API model (an unknown or
 * misspelled field fails) and held to the restricted Pod Security Standard, and the alert rules
 * against the metrics a node really exports.
 */
class DeployFilesTest {
    static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    Path dir;

    /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
    static List<String> instructions(Path dockerfile) throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : Files.readAllLines(dockerfile, StandardCharsets.UTF_8)) {
            String t = line.strip();
            if (cur.length() == 0 && (t.isEmpty() || t.startsWith("#"))) {
                continue;
            }
            if (t.endsWith("\\")) {
                cur.append(t, 0, t.length() - 1).append(' ');
            } else {
                out.add(cur.append(t).toString());
                cur.setLength(0);
            }
        }
        return out;
    }

    @Test
    void theImageBuildsInTwoStagesAndRunsUnprivilegedWithNothingSecretInIt() throws Exception {
        List<String> all = instructions(DEPLOY.resolve("Dockerfile"));
        List<String> from = all.stream().filter(i -> i.startsWith("FROM ")).toList();
        assertThat(from).hasSize(2);
        assertThat(from.get(0)).contains(" AS build");
        List<String> runtime = all.subList(all.indexOf(from.get(1)), all.size());
        assertThat(runtime).anyMatch(i -> i.matches("USER 10001(:10001)?"));
        assertThat(runtime).anyMatch(i -> i.startsWith("HEALTHCHECK ") && i.contains("/ready"));
        assertThat(runtime).contains("STOPSIGNAL SIGTERM");
        assertThat(runtime).anyMatch(i -> i.startsWith("LABEL ") && i.contains("org.opencontainers.image.version=\"${VERSION}\""));
        assertThat(runtime).anyMatch(i -> i.equals("EXPOSE " + FederationSetup.CONTAINER_PEER_PORT + " "
                + FederationSetup.CONTAINER_LOCAL_PORT + " " + FederationSetup.CONTAINER_ADMIN_PORT));
        assertThat(runtime).anyMatch(i -> i.startsWith("VOLUME ") && i.contains(FederationSetup.CONTAINER_DATA));
        // The runtime copies what the build stage's Maven build makes (the jar named by the POM, its lib/).
        assertThat(runtime).contains("COPY --from=build /src/gateway/target/liaison.jar /opt/liaison/liaison.jar",
                "COPY --from=build /src/gateway/target/lib/ /opt/liaison/lib/");
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).contains("<finalName>liaison</finalName>").contains("${project.build.directory}/lib");
        // Nothing secret goes in: no keystore, password or federation folder copied, and the build context excludes them.
        for (String i : all) {
            if (i.startsWith("COPY ") || i.startsWith("ADD ")) {
                assertThat(i).doesNotContain(".p12").doesNotContain("password").doesNotContain("federation");
            }
            assertThat(i).doesNotStartWith("ADD "); // COPY only: no remote URLs, no archives unpacked
        }
        assertThat(Files.readAllLines(DEPLOY.resolveSibling(".dockerignore"))).contains("**/*.p12", "**/*.password", "**/federation/",
                "**/target/");
        // Every folder the build stage copies exists (a renamed module would break the image build).
        for (String i : all.subList(0, all.indexOf(from.get(1)))) {
            if (i.startsWith("COPY ") && !i.contains("--from")) {
                assertThat(DEPLOY.getParent().resolve(i.split(" ")[1])).exists();
            }
        }
    }

    @Test
    void theComposeFederationMatchesWhatInitFederationMakesForContainers() throws Exception {
        List<AuthorityId> ids = List.of(TestNodes.IT, TestNodes.AL, TestNodes.US);
        FederationSetup.Result f = FederationSetup.create(dir.resolve("federation"), ids, Suite.MODERN,
                java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), java.time.Duration.ofDays(30), true);
        // SnakeYAML applies the merge keys ("<<: *node") as Compose does; Jackson's YAML reader does not.
        JsonNode compose = new ObjectMapper().valueToTree(new org.yaml.snakeyaml.Yaml().load(
                Files.readString(DEPLOY.resolve("compose/compose.yaml"))));
        JsonNode services = compose.path("services");
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            AuthorityId id = ids.get(i);
            String host = FederationSetup.host(id);
            JsonNode s = services.path(host);
            assertThat(s.isMissingNode()).as("service " + host).isFalse();
            // The anchor's hardening reaches every node (YAML merge keys).
            assertThat(s.path("read_only").asBoolean()).as(host + " read_only").isTrue();
            assertThat(s.path("cap_drop").toString()).contains("ALL");
            assertThat(s.path("security_opt").toString()).contains("no-new-privileges:true");
            assertThat(s.path("user").asText()).isNotEmpty().doesNotStartWith("0:").doesNotStartWith("root");
            assertThat(s.path("stop_signal").asText()).isEqualTo("SIGTERM");
            assertThat(s.path("command").toString()).contains("/etc/liaison/federation/" + id.value() + "/node.yaml");
            assertThat(s.path("volumes").toString()).contains("./federation:/etc/liaison/federation:ro")
                    .contains(":" + FederationSetup.CONTAINER_DATA + "\"");
            // The published local port is the one the profiles init-federation wrote point at.
            String profile = Files.readString(f.profiles().get(id).get(Role.INVESTIGATOR).resolve("profile.yaml"));
            int published = FederationSetup.CONTAINER_LOCAL_PORT + 10 * i;
            assertThat(profile).contains("https://127.0.0.1:" + published);
            assertThat(s.path("ports").toString()).contains("127.0.0.1:" + published + ":" + FederationSetup.CONTAINER_LOCAL_PORT);
            // The node's configuration: its endpoint is the service's name, its listeners and data where the image has them.
            String yaml = Files.readString(f.dir().resolve(id.value()).resolve(FederationSetup.NODE_CONFIG));
            assertThat(yaml).contains("dataDir: " + FederationSetup.CONTAINER_DATA).contains("host: 0.0.0.0");
            assertThat(new String(f.dir().resolve(FederationSetup.DIRECTORY).toFile().exists()
                    ? Files.readAllBytes(f.dir().resolve(FederationSetup.DIRECTORY)) : new byte[0], StandardCharsets.UTF_8))
                    .contains("https://" + host + ":" + FederationSetup.CONTAINER_PEER_PORT);
            targets.add(host + ":" + FederationSetup.CONTAINER_ADMIN_PORT);
        }
        JsonNode prometheus = YAML.readTree(DEPLOY.resolve("compose/prometheus.yml").toFile());
        List<String> scraped = new ArrayList<>();
        prometheus.path("scrape_configs").get(0).path("static_configs").get(0).path("targets").forEach(t -> scraped.add(t.asText()));
        assertThat(scraped).containsExactlyElementsOf(targets);
        assertThat(prometheus.path("rule_files").toString()).contains("/etc/prometheus/alerts.yml");
        assertThat(services.path("prometheus").path("volumes").toString()).contains("../prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
        assertThat(DEPLOY.resolve("compose/README.md")).exists();
    }

    @Test
    void theSystemdUnitVerifiesAndIsHardened() throws Exception {
        Path unit = DEPLOY.resolve("systemd/liaison@.service");
        Map<String, String> service = section(Files.readAllLines(unit), "Service");
        assertThat(service).containsEntry("NoNewPrivileges", "yes").containsEntry("ProtectSystem", "strict")
                .containsEntry("PrivateTmp", "yes").containsEntry("CapabilityBoundingSet", "")
                .containsEntry("SystemCallFilter", "@system-service").containsEntry("ReadWritePaths", "/var/lib/liaison/%i")
                .containsEntry("User", "liaison").containsKey("MemoryMax").containsKey("RestrictAddressFamilies")
                .containsEntry("KillSignal", "SIGTERM");
        assertThat(service.get("ExecStart")).contains("serve --config /etc/liaison/%i/node.yaml");
        assertThat(service).doesNotContainKey("MemoryDenyWriteExecute"); // the JIT writes code it runs

        // systemd's own checks, on an instance of the template (the unit's name carries the instance).
        Path copy = dir.resolve("liaison@IT-DNA.service");
        Files.copy(unit, copy);
        Result verify = run("systemd-analyze", "verify", copy.toString());
        assertThat(verify.code()).as(verify.output()).isZero();
        assertThat(verify.output()).as("systemd-analyze verify prints nothing for a clean unit").isBlank();
        Result security = run("systemd-analyze", "security", "--offline=true", copy.toString());
        Matcher m = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d+)").matcher(security.output());
        assertThat(m.find()).as(security.output()).isTrue();
        System.out.println("systemd-analyze security --offline=true liaison@IT-DNA.service: exposure " + m.group(1));
        assertThat(Double.parseDouble(m.group(1))).isLessThanOrEqualTo(2.0);
    }

    /** A unit file's section as key to (last) value. */
    static Map<String, String> section(List<String> lines, String name) {
        Map<String, String> out = new LinkedHashMap<>();
        boolean in = false;
        for (String l : lines) {
            String t = l.strip();
            if (t.startsWith("[")) {
                in = t.equals("[" + name + "]");
            } else if (in && !t.startsWith("#") && t.contains("=")) {
                out.put(t.substring(0, t.indexOf('=')), t.substring(t.indexOf('=') + 1));
            }
        }
        return out;
    }

    record Result(int code, String output) {}

    static Result run(String... command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(command[0] + " is needed by this test (Debian: apt-get install systemd); .ci/run installs it", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    @Test
    void theKubernetesManifestsAreValidApiObjectsThatMeetTheRestrictedStandard() throws Exception {
        Map<String, Class<? extends KubernetesResource>> kinds = Map.of("StatefulSet", StatefulSet.class, "Service", Service.class,
                "NetworkPolicy", NetworkPolicy.class, "Namespace", Namespace.class);
        JsonNode kustomization = YAML.readTree(DEPLOY.resolve("kubernetes/kustomization.yaml").toFile());
        List<KubernetesResource> objects = new ArrayList<>();
        ObjectMapper strict = new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        for (JsonNode r : kustomization.path("resources")) {
            Path file = DEPLOY.resolve("kubernetes").resolve(r.asText());
            assertThat(file).exists();
            try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
                for (JsonNode doc : strict.readValues(parser, JsonNode.class).readAll()) {
                    String kind = doc.path("kind").asText();
                    assertThat(kinds).as(file + ": kind " + kind).containsKey(kind);
                    KubernetesResource o = strict.treeToValue(doc, kinds.get(kind));
                    List<String> unknown = new ArrayList<>();
                    unknownFields(o, kind, unknown, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
                    assertThat(unknown).as(file + ": fields the Kubernetes API does not have").isEmpty();
                    objects.add(o);
                }
            }
        }
        StatefulSet sts = objects.stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast).findFirst().orElseThrow();
        PodSpec pod = sts.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        for (Container c : pod.getContainers()) {
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
            assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory");
            assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health");
            assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
            assertThat(c.getPorts()).extracting(p -> p.getContainerPort()).containsExactlyInAnyOrder(
                    FederationSetup.CONTAINER_PEER_PORT, FederationSetup.CONTAINER_LOCAL_PORT, FederationSetup.CONTAINER_ADMIN_PORT);
            // Every mount names a volume of the pod or a claim template.
            Set<String> volumes = new java.util.HashSet<>();
            pod.getVolumes().forEach(v -> volumes.add(v.getName()));
            sts.getSpec().getVolumeClaimTemplates().forEach(v -> volumes.add(v.getMetadata().getName()));
            c.getVolumeMounts().forEach(m -> assertThat(volumes).contains(m.getName()));
            assertThat(c.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals(FederationSetup.CONTAINER_DATA));
        }
        Service peer = objects.stream().filter(Service.class::isInstance).map(Service.class::cast)
                .filter(s -> s.getMetadata().getName().equals("liaison-peer")).findFirst().orElseThrow();
        assertThat(peer.getSpec().getPorts()).allMatch(p -> p.getProtocol().equals("TCP")); // TLS passes through to the node
        Namespace ns = objects.stream().filter(Namespace.class::isInstance).map(Namespace.class::cast).findFirst().orElseThrow();
        assertThat(ns.getMetadata().getLabels()).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        assertThat(objects).anyMatch(NetworkPolicy.class::isInstance);

        // The check itself catches a misspelled field.
        String bad = Files.readString(DEPLOY.resolve("kubernetes/statefulset.yaml")).replace("readOnlyRootFilesystem", "readOnlyRootFileSystem");
        StatefulSet misspelt = strict.readValue(bad, StatefulSet.class);
        List<String> unknown = new ArrayList<>();
        unknownFields(misspelt, "StatefulSet", unknown, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        assertThat(unknown).anyMatch(u -> u.contains("readOnlyRootFileSystem"));
    }

    /** Fields Kubernetes' model did not recognise: it keeps them aside as "additional properties". */
    @SuppressWarnings("unchecked")
    static void unknownFields(Object o, String path, List<String> out, Set<Object> seen) throws Exception {
        if (o == null || !o.getClass().getName().startsWith("io.fabric8.") || !seen.add(o)) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet());
                }
            } else if (v instanceof Collection<?> c) {
                for (Object x : c) {
                    unknownFields(x, path + "." + m.getName().substring(3), out, seen);
                }
            } else if (v instanceof Map<?, ?> map) {
                for (Object x : map.values()) {
                    unknownFields(x, path + "." + m.getName().substring(3), out, seen);
                }
            } else {
                unknownFields(v, path + "." + m.getName().substring(3), out, seen);
            }
        }
    }

    @Test
    void everyMetricTheAlertRulesUseIsOneANodeExports() throws Exception {
        JsonNode rules = YAML.readTree(DEPLOY.resolve("prometheus/alerts.yml").toFile());
        Set<String> used = new java.util.TreeSet<>();
        for (JsonNode g : rules.path("groups")) {
            for (JsonNode r : g.path("rules")) {
                assertThat(r.path("alert").asText()).isNotEmpty();
                Matcher m = Pattern.compile("\\b(liaison_[a-z_]+)").matcher(r.path("expr").asText());
                while (m.find()) {
                    used.add(m.group(1));
                }
            }
        }
        TestNodes t = new TestNodes(dir);
        String scrape;
        try (GatewayNode it = t.start(TestNodes.IT)) {
            it.metrics().peerLogAlarm("AL-PP"); // counted only once it happens: make it happen
            scrape = it.metrics().scrape();
        }
        for (String metric : used) {
            assertThat(scrape).as("the node exports " + metric).containsPattern("(?m)^" + metric + "[{ ]");
        }
        assertThat(used).contains("liaison_certificate_expiry_seconds", "liaison_crl_next_update_seconds", "liaison_disk_free_bytes");
    }
}
