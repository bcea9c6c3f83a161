package org.liaison.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.gateway.config.FederationSetup;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * deploy/Dockerfile built and run: two authorities' nodes in containers, laid out by
 * {@code init-federation --containers}, exchange a message submitted through the local API.
 * Skipped where no Docker engine answers (as on the build machines); the same exchange between two
 * node processes from their node.yaml runs everywhere in {@link ServeProcessTest}, and the image's
 * files are checked statically in {@link DeployFilesTest}.
 */
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
                Files.copy(f, to.resolve(from.relativize(f).toString()));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Test
    void twoNodesInContainersExchangeAMessage() throws Exception {
        List<AuthorityId> ids = List.of(TestNodes.IT, TestNodes.AL);
        FederationSetup.Result f = FederationSetup.create(dir.resolve("federation"), ids, Suite.MODERN,
                Instant.now().truncatedTo(ChronoUnit.SECONDS), Duration.ofDays(30), true);
        ImageFromDockerfile image = new ImageFromDockerfile("liaison-test", true).withFileFromPath(".", context())
                .withDockerfilePath("deploy/Dockerfile");
        String user = new com.sun.security.auth.module.UnixSystem().getUid() + ":" + new com.sun.security.auth.module.UnixSystem().getGid();
        try (Network net = Network.newNetwork()) {
            List<GenericContainer<?>> nodes = new java.util.ArrayList<>();
            try {
                for (AuthorityId id : ids) {
                    Path data = Files.createDirectories(dir.resolve("data").resolve(FederationSetup.host(id)));
                    @SuppressWarnings("resource")
                    GenericContainer<?> c = new GenericContainer<>(image).withNetwork(net).withNetworkAliases(FederationSetup.host(id))
                            .withFileSystemBind(f.dir().toString(), "/etc/liaison/federation", BindMode.READ_ONLY)
                            .withFileSystemBind(data.toString(), FederationSetup.CONTAINER_DATA, BindMode.READ_WRITE)
                            .withCreateContainerCmdModifier(cmd -> cmd.withUser(user))
                            .withCommand("serve", "--config", "/etc/liaison/federation/" + id.value() + "/node.yaml")
                            .withExposedPorts(FederationSetup.CONTAINER_LOCAL_PORT, FederationSetup.CONTAINER_ADMIN_PORT)
                            .waitingFor(Wait.forHttp("/ready").forPort(FederationSetup.CONTAINER_ADMIN_PORT)
                                    .withStartupTimeout(Duration.ofMinutes(2)));
                    c.start();
                    nodes.add(c);
                    // The profiles reach the local API where this test's Docker published it.
                    for (Role role : List.of(Role.INVESTIGATOR, Role.AUDITOR)) {
                        Path profile = f.profiles().get(id).get(role).resolve("profile.yaml");
                        Files.writeString(profile, Files.readString(profile).replaceAll("https://127\\.0\\.0\\.1:\\d+",
                                "https://127.0.0.1:" + c.getMappedPort(FederationSetup.CONTAINER_LOCAL_PORT)));
                    }
                }
                Path evidence = Files.writeString(dir.resolve("statement.txt"), "account 4711");
                BackupRestoreTest.Run sent = BackupRestoreTest.cli("--profile", f.profiles().get(TestNodes.IT).get(Role.INVESTIGATOR)
                        .toString(), "submit", "--to", "AL-PP", "--service", "mla-request", "--case", "OP-1", "--legal-basis",
                        "UNTOC art. 18", evidence.toString());
                assertThat(sent.code()).as(sent.err()).isZero();
                String id = sent.out().strip();
                Path al = f.profiles().get(TestNodes.AL).get(Role.INVESTIGATOR);
                TestNodes.await("the message in Albania's inbox", Duration.ofSeconds(60),
                        () -> BackupRestoreTest.cli("--profile", al.toString(), "inbox").out().contains(id));
                BackupRestoreTest.Run fetched = BackupRestoreTest.cli("--profile", al.toString(), "fetch", id, "--out",
                        dir.resolve("received").toString());
                assertThat(fetched.code()).as(fetched.err()).isZero();
                assertThat(dir.resolve("received/statement.txt")).hasContent("account 4711");
            } finally {
                nodes.forEach(GenericContainer::stop);
            }
        }
    }
}
