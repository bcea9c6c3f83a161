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

    @Override
    LocalPostgres.Database database() throws Exception {
        return ContainerSupport.newDatabase(POSTGRES);
    }
}
