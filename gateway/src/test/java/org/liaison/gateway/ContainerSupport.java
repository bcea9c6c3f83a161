package org.liaison.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.liaison.gateway.store.LocalPostgres;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;

/**
 * What the Testcontainers tests take from the machine: the images to use and whether a container
 * engine must answer. Registered before {@code @Testcontainers(disabledWithoutDocker = true)}, it makes
 * the skip loud (a warning on standard error naming the test class and how to get an engine), and
 * turns it into a failure where an engine was set up ({@code LIAISON_REQUIRE_DOCKER=true}, as
 * {@code .ci/run} and {@code scripts/container-runtime} export), so a broken engine is not a silent skip.
 *
 * <p>Each setting is a system property or, failing that, an environment variable:
 * <ul>
 * <li>{@code liaison.test.postgresImage} / {@code LIAISON_TEST_POSTGRES_IMAGE}: the PostgreSQL image
 * (default {@code postgres:16-alpine}; scripts/container-runtime builds {@code localhost/liaison-postgres:local});</li>
 * <li>{@code liaison.test.buildImage} / {@code LIAISON_BUILD_IMAGE} and {@code liaison.test.runtimeImage} /
 * {@code LIAISON_RUNTIME_IMAGE}: deploy/Dockerfile's BUILD_IMAGE and RUNTIME_IMAGE (default: the Dockerfile's own).</li>
 * </ul>
 */
public final class ContainerSupport implements ExecutionCondition {
    static final String POSTGRES_IMAGE = setting("liaison.test.postgresImage", "LIAISON_TEST_POSTGRES_IMAGE", "postgres:16-alpine");
    static final String BUILD_IMAGE = setting("liaison.test.buildImage", "LIAISON_BUILD_IMAGE", null);
    static final String RUNTIME_IMAGE = setting("liaison.test.runtimeImage", "LIAISON_RUNTIME_IMAGE", null);

    static String setting(String property, String env, String otherwise) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? otherwise : v.strip();
    }

    /** The PostgreSQL image for Testcontainers' PostgreSQLContainer (a local build stands in for the official one). */
    public static DockerImageName postgres() {
        return DockerImageName.parse(POSTGRES_IMAGE).asCompatibleSubstituteFor("postgres");
    }

    /** The project's version, from the root POM (the image is tagged and labelled with it). */
    private static final java.util.concurrent.atomic.AtomicInteger DATABASES = new java.util.concurrent.atomic.AtomicInteger();

    /** A new, empty database in the container, so that each test starts from nothing as on loopback. */
    public static LocalPostgres.Database newDatabase(
            org.testcontainers.postgresql.PostgreSQLContainer postgres) throws java.sql.SQLException {
        String name = "liaison_" + DATABASES.incrementAndGet();
        try (var c = java.sql.DriverManager.getConnection(postgres.getJdbcUrl(), postgres.getUsername(), postgres.getPassword());
                var s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        String url = postgres.getJdbcUrl();
        return new LocalPostgres.Database(url.substring(0, url.lastIndexOf('/') + 1) + name,
                postgres.getUsername(), postgres.getPassword());
    }

    static String projectVersion() throws IOException {
        String pom = Files.readString(DeployFilesTest.DEPLOY.getParent().resolve("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>liaison-parent</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        if (!m.find()) {
            throw new IllegalStateException("no version after liaison-parent in " + DeployFilesTest.DEPLOY.getParent().resolve("pom.xml"));
        }
        return m.group(1).strip();
    }

    static boolean required() {
        return Boolean.parseBoolean(setting("liaison.test.requireDocker", "LIAISON_REQUIRE_DOCKER", "false"));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (DockerClientFactory.instance().isDockerAvailable()) {
            return ConditionEvaluationResult.enabled("a container engine answers");
        }
        String where = "DOCKER_HOST=" + System.getenv("DOCKER_HOST");
        if (required()) {
            throw new IllegalStateException(context.getDisplayName() + ": LIAISON_REQUIRE_DOCKER=true but no container engine answers ("
                    + where + "); run scripts/container-runtime, or unset LIAISON_REQUIRE_DOCKER to skip these tests");
        }
        System.err.println("WARNING: " + context.getDisplayName() + " is SKIPPED: no container engine answers (" + where
                + "). scripts/container-runtime sets one up (podman); these tests then run.");
        // @Testcontainers(disabledWithoutDocker = true), registered after this, disables the class.
        return ConditionEvaluationResult.enabled("no engine: left to @Testcontainers(disabledWithoutDocker = true)");
    }
}
