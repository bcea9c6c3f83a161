package org.liaison.gateway.store;

import org.junit.jupiter.api.extension.ExtendWith;
import org.liaison.gateway.ContainerSupport;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL store's tests in a PostgreSQL container (Testcontainers). Skipped where no Docker
 * engine answers, loudly ({@link ContainerSupport}, which also names the image); the same tests run on a
 * loopback PostgreSQL in {@link PostgresMessageStoreTest}.
 */
@ExtendWith(ContainerSupport.class)
@Testcontainers(disabledWithoutDocker = true)
class PostgresContainerStoreTest extends PostgresMessageStoreTest {
    @Container
    static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer(ContainerSupport.postgres());

    private static int databases;

    @Override
    LocalPostgres.Database database() throws Exception {
        String name = "liaison_" + (++databases);
        try (var c = java.sql.DriverManager.getConnection(POSTGRES.getJdbcUrl(), POSTGRES.getUsername(), POSTGRES.getPassword());
                var s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        String url = POSTGRES.getJdbcUrl();
        return new LocalPostgres.Database(url.substring(0, url.lastIndexOf('/') + 1) + name, POSTGRES.getUsername(), POSTGRES.getPassword());
    }
}
