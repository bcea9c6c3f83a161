package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.SecretKey;
import org.liaison.certs.Credential;
import org.liaison.certs.Fingerprint;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.BulkLoad;
import org.liaison.gateway.store.MessageStore;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.envelope.EnvelopeHeader;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.envelope.PayloadInfo;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.model.Urgency;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;
import org.liaison.protocol.stream.PayloadCipher;
import org.liaison.protocol.xenc.ContentEncryption;

/**
 * Seeds AL-PP's real store and audit log (the node opened, not started) with N held messages for
 * {@code scripts/bench-history}: half received from IT-DNA, half sent to it, over 40 cases, the services and ten
 * years of dates (message {@code i} of N at {@code now - (N - i) * 10 years / N}); a fifth with a respond-by date,
 * one in eleven urgent.
 *
 * <p><b>What is sealed per message and what is shared.</b> The newest {@link #POOL} messages (all of them when N is
 * at most that) are each a package of their own: a manifest signed by the investigator, the file encrypted under
 * a fresh content key, the envelope sealed to the recipient and signed by the gateway, under the message's own id;
 * they are sealed in parallel. Every older message is a row of its own — its own message id, conversation id,
 * reception or creation date, respond-by date, case, service, urgency, listing columns, delivery row, payload
 * folder and audit entry — but its envelope bytes, signed manifest and payload ciphertext are those of the pool
 * package with the same case, service, direction, deadline and urgency (the one whose index is congruent modulo
 * {@link #POOL}): the envelope still names that package's id, conversation and dates, so a fetch of an older
 * message decrypts and verifies the pool package's content. Listings, the sweeps and start-up read columns, not
 * envelopes; the figures that read an envelope (fetch, acknowledge, status of one) use pool messages.
 *
 * <p>Not real either: the receipts stored with messages (bytes standing for them) and reception itself (no TLS
 * transfer: the row, payload and audit entry are written as reception writes them). Rows go through the store's
 * own calls ({@code storeReceived}, {@code storeOutgoing}, {@code transition}), a block of rows in one transaction
 * ({@link BulkLoad}); audit entries are appended and made durable by group commit (a file log: every
 * {@value #SYNC_EVERY}th entry of a writer waits for the fsync; the shared log on PostgreSQL: each append waits for the
 * commit it shares with the appends queued meanwhile).
 */
final class HistorySeeder {
    /** Packages sealed one by one: a multiple of 440 (40 cases × 11 for urgency), so that each pattern is in it. */
    static final int POOL = 1760;
    private static final int SYNC_EVERY = 256;
    private static final Service[] SERVICES = {Service.MLA_REQUEST, Service.MLA_REQUEST, Service.CONSULAR_NOTIFICATION,
        Service.EXTRADITION_REQUEST, Service.LAW_ENFORCEMENT_EXCHANGE};

    /** The ids the measurements use: received pool messages, newest first (fetch, acknowledge), and one sent pool message. */
    record Seeded(List<UUID> received, UUID sent, double sealSeconds, double writeSeconds) {}

    /** A sealed package of the pool. */
    private record Sealed(EnvelopeHeader header, byte[] envelope, String envelopeSha256, String manifestSha256, byte[] payload,
            int fileSize) {}

    private HistorySeeder() {}

    private static final java.util.concurrent.atomic.AtomicLong[] PH = {new java.util.concurrent.atomic.AtomicLong(),
        new java.util.concurrent.atomic.AtomicLong(), new java.util.concurrent.atomic.AtomicLong()};

