package org.liaison.gateway.node;

import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Credential;
import org.liaison.certs.Passwords;
import org.liaison.certs.Pem;
import org.liaison.gateway.admin.AdminServer;
import org.liaison.gateway.admin.NodeMetrics;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.audit.PeerLogs;
import org.liaison.gateway.audit.PostgresAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.delivery.Backoff;
import org.liaison.gateway.delivery.DeliveryWorker;
import org.liaison.gateway.delivery.PeerClient;
import org.liaison.gateway.evidence.EvidenceContainer;
import org.liaison.gateway.evidence.EvidenceIssuer;
import org.liaison.gateway.evidence.TimeStamps;
import org.liaison.gateway.evidence.TrustedTime;
import org.liaison.gateway.local.CaseAccess;
import org.liaison.gateway.local.LocalNode;
import org.liaison.gateway.local.LocalServer;
import org.liaison.gateway.net.BufferBudget;
import org.liaison.gateway.net.GracefulStop;
import org.liaison.gateway.net.NodeRuntime;
import org.liaison.gateway.peer.AuditProofs;
import org.liaison.gateway.peer.PeerSchemas;
import org.liaison.gateway.peer.PeerServer;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.gateway.peer.StagedTransfers;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.PostgresMessageStore;
import org.liaison.gateway.store.SqliteMessageStore;
import org.liaison.gateway.tls.AuthFailures;
import org.liaison.gateway.tls.DirectoryTrustManager;
import org.liaison.gateway.tls.HybridTls;
import org.liaison.gateway.tls.PeerIdentity;
import org.liaison.gateway.tls.TlsContexts;
import org.liaison.gateway.tls.TlsHandshakes;
import org.liaison.gateway.witness.Submitter;
import org.liaison.gateway.witness.Witness;
import org.liaison.gateway.witness.WitnessKeys;
import org.liaison.gateway.witness.WitnessWiring;
import org.liaison.protocol.ErrorCode;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.directory.Trust;
import org.liaison.protocol.model.Manifest;

/**
 * A running node: the peer API, the delivery worker, the store, and the trust (directory and
 * CRLs, reloaded when their files change). Built from one {@link NodeConfig}; everything is
 * checked at start, so a misconfigured node refuses to start with a message that names the cause.
 */
