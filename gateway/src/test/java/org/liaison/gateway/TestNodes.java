package org.liaison.gateway;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.Role;
import org.liaison.certs.Suite;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.audit.MemoryAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.delivery.Backoff;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Outbox;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;

/** A federation from init-federation and helpers to run its nodes in this JVM. */
public final class TestNodes {
    public static final AuthorityId IT = AuthorityId.of("IT-DNA");
    public static final AuthorityId AL = AuthorityId.of("AL-PP");
    public static final AuthorityId US = AuthorityId.of("US-OIA");
    public static final GatewayNode.Tuning FAST = GatewayNode.Tuning.builder().readTimeout(Duration.ofSeconds(3))
            .clientTimeout(Duration.ofSeconds(10)).backoff(new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1)))
            .poll(Duration.ofMillis(100)).maxMessageBytes(1L << 30).maxEnvelopeBytes(4 << 20).reloadEvery(Duration.ofMillis(300))
            .build();

    public final FederationSetup.Result federation;

    public TestNodes(Path dir) throws Exception {
        this(FederationSetup.create(dir, List.of(IT, AL, US), Suite.MODERN, Instant.now().truncatedTo(ChronoUnit.SECONDS),
                Duration.ofDays(30)));
    }

    /** Helpers over a federation made elsewhere (other authorities). */
    public TestNodes(FederationSetup.Result federation) {
        this.federation = federation;
    }

    public Path config(AuthorityId id) {
        return federation.dir().resolve(id.value()).resolve(FederationSetup.NODE_CONFIG);
    }

    public GatewayNode start(AuthorityId id) throws Exception {
        return GatewayNode.start(config(id), new MemoryAuditLog(), FAST);
    }

    /** A node with its real, file-backed audit log in dataDir/audit (as {@code liaison serve} runs it). */
    public GatewayNode startLogged(AuthorityId id) throws Exception {
        return GatewayNode.start(config(id), FAST);
    }

    /** The node's file-backed audit log, opened as {@code liaison serve} opens it (its key from node.yaml's auditKey). */
    public FileAuditLog auditLog(AuthorityId id, Duration checkpointEvery) throws Exception {
        return FileAuditLog.open(auditDir(id), FederationSetup.auditLogName(id), checkpointEvery,
                config(id).resolveSibling(FederationSetup.AUDIT_KEY));
    }

    /** The node's audit folder. */
    public Path auditDir(AuthorityId id) throws Exception {
        return NodeConfig.resolve(config(id), NodeConfig.load(config(id)).dataDir())
                .resolve("audit");
    }

    public Credential investigator(AuthorityId id) {
        return federation.pki().authority(id).users().get(Role.INVESTIGATOR);
    }

    /** A signed package of {@code contents} from {@code from}'s investigator. */
    public Outbox.Submission submission(AuthorityId from, List<AuthorityId> to, String jit, String idempotencyKey,
            List<byte[]> contents) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        List<FileEntry> entries = new ArrayList<>();
        List<Outbox.Source> sources = new ArrayList<>();
        for (int i = 0; i < contents.size(); i++) {
            byte[] c = contents.get(i);
            entries.add(new FileEntry("file-" + i + ".txt", "text/plain", c.length, Envelopes.sha256(c),
                    List.of(new FileEntry.Custody("test", now, "test", ""))));
            sources.add(() -> new ByteArrayInputStream(c));
        }
        byte[] manifest = Manifests.sign(new ManifestSpec("OP-TEST-1", jit == null ? Service.MLA_REQUEST : Service.JIT_FILE_SHARE,
                from, to, jit, Instrument.UNTOC, "18", "", Classification.RESTRICTED, Set.of(), null), entries, investigator(from),
                UUID.randomUUID(), now);
        return new Outbox.Submission(manifest, sources, idempotencyKey, null, null, Duration.ofHours(1));
    }

    public static List<byte[]> text(String... s) {
        List<byte[]> out = new ArrayList<>();
        for (String x : s) {
            out.add(x.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    public static void await(String what, Duration max, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out after " + max + " waiting for " + what);
    }
}