    static Seeded seed(TestNodes t, FederationDirectory directory, MessageStore store, AuditLog audit, BlobStore blobs, int n,
            int threads) throws Exception {
        Credential itSigning = t.federation.pki().authority(IT).envelopeSigning();
        Credential alSigning = t.federation.pki().authority(AL).envelopeSigning();
        String alInvestigator = "SHA256:" + Fingerprint.of(t.investigator(AL).certificate()).hex();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        int pool = Math.min(n, POOL);
        int first = n - pool; // the pool: messages first .. n-1, the newest
        Sealed[] sealed = new Sealed[pool];
        ExecutorService workers = Executors.newFixedThreadPool(threads);
        try {
            long s0 = System.nanoTime();
            forEach(workers, threads, pool, k -> {
                int i = first + k;
                boolean in = i % 2 == 0;
                Service service = SERVICES[i % SERVICES.length];
                Instant at = dateOf(now, i, n);
                Instant respondBy = i % 5 == 1 ? at.plus(Duration.ofDays(30)) : null;
                Urgency urgency = i % 11 == 0 ? Urgency.URGENT : null;
                byte[] file = ("history " + i).getBytes(StandardCharsets.UTF_8);
                byte[] manifest = Manifests.sign(new ManifestSpec(caseOf(i), service, in ? IT : AL, List.of(in ? AL : IT),
                        null, Instrument.UNTOC, "18", "", Classification.RESTRICTED, Set.of(), null, respondBy, urgency),
                        List.of(new FileEntry("file.txt", "text/plain", file.length, Envelopes.sha256(file),
                                List.of(new FileEntry.Custody("bench", now, "bench", "")))),
                        t.investigator(in ? IT : AL), UUID.randomUUID(), now);
                SecretKey cek = ContentEncryption.newContentKey();
                ByteArrayOutputStream ct = new ByteArrayOutputStream();
                try (OutputStream enc = PayloadCipher.encrypt(cek, 0, PayloadCipher.DEFAULT_SEGMENT_SIZE, ct)) {
                    enc.write(file);
                }
                byte[] payload = ct.toByteArray();
                List<PayloadInfo> payloads = List.of(new PayloadInfo(0, PayloadCipher.DEFAULT_SEGMENT_SIZE, payload.length,
                        Envelopes.sha256(payload)));
                EnvelopeHeader h = new EnvelopeHeader(UUID.randomUUID(), UUID.randomUUID(), null, now, now.plus(Duration.ofDays(7)),
                        in ? IT : AL, List.of(in ? AL : IT), null, service, "submit");
                byte[] env = Envelopes.seal(h, directory, manifest, payloads, cek, in ? itSigning : alSigning);
                sealed[k] = new Sealed(h, env, Envelopes.sha256(env), Envelopes.sha256(manifest), payload, file.length);
            });
            double sealSeconds = (System.nanoTime() - s0) / 1e9;
            long w0 = System.nanoTime();
            List<UUID> received = java.util.Collections.synchronizedList(new ArrayList<>());
            UUID[] sent = new UUID[1];
            long cpu0 = processCpuNanos();
            ThreadLocal<List<Runnable>> pending = ThreadLocal.withInitial(ArrayList::new);
            Row flush = ignored -> { // a block's rows in one transaction where the store can (one commit per block)
                List<Runnable> calls = pending.get();
                long b0 = System.nanoTime();
                Runnable all = () -> calls.forEach(Runnable::run);
                if (store instanceof BulkLoad bulk) {
                    bulk.inOneTransaction(all);
                } else {
                    all.run();
                }
                PH[2].addAndGet(System.nanoTime() - b0);
                calls.clear();
            };
            forEach(workers, threads, n, flush, new Row() {
                private final ThreadLocal<int[]> written = ThreadLocal.withInitial(() -> new int[1]);

                @Override
                public void write(int i) throws Exception {
                    List<Runnable> later = pending.get();
                    boolean mine = i >= first; // a pool package under its own id, or a row sharing one
                    Sealed p = sealed[Math.floorMod(i - first, pool)];
                    boolean in = i % 2 == 0;
                    Service service = SERVICES[i % SERVICES.length];
                    Instant at = dateOf(now, i, n);
                    Instant respondBy = i % 5 == 1 ? at.plus(Duration.ofDays(30)) : null;
                    Urgency urgency = i % 11 == 0 ? Urgency.URGENT : null;
                    EnvelopeHeader h = mine ? p.header() : new EnvelopeHeader(UUID.randomUUID(), UUID.randomUUID(), null,
                            p.header().created(), p.header().expires(), p.header().from(), p.header().to(), null, service, "submit");
                    UUID id = h.messageId();
                    long t0 = System.nanoTime();
                    Path folder = in ? blobs.inbox(IT, id) : blobs.outbox(id);
                    Files.createDirectories(folder);
                    Files.write(BlobStore.payload(folder, 0), p.payload());
                    String caseRef = caseOf(i);
                    boolean sync = ++written.get()[0] % SYNC_EVERY == 0;
                    long t1 = System.nanoTime();
                    PH[0].addAndGet(t1 - t0);
                    if (in) {
                        MessageStore.Listing listing = new MessageStore.Listing(service.value(), "restricted", List.of(), 1, p.fileSize(),
                                respondBy, urgency == null ? null : urgency.value(), h.conversationId(), null);
                        byte[] receipt = p.envelopeSha256().getBytes(StandardCharsets.US_ASCII);
                        log(audit, AuditEvent.of("receive", IT.value(), id.toString(), IT.value(), "accepted", null).about(h)
                                .with("case", caseRef), sync);
                        PH[1].addAndGet(System.nanoTime() - t1);
                        later.add(() -> store.inbox().storeReceived(new MessageStore.Received(IT, id, at, p.envelope(), p.envelopeSha256(), receipt,
                                folder, null, caseRef, listing)));
                        if (mine) {
                            received.add(id);
                        }
                    } else {
                        log(audit, AuditEvent.of("submit-accepted", alInvestigator, id.toString(), null, "ok", null).about(h), sync);
                        boolean passed = respondBy != null && respondBy.isBefore(now); // as the node did when it passed
                        if (passed) {
                            log(audit, AuditEvent.of("deadline-passed", AL.value(), id.toString(), null, "overdue",
                                    "no reply received by the requested date"), false);
                        }
                        PH[1].addAndGet(System.nanoTime() - t1);
                        later.add(() -> {
                            store.sent().storeOutgoing(new MessageStore.Outgoing(id, at, at.plus(Duration.ofDays(7)), p.envelope(), null, folder,
                                    p.manifestSha256(), p.envelopeSha256(), alInvestigator, respondBy, caseRef, MessageStore.Sealed.of(h)),
                                    List.of(IT), at);
                            store.deliveries().transition(id, IT, MessageStore.State.QUEUED, new MessageStore.Send(at.plusSeconds(60)));
                            store.deliveries().transition(id, IT, MessageStore.State.SENDING, new MessageStore.Deliver(1, new byte[] {'r'},
                                    at.plusSeconds(1)));
                            if (passed) {
                                store.sent().deadlinesAudited(List.of(id), respondBy);
                            }
                        });
                        if (mine) {
                            synchronized (sent) {
                                sent[0] = id;
                            }
                        }
                    }
                }
            });
            // The last entries of each writer: made durable before the node is started.
            audit.record(AuditEvent.of("bench-seeded", AL.value(), null, null, "ok", n + " messages"));
            double writeSeconds = (System.nanoTime() - w0) / 1e9;
            System.out.printf("N=%d: rows: %.2f ms of process CPU per message; wall time summed over threads: payload folders %.1f s,"
                    + " audit %.1f s, store %.1f s%n", n, (processCpuNanos() - cpu0) / 1e6 / n, PH[0].get() / 1e9, PH[1].get() / 1e9,
                    PH[2].get() / 1e9);
            List<UUID> ids = new ArrayList<>(received);
            ids.sort(java.util.Comparator.comparing((UUID u) -> u)); // a stable order; any received pool message serves
            return new Seeded(ids, sent[0], sealSeconds, writeSeconds);
        } finally {
            workers.shutdown();
        }
    }

