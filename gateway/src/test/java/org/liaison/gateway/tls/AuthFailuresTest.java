package org.liaison.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.MemoryAuditLog;

class AuthFailuresTest {

    /** What the entries account for: one refusal each, plus the {@code count} of a window's summary. */
    static long accountedFor(List<AuditEvent> entries) {
        return entries.stream().mapToLong(e -> e.details().containsKey("count") ? Long.parseLong(e.details().get("count")) : 1).sum();
    }

    @Test
    void aFloodFromManyAddressesWritesABoundedNumberOfEntriesAndCountsEveryRefusal() {
        MemoryAuditLog audit = new MemoryAuditLog();
        AtomicLong counted = new AtomicLong();
        int clients = 20_000; // an IPv6 prefix offers far more
        try (AuthFailures failures = new AuthFailures(audit, counted::incrementAndGet, Duration.ofMinutes(1),
                Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))) {
            for (int i = 0; i < clients; i++) {
                failures.refused("2001:db8::" + Integer.toHexString(i), "peer API", "unknown", "handshake failed: certificate_required");
            }
        }
        List<AuditEvent> entries = audit.events().stream().filter(e -> e.type().equals("auth-failure")).toList();
        assertThat(counted.get()).isEqualTo(clients);
        assertThat(entries.size()).isLessThanOrEqualTo(AuthFailures.MAX_WINDOWS + 2);
        assertThat(accountedFor(entries)).isEqualTo(clients); // audited together, none lost
        assertThat(entries).anyMatch(e -> AuthFailures.MANY.equals(e.details().get("from")) && e.details().containsKey("count"));
    }

    @Test
    void oneClientIsAuditedOnceAWindowWithTheCountOfTheRest() {
        MemoryAuditLog audit = new MemoryAuditLog();
        AtomicLong counted = new AtomicLong();
        try (AuthFailures failures = new AuthFailures(audit, counted::incrementAndGet, Duration.ofMinutes(1),
                Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC))) {
            for (int i = 0; i < 50; i++) {
                failures.refused("192.0.2.7", "local API", "unknown", "handshake failed: Empty client certificate chain");
            }
        }
        List<AuditEvent> entries = audit.events().stream().filter(e -> e.type().equals("auth-failure")).toList();
        assertThat(entries).hasSize(2);
        assertThat(entries).allMatch(e -> "192.0.2.7".equals(e.details().get("from")));
        assertThat(accountedFor(entries)).isEqualTo(50);
        assertThat(counted.get()).isEqualTo(50);
    }

    /** The entries carry the node's clock (a manual one here), not the system's. */
    @Test
    void theEntriesAreAtTheNodesTime() {
        MemoryAuditLog audit = new MemoryAuditLog();
        Instant then = Instant.parse("2031-05-06T07:08:09Z");
        try (AuthFailures failures = new AuthFailures(audit, () -> { }, Duration.ofMinutes(1), Clock.fixed(then, ZoneOffset.UTC))) {
            failures.refused("192.0.2.7", "local API", "unknown", "handshake failed: no certificate");
            failures.refused("192.0.2.7", "local API", "unknown", "handshake failed: no certificate");
        }
        assertThat(audit.events()).hasSize(2).allSatisfy(e -> assertThat(e.time()).isEqualTo(then)); // the refusal and the summary
    }
}