public final class GatewayNode implements NodeState, AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(GatewayNode.class);

    /**
     * Timing and size settings, immutable and checked when made (defaults for production; tests
     * shorten them): {@code Tuning.builder().readTimeout(Duration.ofSeconds(3)).build()}.
     */
    public record Tuning(Duration readTimeout, Duration clientTimeout, Backoff backoff, Duration poll, long maxMessageBytes,
            int maxEnvelopeBytes, Duration reloadEvery, java.time.Clock clock, NodeRuntime.Factory executors) {
        public static final Tuning DEFAULT = new Tuning(Duration.ofSeconds(30), Duration.ofSeconds(60), Backoff.DEFAULT,
                Duration.ofMillis(500), 64L << 30, 4 << 20, Duration.ofSeconds(5), java.time.Clock.systemUTC(),
                NodeRuntime.SYSTEM);

        public Tuning {
            positive(readTimeout, "readTimeout");
            positive(clientTimeout, "clientTimeout");
            positive(poll, "poll");
            positive(reloadEvery, "reloadEvery");
            java.util.Objects.requireNonNull(backoff, "backoff");
            java.util.Objects.requireNonNull(clock, "clock");
            java.util.Objects.requireNonNull(executors, "executors");
            if (maxEnvelopeBytes <= 0 || maxMessageBytes < maxEnvelopeBytes) {
                throw new IllegalArgumentException("maxEnvelopeBytes, maxMessageBytes: " + maxEnvelopeBytes + ", " + maxMessageBytes
                        + " (expected: 0 < maxEnvelopeBytes <= maxMessageBytes)");
            }
        }

        private static void positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
            }
        }

        /** A builder starting from the defaults. */
        public static Builder builder() {
            return new Builder(DEFAULT);
        }

        /** A builder starting from these settings. */
        public Builder toBuilder() {
            return new Builder(this);
        }

        public static final class Builder {
            private Duration readTimeout;
            private Duration clientTimeout;
            private Backoff backoff;
            private Duration poll;
            private long maxMessageBytes;
            private int maxEnvelopeBytes;
            private Duration reloadEvery;
            private java.time.Clock clock;
            private NodeRuntime.Factory executors;

            private Builder(Tuning t) {
                clock = t.clock;
                executors = t.executors;
                readTimeout = t.readTimeout;
                clientTimeout = t.clientTimeout;
                backoff = t.backoff;
                poll = t.poll;
                maxMessageBytes = t.maxMessageBytes;
                maxEnvelopeBytes = t.maxEnvelopeBytes;
                reloadEvery = t.reloadEvery;
            }

            /** How long a peer or client may send nothing (also the request-head deadline). */
            public Builder readTimeout(Duration d) {
                readTimeout = d;
                return this;
            }

            /** How long this node waits for a peer when delivering. */
            public Builder clientTimeout(Duration d) {
                clientTimeout = d;
                return this;
            }

            public Builder backoff(Backoff b) {
                backoff = b;
                return this;
            }

            /** How often the delivery worker looks for due deliveries when nothing woke it. */
            public Builder poll(Duration d) {
                poll = d;
                return this;
            }

            public Builder maxMessageBytes(long n) {
                maxMessageBytes = n;
                return this;
            }

            public Builder maxEnvelopeBytes(int n) {
                maxEnvelopeBytes = n;
                return this;
            }

            /** How often the directory and CRL files are checked for a newer version. */
            public Builder reloadEvery(Duration d) {
                reloadEvery = d;
                return this;
            }

            /**
             * The node's time: deadlines, backoff, retention, parked uploads, certificate and receipt
             * checks (tests move it instead of sleeping; production keeps the system clock).
             */
            public Builder clock(java.time.Clock c) {
                clock = c;
                return this;
            }

            /** Where the node's executors come from (tests count or queue them; production keeps {@code NodeRuntime.SYSTEM}). */
            public Builder executors(NodeRuntime.Factory f) {
                executors = f;
                return this;
            }

            public Tuning build() {
                return new Tuning(readTimeout, clientTimeout, backoff, poll, maxMessageBytes, maxEnvelopeBytes, reloadEvery, clock,
                        executors);
            }
        }
    }

    private final Path configFile;
    private final NodeConfig config;
    private final AuthorityId me;
    /** The directory and CRLs, the node's keys and the TLS contexts made from them, reloaded when their files change. */
    private final TrustHolder trust;
    private DirectoryTrustManager trustManager;
    private AuthFailures authFailures;
    /** Hybrid TLS: groups offered, negotiated groups audited and counted, no downgrade (see HybridTls). */
    private TlsHandshakes tlsHandshakes;
    /** Two envelopes of the largest size per connection, sixteen for the node (64 MiB with the defaults). */
    private final BufferBudget buffers;
    private final MessageStore store;
    private final BlobStore blobs;
    private final EvidenceIssuer evidence;
    private final StagedTransfers transfers;
    private final AuditLog audit;
    private final Tuning tuning;
    /** Bound by {@link #start()}; null before. */
    private volatile PeerServer server;
    private final PeerClient client;
    private final Stages stages;
    private final Retention retention;
    private final DeliveryWorker worker;
    private final PeerLogs peerLogs;
    private final Witness witness;
    private final Submitter submitter;
    private final PeerSchemas peerSchemas;
    private final Outbox outbox;
    private final NodeMetrics metrics = new NodeMetrics();
    private volatile AdminServer admin;
    private volatile LocalServer local;
    private volatile boolean running;
    /** Set by the first {@link #start()} and by {@link #close()}: a node starts at most once. */
    private final java.util.concurrent.atomic.AtomicBoolean startedOrClosed = new java.util.concurrent.atomic.AtomicBoolean();
    private final FederationDirectory directoryAtOpen;
    private final PeerIdentity identity;
    private final String configSha256;
    private final int recoveredAtOpen;
    /** What the audit log's tail says a crash left half-done (read once at open). */
    private final CrashRecovery recovery;
    /** The clock and the executors, built once here and handed to the parts (see NodeRuntime). */
    private final NodeRuntime runtime;
    private final ScheduledExecutorService reloader;
    /** The overdue-request gauges' counts, made off the scrape. */
    private final OverdueCounts overdue;
    private final ScheduledExecutorService overdueCounter;

    private GatewayNode(Path configFile, NodeConfig.Loaded loaded, AuditLog audit, Tuning tuning) throws Exception {
        this.configFile = configFile;
        this.config = loaded.config();
        this.me = AuthorityId.of(config.authority());
        this.audit = audit;
        this.tuning = tuning;
        var tail = CrashRecovery.parseAsync(audit.recentAtOpen()); // parsed while the trust, keys and store open
        this.runtime = new NodeRuntime(tuning.clock(), tuning.executors());
        this.reloader = runtime.scheduler("liaison-reload");
        this.buffers = new BufferBudget(2L * tuning.maxEnvelopeBytes(), 16L * tuning.maxEnvelopeBytes());
        Instant now = clock().instant();
        this.trust = new TrustHolder(config, configFile, me, audit, clock(), now);
        FederationDirectory directory = trust.trust().directory();
        checkAuditKey(directory);

        Path data = path(config.dataDir());
        List<AutoCloseable> opened = new java.util.ArrayList<>();
        NodeConfig.Store storeConfig = config.store();
        if (storeConfig != null && storeConfig.isPostgresql()) {
            PostgresMessageStore pg = PostgresMessageStore.open(storeConfig.url(),
                    storeConfig.user(), Passwords.fromFile(path(storeConfig.passwordFile())), storeConfig.poolSize(), data,
                    config.effectiveNodeId());
            this.store = pg;
        } else {
            this.store = SqliteMessageStore.open(data.resolve("messages.db"));
        }
        opened.add(store);
        try {
            this.blobs = new BlobStore(data.resolve("blobs"));
            this.peerSchemas = new PeerSchemas(data.resolve("peer-schemas"), runtime.scheduler("liaison-peer-schemas"));
            this.evidence = new EvidenceIssuer(this, data.resolve(EvidenceIssuer.FOLDER),
                    trustedTime(config.timestamping(), configFile, audit::checkpoint, clock(), data),
                    new EvidenceContainer.Pins(path(config.directory().operatorCa()),
                            path(config.directory().operatorCrl())));
            // A folder shared by the authority's nodes (PostgreSQL store): another node may be writing in it now.
            blobs.cleanStaging(store instanceof PostgresMessageStore ? Duration.ofHours(1) : Duration.ZERO);
            // A staged transfer dropped unfinished is counted and audited: the sender's resume point is gone.
            this.transfers = new StagedTransfers(data.resolve("blobs").resolve("transfers"),
                    (sender, id, bytes, why) -> {
                        metrics.transferDropped(why);
                        audit.record(AuditEvent.of(clock(), "transfer-dropped", me.value(), id.toString(), sender.value(), "dropped",
                                (why.equals("budget") ? "more than " + StagedTransfers.MAX_PER_PEER
                                        + " transfers staged from " + sender : "abandoned for "
                                        + StagedTransfers.KEEP.toDays() + " days") + "; " + bytes
                                        + " bytes staged").with("bytes", Long.toString(bytes)));
                    });
            transfers.removeAbandoned(now);
            metrics.bindStagedTransfers(transfers::stagedCountAndBytes);
            int recovered = store.deliveries().recoverInterrupted(now);
            this.recovery = CrashRecovery.read(CrashRecovery.await(tail), store.inbox()::holds);
            if (store instanceof PostgresMessageStore pg) {
                metrics.bindStore(store.deliveries()::countByState, () -> pg.sizeBytes());
            } else {
                metrics.bindStore(store.deliveries()::countByState, data.resolve("messages.db"));
            }
            this.overdueCounter = runtime.scheduler("liaison-overdue");
            this.overdue = new OverdueCounts(deadlines::overdue, deadlines::overdueSent, clock(), overdueCounter,
                    OverdueCounts.EVERY, System::nanoTime); // a scrape reads the last count (see OverdueCounts)
            metrics.bindOverdue(overdue::received, overdue::sent);
            // Deadlines the audit log records as passed already (a restart does not record them again).
            deadlines.alreadyReported(recovery.deadlinesPassed());
            deadlines.fillListings(); // rows stored before the listing columns were kept: once, a page per transaction
            metrics.bindValidity(() -> Validity.certificates(trust.keys(), trust.trust().directory(), me, trust.operatorCa()),
                    () -> Validity.crls(trust.trust().crls()), () -> Validity.directory(trust.trust().directory()), data, clock());

            this.identity = new PeerIdentity(trust::trust, clock());
            this.authFailures = new AuthFailures(audit, metrics::tlsFailure, Duration.ofMinutes(1), clock());
            this.trustManager = new DirectoryTrustManager(identity, authFailures);
            SslProvider tlsProvider = TlsContexts.provider(config.tlsProvider());
            this.tlsHandshakes = new TlsHandshakes(me, trust::trust, audit, metrics::tlsHandshake, clock());
            opened.add(tlsHandshakes);
            HybridTls.requireProvider(directory, me, tlsProvider);
            trust.useTls(tlsProvider, k -> contexts(k, tlsProvider), this::retireConnections);
            this.client = new PeerClient(() -> trust.contexts().peerClient(), identity, tuning.clientTimeout(), tlsHandshakes, runtime);
            metrics.bindPayloadSent(client::payloadBytesSent);
            opened.add(client);
            this.peerLogs = new PeerLogs(data.resolve("audit-peers"), audit, this::proveFor,
                    (peer, reason) -> metrics.peerLogAlarm(peer.value()),
                (peer, outcome) -> metrics.peerLogCheck(peer.value(), outcome.name().toLowerCase(java.util.Locale.ROOT)),
                Duration.ofSeconds(5),
                peer -> trust.trust().directory().authority(peer).map(FederationDirectory.Entry::auditLogKeys).orElse(List.of()), clock());
            opened.add(peerLogs);
            peerLogs.requireQuorum(peer -> trust.trust().directory().witnessing().of(peer).isPresent()
                    ? trust.trust().directory().witnessing().policy(peer) : null, PeerLogs.QUORUM_GRACE);
            // This node as a witness of the logs the directory names, and the submitter of its own checkpoints to its witnesses.
            this.witness = new Witness(data.resolve("witness"), me, WitnessKeys
                    .forNode(configFile.toAbsolutePath().getParent(), data, me), () -> trust.trust().directory(), audit,
                    WitnessWiring.witnessEvents(metrics), clock());
            WitnessWiring.checkListed(directory, me, witness.key());
            this.submitter = new Submitter(data.resolve("audit-cosigned"), me, audit, () -> trust.trust().directory(),
                    this::askWitness,
                    WitnessWiring.submitterEvents(metrics), clock());
            opened.add(submitter);
            this.retention = new Retention(this, Retention.periods(config.retention()));
            this.outbox = new Outbox(this);
            this.worker = new DeliveryWorker(this, client, tuning.backoff(), runtime);
            outbox.onSealed(worker::sealed);
            outbox.onStored(worker::wake);
            opened.add(worker);
            this.stages = new Stages(this, client, tuning.backoff(), runtime);
            opened.add(stages);
            this.directoryAtOpen = directory;
            this.configSha256 = loaded.sha256(); // of the bytes that were parsed
            this.recoveredAtOpen = recovered;
        } catch (Exception | Error e) {
            // An open that fails half-way releases what it had opened.
            runtime.close();
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * Binds the peer, local and admin ports, starts delivering, and records the start in the audit
     * log. Everything that can be checked without doing so (configuration, keys, directory, store,
     * audit log) was checked by {@link #open}. A start that fails half-way (a port taken, say)
     * releases everything, as {@link #close()} does, and throws.
     *
     * @throws IllegalStateException when the node was started or closed already
     */
    public GatewayNode start() throws Exception {
        if (!startedOrClosed.compareAndSet(false, true)) {
            throw new IllegalStateException(me + " gateway: start() after a start or a close");
        }
        try {
            this.server = new PeerServer(config.peer().host(), config.peer().port(), () -> trust.contexts().peerServer(), identity,
                    authFailures, tlsHandshakes, this, tuning.readTimeout(), tuning.maxMessageBytes(), runtime);
            this.local = new LocalServer(config.local().host(), config.local().port(),
                    () -> tlsHandshakes.hybridHere() ? trust.contexts().localHybrid().get() : trust.contexts().local(), this, outbox,
                    tuning.readTimeout(), authFailures, tlsHandshakes, runtime);
            this.admin = new AdminServer(config.admin().host(), config.admin().port(), metrics,
                    this::ready);
            worker.start(tuning.poll());
            stages.start(tuning.poll());
            evidence.start(metrics);
            submitter.start(WitnessWiring.EVERY);
            running = true;
            removeOrphans();
            overdue.refreshIfDue(); // the first count, on its own thread: a value for the first scrape
            reloader.scheduleWithFixedDelay(this::reload, tuning.reloadEvery().toMillis(), tuning.reloadEvery().toMillis(),
                    TimeUnit.MILLISECONDS);
            // The configuration's digest: a change between two runs shows in the log.
            audit.record(AuditEvent.of(clock(), "start", me.value(), null, null, "ok", "directory #" + directoryAtOpen.sequence())
                    .with("configSha256", configSha256)
                    .with("tlsCertificateSha256", trust.keys().tls().fingerprint().hex()));
        } catch (Exception | Error e) {
            try {
                shutDown.set(true);
                releaseAll(false);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        LOG.info("{} gateway started: peer API on {}:{}, local API on {}:{}, admin on {}:{}, directory #{} ({} authorities), "
                + "peer TLS by {}, TLS certificate SHA-256 {}{}", me, config.peer().host(), server.port(), config.local().host(),
                local.port(), config.admin().host(), admin.port(), directoryAtOpen.sequence(), directoryAtOpen.authorities().size(),
                trust.tlsProvider() == SslProvider.OPENSSL ? "OpenSSL (BoringSSL)" : "the JDK", trust.keys().tls().fingerprint(),
                recoveredAtOpen > 0 ? ", " + recoveredAtOpen + " interrupted deliveries resumed" : "");
        return this;
    }

    /**
     * Opens a node without starting it: reads its configuration file once, checks its keys against
     * the directory, opens its store and its audit log ({@code dataDir/audit}, checkpoints signed
     * every two seconds while events flow), recovers what a crash interrupted. No port is bound and
     * nothing is delivered until {@link #start()}; {@link #close()} releases it either way.
     */
    public static GatewayNode open(Path configFile, Tuning tuning) throws Exception {
        NodeConfig.Loaded loaded = NodeConfig.read(configFile); // read once
        Path auditDir = NodeConfig.resolve(configFile, loaded.config().dataDir()).resolve("audit");
        String origin = FederationSetup.auditLogName(AuthorityId.of(loaded.config().authority()));
        NodeConfig.Store store = loaded.config().store();
        AuditLog audit;
        if (store != null && store.isPostgresql()) {
            // Several nodes of one authority: one audit log, shared in the authority's database.
            audit = PostgresAuditLog.open(store.url(), store.user(),
                    Passwords.fromFile(NodeConfig.resolve(configFile, store.passwordFile())),
                    NodeConfig.resolve(configFile, loaded.config().auditKey()), origin, loaded.config().effectiveNodeId(),
                    Duration.ofSeconds(2), auditDir.resolveSibling("audit-snapshots").resolve(loaded.config().effectiveNodeId()),
                    tuning.clock());
        } else {
            audit = loaded.config().auditKey() == null
                    ? FileAuditLog.open(auditDir, origin, Duration.ofSeconds(2))
                    : FileAuditLog.open(auditDir, origin, Duration.ofSeconds(2),
                            NodeConfig.resolve(configFile, loaded.config().auditKey()));
        }
        try {
            return new GatewayNode(configFile, loaded, audit, tuning);
        } catch (Exception | Error e) {
            audit.close();
            throw e;
        }
    }

    /** Opens a node with the given audit log (tests); as {@link #open(Path, Tuning)} otherwise. */
    public static GatewayNode open(Path configFile, AuditLog audit, Tuning tuning) throws Exception {
        return new GatewayNode(configFile, NodeConfig.read(configFile), audit, tuning);
    }

    /** Opens a node from its configuration file (see {@link #open}) and starts it. */
    public static GatewayNode start(Path configFile) throws Exception {
        return start(configFile, Tuning.DEFAULT);
    }

    /** As {@link #start(Path)}, with other timings (tests). */
    public static GatewayNode start(Path configFile, Tuning tuning) throws Exception {
        return open(configFile, tuning).start();
    }

    /** As {@link #start(Path, Tuning)}, with the given audit log (tests). */
    public static GatewayNode start(Path configFile, AuditLog audit, Tuning tuning) throws Exception {
        return open(configFile, audit, tuning).start();
    }

    private Path path(String p) {
        return NodeConfig.resolve(configFile, p);
    }

    private TrustHolder.Contexts contexts(NodeKeys k, SslProvider tlsProvider) throws javax.net.ssl.SSLException {
        return new TrustHolder.Contexts(TlsContexts.server(k.tls(), trustManager, tlsProvider), TlsContexts.client(k.tls(), trustManager, tlsProvider),
                LocalServer.context(k.tls(), this, authFailures),
                HybridTls.lazily(() -> LocalServer.hybridContext(k.tls(), this, authFailures)));
    }

    /** The directory, when it lists this authority's audit log keys, must list the one this node's log signs with. */
    private void checkAuditKey(FederationDirectory directory) throws ProtocolException {
        String mine = audit.verifierKey();
        if (mine != null && !directory.require(me).acceptsAuditLogKey(mine)) {
            throw new IllegalStateException("the audit log key of this node (" + mine + ") is not one directory #"
                    + directory.sequence() + " lists for " + me + ": peers and auditors would refuse its checkpoints"
                    + " (list it with 'liaison directory edit --add audit=KEY', or set auditKey in node.yaml to the listed key's file)");
        }
    }

    /** New keys are in use: pooled connections made with the old ones retire. */
    private void retireConnections() {
        client.retireConnections();
    }

    private void reload() {
        authFailures.flush(false); // summaries of refusal windows that ended: no count waits for the next refusal
        trust.reloadTrust();
        trust.reloadKeys();
        auditPassedDeadlines();
        try {
            retention.sweepIfDue(clock().instant());
        } catch (RuntimeException e) {
            LOG.warn("cannot apply retention: {}", e.toString());
        }
        removeOrphans();
        try { // a read folds PostgreSQL's appended delivery counts when due: a node nobody scrapes keeps them few too
            store.deliveries().countByState();
        } catch (RuntimeException e) {
            LOG.warn("cannot read the delivery counts: {}", e.toString());
        }
    }

    /** When to look for orphan payload folders next: at start, then once per {@link Outbox#ORPHAN_GRACE}. */
    private Instant nextOrphanSweep = Instant.MIN;

    /** Outbox payload folders no message refers to (a crash between a seal and its storing): see {@link Outbox#removeOrphans}. */
    private void removeOrphans() { // at start, then on the reloader thread only
        Instant now = clock().instant();
        if (now.isBefore(nextOrphanSweep)) {
            return;
        }
        nextOrphanSweep = now.plus(Outbox.ORPHAN_GRACE); // each folder costs a store lookup: not at every reload
        try {
            outbox.removeOrphans(now);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot look for orphan payload folders: {}", e.toString());
        }
    }

    /** Retention and deletion (see {@link Retention}). */
    public Retention retention() {
        return retention;
    }

    public Outbox outbox() {
        return outbox;
    }

    /** The client this node delivers with (its pooled connections to peers). */
    public PeerClient peerClient() {
        return client;
    }

    public int peerPort() {
        return bound(server).port();
    }

    public int localPort() {
        return bound(local).port();
    }

    public int adminPort() {
        return bound(admin).port();
    }

    @Override
    public NodeMetrics metrics() {
        return metrics;
    }

    public NodeConfig config() {
        return config;
    }

    @Override
    public Credential encryption() {
        return trust.keys().encryption();
    }

    @Override
    public List<java.security.PrivateKey> decryptionKeys() {
        return trust.keys().decryptionKeys();
    }

    private final OnwardTransfers onward = new OnwardTransfers(this);

    private final Deadlines deadlines = new Deadlines(this);

    @Override
    public void receivedPackage(AuthorityId from, java.util.UUID messageId, java.util.UUID inReplyTo,
            Manifest manifest) {
        onward.received(from, messageId, manifest);
        overdue.changed();
        stages.replyReceived(from, inReplyTo, messageId);
    }

    @Override
    public void sealedReply(java.util.UUID inReplyTo) {
        store.inbox().received(inReplyTo).ifPresent(r -> stages.replied(inReplyTo, r.sender()));
        overdue.changed();
    }

    @Override
    public boolean replyReceivedFor(java.util.UUID messageId) {
        return deadlines.replyReceivedFor(messageId);
    }

    /** Audits, once, each request sent from here whose deadline passed without a reply (the reload loop calls it). */
    private void auditPassedDeadlines() {
        try {
            deadlines.auditPassed(clock().instant(), evidence::deadlinePassed);
        } catch (RuntimeException e) {
            LOG.warn("cannot check deadlines: {}", e.toString());
        }
    }

    @Override
    public CaseAccess.Mode caseAccess() {
        return CaseAccess.Mode.of(config.caseAccess());
    }

    @Override
    public Stages stages() {
        return stages;
    }

    @Override
    public void noticeReceived(AuthorityId peer, byte[] xml) throws ProtocolException {
        stages.received(peer, xml);
    }

    /** Whether a reply to the received request {@code messageId} was sealed here. */
    public boolean isAnswered(java.util.UUID messageId) {
        return deadlines.isAnswered(messageId);
    }

    @Override
    public void checkOnwardTransfer(Manifest outgoing, List<AuthorityId> recipients) throws ProtocolException {
        onward.check(outgoing, recipients);
    }

    /** The keys in use now. */
    public NodeKeys keys() {
        return trust.keys();
    }

    @Override
    public AuthorityId me() {
        return me;
    }

    @Override
    public Trust trust() {
        return trust.trust();
    }

    @Override
    public MessageStore store() {
        return store;
    }

    @Override
    public EvidenceIssuer evidence() {
        return evidence;
    }

    @Override
    public BlobStore blobs() {
        return blobs;
    }

    /** Payload bytes this node's deliveries put on the wire (see {@link PeerClient#payloadBytesSent}). */
    public long payloadBytesSent() {
        return client.payloadBytesSent();
    }

    @Override
    public StagedTransfers transfers() {
        return transfers;
    }

    @Override
    public AuditLog audit() {
        return audit;
    }

    @Override
    public PeerLogs peerLogs() {
        return peerLogs;
    }

    @Override
    public java.util.Optional<Witness> witness() {
        return java.util.Optional.of(witness);
    }

    /** Posts an add-checkpoint body to {@code witness}'s peer API; its answer whatever the status. */
    public PeerClient.Answer askWitness(AuthorityId witness, byte[] body)
            throws ProtocolException {
        return WitnessWiring.post(client, trust.trust().directory(), witness, body);
    }

    @Override
    public List<LocalNode.Witnessed> askWitnesses() {
        List<LocalNode.Witnessed> out = new java.util.ArrayList<>();
        for (AuthorityId w : trust.trust().directory().witnessing().of(me).map(l -> l.witnesses()).orElse(List.of())) {
            try {
                out.add(new LocalNode.Witnessed(w, witnessedCheckpoint(w, me), null));
            } catch (ProtocolException e) {
                out.add(new LocalNode.Witnessed(w, null, e.getMessage() + " [" + e.code().code() + "]"));
            }
        }
        return out;
    }

    /** The latest checkpoint of {@code log} that {@code witness} cosigned (its monitoring answer). */
    public String witnessedCheckpoint(AuthorityId witness, AuthorityId log) throws ProtocolException {
        return WitnessWiring.latest(client, trust.trust().directory(), witness, log);
    }

    @Override
    public PeerSchemas peerSchemas() {
        return peerSchemas;
    }

    @Override
    public String cosignedCheckpoint() {
        String q = submitter.latestWithQuorum();
        return q != null ? q : submitter.latest();
    }

    /** Gets this node's checkpoints cosigned by its witnesses (see {@link org.liaison.gateway.witness.Submitter}). */
    public Submitter submitter() {
        return submitter;
    }

    /**
     * Asks {@code peer} over the peer API for its log key and a consistency proof: at each endpoint the
     * directory lists for it in turn (the nodes of a cluster share one log), as deliveries do, until one answers.
     */
    private PeerLogs.Proof proveFor(AuthorityId peer, long from, long to)
            throws ProtocolException {
        List<String> endpoints = trust.trust().directory().require(peer).endpoints();
        ProtocolException last = null;
        for (String e : endpoints) {
            try {
                byte[] body = client.get(peer, java.net.URI.create(e),
                        ReceiveHandler.CONSISTENCY_PATH + "?from=" + from + "&to=" + to);
                return AuditProofs.readProof(body);
            } catch (ProtocolException failed) {
                LOG.debug("no consistency proof from {} at {}: {}", peer, e, failed.getMessage());
                last = failed;
            }
        }
        if (last == null) {
            throw new ProtocolException(ErrorCode.UNAVAILABLE, peer + " lists no endpoint");
        }
        throw last;
    }

    @Override
    public Credential signing() {
        return trust.keys().signing();
    }

    @Override
    public int maxEnvelopeBytes() {
        return tuning.maxEnvelopeBytes();
    }

    /** The least free space in the data folder under which the node is not ready (it could not write durably). */
    static final long MIN_FREE_BYTES = 16L << 20;

    /**
     * Ready to take work: running, with a current directory, an audit log that can write, and room
     * in the data folder. Not ready while the disk is full; ready again by itself when space returns.
     */
    boolean ready() {
        if (!running || !clock().instant().isBefore(trust.trust().directory().nextUpdate()) || !audit.healthy()) {
            return false;
        }
        try {
            return Files.getFileStore(path(config.dataDir())).getUsableSpace() >= MIN_FREE_BYTES;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Override
    public boolean receiveLoggedBeforeACrash(AuthorityId sender, java.util.UUID messageId) {
        return recovery.receiveLoggedBeforeACrash(sender, messageId);
    }

    @Override
    public void receiveLoggedNotStored(AuthorityId sender, java.util.UUID messageId) {
        recovery.receiveLoggedNotStored(sender, messageId);
    }

    @Override
    public void peerIsUp(AuthorityId peer) {
        worker.peerIsUp(peer);
    }

    @Override
    public java.time.Clock clock() {
        return runtime.clock();
    }

    @Override
    public BufferBudget buffers() {
        return buffers;
    }

    /**
     * Graceful stop: no new connections, deliveries in flight finish or are parked, then the store
     * closes. Exception-safe: every part is closed even when one fails (the failures are logged,
     * and the first is thrown, with the others suppressed, once everything was released).
     */
    @Override
    public void close() {
        startedOrClosed.set(true);
        if (shutDown.compareAndSet(false, true)) { // once: a second close, or a close after a failed start, does nothing
            releaseAll(server != null);
        }
    }

    /** Set by the first release of everything (a close, or a start that failed). */
    private final java.util.concurrent.atomic.AtomicBoolean shutDown = new java.util.concurrent.atomic.AtomicBoolean();

    private void releaseAll(boolean recordStop) {
        running = false;
        RuntimeException first = null;
        Runnable[] steps = {() -> ifBound(server, PeerServer::stopAccepting), () -> ifBound(local, l -> l.stopAccepting()),
            () -> GracefulStop.stop(reloader, "trust reload"), () -> GracefulStop.stop(overdueCounter, "overdue counts"),
            worker::close, stages::close, evidence::close, peerLogs::close, submitter::close,
            () -> ifBound(server, PeerServer::close), peerSchemas::close, client::close, () -> ifBound(admin, a -> a.close()), () -> ifBound(local, l -> l.close()),
            outbox::close, authFailures::close, tlsHandshakes::close,
            () -> {
                if (recordStop) {
                    audit.record(AuditEvent.of(clock(), "stop", me.value(), null, null, "ok", null));
                }
            }, store::close, audit::close, runtime::close};
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                LOG.error("while stopping: {}", e.toString());
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        LOG.info("{} gateway stopped", me);
        if (first != null) {
            throw first;
        }
    }

    private <T> T bound(T server) {
        if (server == null) {
            throw new IllegalStateException(me + " gateway is not started: no port is bound yet");
        }
        return server;
    }

    private static <T> void ifBound(T server, java.util.function.Consumer<T> step) {
        if (server != null) {
            step.accept(server);
        }
    }

    /** The trusted time a node's configuration asks for, or {@code null} when it names no TSA. */
    private static TrustedTime trustedTime(NodeConfig.Timestamping t, Path configFile, java.util.function.Supplier<String> checkpoint,
            java.time.Clock clock, Path data) throws IOException {
        if (t == null) {
            return null;
        }
        List<java.security.cert.X509Certificate> chain = Pem.readCertificates(
                NodeConfig.resolve(configFile, t.certificates()));
        return new TrustedTime(new TimeStamps.Authority(java.net.URI.create(t.url()), chain, Duration.ofSeconds(30)), checkpoint, clock,
                data.resolve(TrustedTime.FOLDER), t.maxWithout() == null ? null : Duration.ofSeconds(t.maxWithout()),
                t.every() == null ? null : Duration.ofSeconds(t.every()));
    }

}