    private static void log(AuditLog audit, AuditEvent e, boolean sync) {
        if (sync) {
            audit.record(e); // waits for the fsync that covers every entry appended before it (group commit)
        } else {
            audit.append(e);
        }
    }

    static String caseOf(int i) {
        return "OP-HIST-" + i % 40;
    }

    /** Ten years of dates, the newest last. */
    static Instant dateOf(Instant now, int i, int n) {
        return now.minus(Duration.ofMinutes((long) ((n - i) * (10L * 365 * 24 * 60) / (double) n)));
    }

    private interface Row {
        void write(int i) throws Exception;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void forEach(ExecutorService workers, int threads, int count, Row row) throws Exception {
        forEach(workers, threads, count, ignored -> { }, row);
    }

    /**
     * Rows 0..count-1 over {@code threads} workers, each taking consecutive blocks (so that rows go in in date order,
     * roughly); {@code endOfBlock} after each block.
     */
    private static void forEach(ExecutorService workers, int threads, int count, Row endOfBlock, Row row) throws Exception {
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        int block = 128;
        List<Future<?>> work = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            work.add(workers.submit(() -> {
                for (int start; (start = next.getAndAdd(block)) < count; ) {
                    for (int i = start; i < Math.min(count, start + block); i++) {
                        row.write(i);
                    }
                    endOfBlock.write(start);
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
    }
}
