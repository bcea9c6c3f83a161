package org.liaison.gateway.audit;

import org.liaison.gateway.store.LocalPostgres;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The shared audit log's tests in a PostgreSQL container (Testcontainers). Skipped where no Docker
 * engine answers; the same tests run on a loopback PostgreSQL in {@link PostgresAuditLogTest}.
 */
@Testcontainers(disabledWithoutDocker = true)
class PostgresContainerAuditLogTest extends PostgresAuditLogTest {
    @Container
    static final PostgreSQLContainer POSTGRES = new PostgreSQLContainer("postgres:16-alpine");

    @Override
    LocalPostgres.Database database() {
        return new LocalPostgres.Database(POSTGRES.getJdbcUrl(), POSTGRES.getUsername(), POSTGRES.getPassword());
    }
}
