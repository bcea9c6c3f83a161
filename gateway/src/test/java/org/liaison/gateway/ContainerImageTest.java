package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.gateway.config.FederationSetup;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * deploy/Dockerfile built and run as deploy/compose runs it: three authorities' nodes, laid out by
 * {@code init-federation --containers}, each in its own container with its own network name and data
 * volume, unprivileged, on a read-only root filesystem. The CLI on the host sends a package across
 * through the published local API ports, fetches it, and pulls and checks both audit logs; {@code liaison
 * doctor} passes inside each container. Skipped where no container engine answers (loudly, and a
 * failure where one is required: {@link ContainerSupport}); scripts/container-runtime sets one up. The
 * same exchange between node processes from their node.yaml, on loopback and without containers,
 * runs everywhere in {@link ServeProcessTest} and {@link CliEndToEndTest}; the image's files are
 * checked statically in {@link DeployFilesTest}.
 */
@ExtendWith(ContainerSupport.class)
@Testcontainers(disabledWithoutDocker = true)
class ContainerImageTest {
    @TempDir
    Path dir;

    /** The build context: only what the Dockerfile copies (no target/, keys or federation folders). */
    private Path context() throws IOException {
        Path root = DeployFilesTest.DEPLOY.getParent();
        Path ctx = Files.createDirectories(dir.resolve("context"));
        Files.copy(root.resolve("pom.xml"), ctx.resolve("pom.xml"));
        for (String module : List.of("certs", "protocol", "gateway")) {
            Files.createDirectories(ctx.resolve(module));
            Files.copy(root.resolve(module).resolve("pom.xml"), ctx.resolve(module).resolve("pom.xml"));
            copyTree(root.resolve(module).resolve("src"), ctx.resolve(module).resolve("src"));
        }
        Files.createDirectories(ctx.resolve("deploy"));
        Files.copy(root.resolve("deploy/Dockerfile"), ctx.resolve("deploy/Dockerfile"));
        return ctx;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                // With their times: an unchanged source tree hits the engine's layer cache on the next run.
                Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The container's user: the host user's uid and gid, as compose does, or the image's 10001 where the host user is root. */
    private static String containerUser(Path... trees) throws IOException {
        com.sun.security.auth.module.UnixSystem host = new com.sun.security.auth.module.UnixSystem();
        if (host.getUid() != 0) {
            return host.getUid() + ":" + host.getGid();
        }
        // Root made the keys readable by their owner only: hand them to the image's user (root is not run in a container).
        for (Path tree : trees) {
            try (var all = Files.walk(tree)) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    Files.setAttribute(p, "unix:uid", IMAGE_USER, LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", IMAGE_USER, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
        return IMAGE_USER + ":" + IMAGE_USER;
    }

    private static final int IMAGE_USER = 10001;

    @Test
    void threeAuthoritiesInContainersExchangeAPackageAsTheComposeFederationDoes() throws Exception {
        List<AuthorityId> ids = List.of(TestNodes.IT, TestNodes.AL, TestNodes.US);
        FederationSetup.Result f = FederationSetup.create(dir.resolve("federation"), ids, Suite.MODERN,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Duration.ofDays(30), true);
        String version = ContainerSupport.projectVersion();
        ImageFromDockerfile image = new ImageFromDockerfile("liaison-test:" + version, true).withFileFromPath(".", context())
                .withDockerfilePath("deploy/Dockerfile").withBuildArg("VERSION", version);
        if (ContainerSupport.BUILD_IMAGE != null) {
            image.withBuildArg("BUILD_IMAGE", ContainerSupport.BUILD_IMAGE);
        }
        if (ContainerSupport.RUNTIME_IMAGE != null) {
            image.withBuildArg("RUNTIME_IMAGE", ContainerSupport.RUNTIME_IMAGE);
        }
        // The image carries its version: in its tag and its label.
        String imageId = image.get();
        InspectImageResponse built = DockerClientFactory.instance().client().inspectImageCmd(imageId).exec();
        assertThat(built.getRepoTags()).anyMatch(t -> t.endsWith("liaison-test:" + version));
        assertThat(built.getConfig().getLabels()).containsEntry("org.opencontainers.image.version", version);

        Map<AuthorityId, Path> data = new LinkedHashMap<>();
        for (AuthorityId id : ids) {
            data.put(id, Files.createDirectories(dir.resolve("data").resolve(FederationSetup.host(id))));
        }
        String user = containerUser(Stream.concat(Stream.of(f.dir()), data.values().stream()).toArray(Path[]::new));
        Map<AuthorityId, GenericContainer<?>> nodes = new LinkedHashMap<>();
        try (Network net = Network.newNetwork()) {
            try {
                for (AuthorityId id : ids) {
                    String host = FederationSetup.host(id);
                    @SuppressWarnings("resource")
                    GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(imageId)).withNetwork(net)
                            .withNetworkAliases(host)
                            .withFileSystemBind(f.dir().toString(), "/etc/liaison/federation", BindMode.READ_ONLY)
                            .withFileSystemBind(data.get(id).toString(), FederationSetup.CONTAINER_DATA, BindMode.READ_WRITE)
                            .withTmpFs(Map.of("/tmp", "rw,size=64m,mode=1777"))
                            .withCreateContainerCmdModifier(cmd -> {
                                cmd.withUser(user).withHostName(host);
                                // compose.yaml's hardening; the local API and admin ports published on the host's loopback only.
                                cmd.getHostConfig().withReadonlyRootfs(true).withCapDrop(Capability.ALL)
                                        .withSecurityOpts(List.of("no-new-privileges")).withMemory(1024L * 1024 * 1024)
                                        .withPublishAllPorts(false).withPortBindings(
                                                loopback(FederationSetup.CONTAINER_LOCAL_PORT), loopback(FederationSetup.CONTAINER_ADMIN_PORT));
                            })
                            .withCommand("--log-format", "json", "serve", "--config", "/etc/liaison/federation/" + id.value() + "/node.yaml")
                            .withExposedPorts(FederationSetup.CONTAINER_LOCAL_PORT, FederationSetup.CONTAINER_ADMIN_PORT)
                            .waitingFor(Wait.forHttp("/ready").forPort(FederationSetup.CONTAINER_ADMIN_PORT)
                                    .withStartupTimeout(Duration.ofMinutes(3)));
                    c.start();
                    nodes.put(id, c);
                    // The profiles reach the local API where the engine published it.
                    for (Role role : List.of(Role.INVESTIGATOR, Role.AUDITOR)) {
                        Path profile = f.profiles().get(id).get(role).resolve("profile.yaml");
                        Files.writeString(profile, Files.readString(profile).replaceAll("https://127\\.0\\.0\\.1:\\d+",
                                "https://127.0.0.1:" + c.getMappedPort(FederationSetup.CONTAINER_LOCAL_PORT)));
                    }
                }
                for (AuthorityId id : ids) {
                    GenericContainer<?> c = nodes.get(id);
                    // Not root, and nothing outside the volume and /tmp is writable.
                    assertThat(c.execInContainer("id", "-u").getStdout().strip()).isNotEqualTo("0");
                    ExecResult write = c.execInContainer("touch", "/opt/liaison/written");
                    assertThat(write.getExitCode()).as("a write to the root filesystem").isNotZero();
                    assertThat(write.getStderr()).contains("Read-only file system");
                    // doctor in the container, as the node's user: configuration, keys, directory, ports, and the peers over mutual TLS.
                    ExecResult doctor = c.execInContainer("java", "-jar", "/opt/liaison/liaison.jar", "doctor", "--config",
                            "/etc/liaison/federation/" + id.value() + "/node.yaml");
                    assertThat(doctor.getExitCode()).as(id + ": " + doctor.getStdout() + doctor.getStderr()).isZero();
                    for (AuthorityId peer : ids) {
                        if (!peer.equals(id)) {
                            assertThat(doctor.getStdout()).as(id + "'s doctor on its peers").contains("peer " + peer.value());
                        }
                    }
                    assertThat(c.getContainerInfo().getConfig().getHostName()).isEqualTo(FederationSetup.host(id));
                }

                Path evidence = Files.writeString(dir.resolve("statement.txt"), "account 4711");
                BackupRestoreTest.Run sent = BackupRestoreTest.cli("--profile", f.profiles().get(TestNodes.IT).get(Role.INVESTIGATOR)
                        .toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "OP-1", "--legal-basis",
                        "UNTOC art. 18", evidence.toString());
                assertThat(sent.code()).as(sent.err()).isZero();
                String id = sent.out().strip();
                Path al = f.profiles().get(TestNodes.AL).get(Role.INVESTIGATOR);
                TestNodes.await("the package in Albania's inbox", Duration.ofSeconds(90),
                        () -> BackupRestoreTest.cli("--profile", al.toString(), "inbox").out().contains(id));
                BackupRestoreTest.Run fetched = BackupRestoreTest.cli("--profile", al.toString(), "fetch", id, "--out",
                        dir.resolve("received").toString());
                assertThat(fetched.code()).as(fetched.err()).isZero();
                assertThat(dir.resolve("received/files/statement.txt")).hasContent("account 4711");

                // Each side's auditor pulls its node's log over the published port (pull verifies it against the
                // key the directory lists), and finds the package in it: sent by Italy, received and fetched in Albania.
                Map<AuthorityId, List<String>> expected = Map.of(TestNodes.IT, List.of("submit", "seal", "receipt"),
                        TestNodes.AL, List.of("receive", "fetch"));
                for (Map.Entry<AuthorityId, List<String>> e : expected.entrySet()) {
                    Path copy = dir.resolve("audit-" + e.getKey().value());
                    Path auditor = f.profiles().get(e.getKey()).get(Role.AUDITOR);
                    TestNodes.await(e.getKey() + "'s log listing " + e.getValue(), Duration.ofSeconds(60), () -> {
                        deleteTree(copy);
                        BackupRestoreTest.Run pulled = BackupRestoreTest.cli("--profile", auditor.toString(), "audit", "pull", "--out",
                                copy.toString());
                        assertThat(pulled.code()).as(pulled.err()).isZero();
                        BackupRestoreTest.Run q = BackupRestoreTest.cli("audit", "query", copy.toString(), "--message", id, "--json");
                        assertThat(q.code()).as(q.err()).isZero();
                        return e.getValue().stream().allMatch(type -> q.out().contains("\"" + type + "\""));
                    });
                }
                // The volume holds the node's data on the host: Albania's log there verifies too.
                Path alAudit = data.get(TestNodes.AL).resolve("audit");
                BackupRestoreTest.Run verified = BackupRestoreTest.cli("audit", "verify", alAudit.toString(), "--key",
                        Files.readString(alAudit.resolve("log.vkey")).strip());
                assertThat(verified.code()).as(verified.out() + verified.err()).isZero();
            } finally {
                nodes.values().forEach(GenericContainer::stop);
            }
        }
    }

    private static PortBinding loopback(int port) {
        return new PortBinding(Ports.Binding.bindIp("127.0.0.1"), ExposedPort.tcp(port));
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (var all = Files.walk(p)) {
            for (Path q : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(q);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
