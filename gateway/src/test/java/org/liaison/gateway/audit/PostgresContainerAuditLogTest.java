package org.liaison.gateway.audit;

import org.junit.jupiter.api.extension.ExtendWith;
import org.liaison.gateway.ContainerSupport;
import org.liaison.gateway.store.LocalPostgres;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The shared audit log's tests in a PostgreSQL container (Testcontainers). Skipped where no Docker
 * engine answers, loudly ({@link ContainerSupport}, which also names the image); the same tests run on a
 * loopback PostgreSQL in {@link PostgresAuditLogTest}.
 */
@ExtendWith(ContainerSupport.class)
@Testcontainers(disabledWithoutDocker = true)
class PostgresContainerAuditLogTest extends PostgresAuditLogTest {
    @Container
    static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer(ContainerSupport.postgres());

    @Override
    LocalPostgres.Database database() throws Exception {
        return ContainerSupport.newDatabase(POSTGRES); // each test its own, as on loopback
    }
}
