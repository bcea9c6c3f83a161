package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.SecretKey;
import org.liaison.certs.Credential;
import org.liaison.certs.Role;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.node.Retention;
import org.liaison.gateway.store.BlobStore;
import org.liaison.gateway.store.MessageStore;
import org.liaison.gateway.store.SqliteMessageStore;
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
 * {@code scripts/bench-history N...} (issue 26): a node holding N messages, measured through its real local API.
 * For each N: a federation; N messages seeded into AL-PP's store and audit log with the node stopped (half
 * received from IT-DNA, half sent to it; each a real package — a manifest signed by the investigator, the file
 * encrypted, the envelope sealed and signed by the gateway — over 40 cases, the services and ten years of
 * dates; a fifth with a respond-by date, some urgent, some answered), through the real store and audit log, in
 * parallel; then {@code liaison serve} started as its own process (start-up: until the local API answers), and
 * this process, a warm client with the CLI's LocalClient, measures: the inbox's first page with and without
 * filters, the 500th page by cursor, the status of one message, the fetch of a small package, acknowledge;
 * the node's peak RSS (VmHWM) at the end. The node stopped, the deadline and retention sweeps are timed on
 * the same store, in this process. Every figure: p50 and p99 (milliseconds); the ratios of the last N to the first.
 *
 * <p>What is not real: the receipts stored with seeded messages (bytes that stand for them: a receipt is
 * verified by the sender, not read here) and the received messages' reception (no TLS transfer: the row, the
 * payload and the audit entry are written as reception writes them).
 */
public final class HistoryBenchmark {
    private static final int ROUNDS = 30;

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        for (String a : args) {
            sizes.add(Integer.parseInt(a));
        }
        if (sizes.isEmpty()) {
            sizes = List.of(1000, 100_000);
        }
        String classpath = System.getProperty("java.class.path");
        List<Map<String, double[]>> results = new ArrayList<>();
        for (int n : sizes) {
            Path dir = Files.createTempDirectory("liaison-history-" + n + "-");
            Map<String, double[]> r = run(dir, n, classpath);
            results.add(r);
            if (Boolean.getBoolean("liaison.bench.keep")) {
                System.out.println("kept: " + dir);
            } else {
                deleteTree(dir);
            }
        }
        System.out.println();
        StringBuilder head = new StringBuilder(String.format("%-34s", "figure (ms; p50 / p99)"));
        for (int n : sizes) {
            head.append(String.format("%22s", "N=" + n));
        }
        if (sizes.size() > 1) {
            head.append(String.format("%18s", "ratio last/first"));
        }
        System.out.println(head);
        for (String k : results.get(0).keySet()) {
            StringBuilder line = new StringBuilder(String.format("%-34s", k));
            for (Map<String, double[]> r : results) {
                double[] v = r.get(k);
                line.append(v.length == 1 ? String.format("%22.1f", v[0]) : String.format("%13.1f / %6.1f", v[0], v[1]));
            }
            if (sizes.size() > 1) {
                double[] a = results.get(0).get(k);
                double[] b = results.get(results.size() - 1).get(k);
                line.append(a.length == 1 ? String.format("%18.2f", b[0] / a[0])
                        : String.format("%10.2f / %5.2f", b[0] / a[0], b[1] / a[1]));
            }
            System.out.println(line);
        }
    }

    private static Map<String, double[]> run(Path dir, int n, String classpath) throws Exception {
        // Seeded in memory (/dev/shm: no fsync to wait for), then copied to disk, where the node runs.
        Path shm = Path.of("/dev/shm");
        Path seedDir = Files.isDirectory(shm) ? Files.createTempDirectory(shm, "liaison-history-") : dir;
        Map<String, double[]> out = measure(seedDir, dir, n, classpath);
        if (!seedDir.equals(dir)) {
            deleteTree(seedDir);
        }
        return out;
    }

    /** Removes a folder and everything under it. */
    private static void deleteTree(Path dir) throws Exception {
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        try (var all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static Map<String, double[]> measure(Path seedDir, Path dir, int n, String classpath) throws Exception {
        TestNodes seeding = new TestNodes(seedDir.resolve("fed"));
        Path seedConfig = seeding.config(AL);
        // Keep everything (ten years of dates): the sweep then measures what it reads, not what it deletes.
        Files.writeString(seedConfig, Files.readString(seedConfig) + "\nretention:\n  default: P20Y\n");
        FederationDirectory directory;
        try (GatewayNode al = seeding.startLogged(AL)) {
            directory = al.trust().directory();
        }
        long s0 = System.nanoTime();
        Seeded seeded = seed(seeding, directory, TestNodesData.dataDir(seedConfig), n);
        double seedSeconds = (System.nanoTime() - s0) / 1e9;
        System.out.printf("N=%d: seeded in %.1f s (%.0f messages/s)%n", n, seedSeconds, n / seedSeconds);
        if (!seedDir.equals(dir)) {
            copy(seedDir, dir);
        }
        TestNodes t = new TestNodes(new org.liaison.gateway.config.FederationSetup.Result(dir.resolve("fed"), seeding.federation.pki(),
                seeding.federation.jitId(), seeding.federation.nodes(), relocated(seeding.federation.profiles(), seedDir, dir),
                seeding.federation.directorySequence()));
        Path config = t.config(AL);

        Map<String, double[]> out = new LinkedHashMap<>();
        out.put("seeding (messages/s)", new double[] {n / seedSeconds});
        Path profile = t.federation.profiles().get(AL).get(Role.INVESTIGATOR);
        Path log = dir.resolve("serve.log");
        long t0 = System.nanoTime();
        Process node = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
                "org.liaison.cli.Main", "serve", "--config", config.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            LocalClient client = new LocalClient(profile);
            while (true) {
                try {
                    client.page(org.liaison.gateway.local.LocalApi.INBOX + "?limit=1");
                    break;
                } catch (Exception notYet) {
                    if (!node.isAlive()) {
                        throw new IllegalStateException("the node stopped: " + Files.readString(log));
                    }
                    Thread.sleep(20);
                }
            }
            out.put("node start-up (until the API answers)", new double[] {(System.nanoTime() - t0) / 1e6});
            String inbox = org.liaison.gateway.local.LocalApi.INBOX;
            String messages = org.liaison.gateway.local.LocalApi.MESSAGES;
            for (int i = 0; i < 5; i++) { // warm the client and the node's paths
                client.page(inbox + "?limit=50");
                client.page(messages + "?limit=50");
            }
            out.put("inbox, first page (50)", time(() -> client.page(inbox + "?limit=50")));
            out.put("inbox, first page, case filter", time(() -> client.page(inbox + "?limit=50&case=OP-HIST-7")));
            out.put("inbox, first page, sender+service", time(() -> client.page(inbox + "?limit=50&from=IT-DNA&service=mla-request")));
            out.put("inbox, first page, since a year", time(() -> client.page(inbox + "?limit=50&since="
                    + Instant.now().minus(Duration.ofDays(365)).truncatedTo(ChronoUnit.SECONDS))));
            out.put("inbox, overdue", time(() -> client.page(inbox + "?limit=50&overdue=true")));
            // The 500th page of ten (or the last there is): its cursor found once, then the page asked for by cursor.
            String cursor = null;
            int pages = 0;
            for (; pages < 499; pages++) {
                LocalClient.Page p = client.page(inbox + "?limit=10" + (cursor == null ? "" : "&after=" + cursor));
                if (p.next() == null) {
                    break;
                }
                cursor = p.next();
            }
            String at = cursor;
            System.out.printf("N=%d: the 500th page of ten is page %d here%n", n, pages + 1);
            out.put("inbox, 500th page (of 10) by cursor", time(() -> client.page(inbox + "?limit=10" + (at == null ? "" : "&after=" + at))));
            out.put("status, first page (50)", time(() -> client.page(messages + "?limit=50")));
            out.put("status, one message", time(() -> client.get(org.liaison.gateway.local.LocalApi.message(seeded.sent()))));
            out.put("fetch, a 1 KiB package", time(() -> {
                try (var in = client.fetch(seeded.received().get(0).toString())) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
            }));
            AtomicInteger next = new AtomicInteger(1);
            out.put("acknowledge", time(() -> client.post(org.liaison.gateway.local.LocalApi.INBOX + "/"
                    + seeded.received().get(next.getAndIncrement()) + org.liaison.gateway.local.LocalApi.ACKNOWLEDGE)));
            out.put("node peak RSS (MiB)", new double[] {peakRssMiB(node.pid())});
        } finally {
            node.destroy(); // SIGTERM: the node stops as an operator stops it
            node.waitFor();
        }
        // The sweeps, on the same store and audit log, the node stopped (they run inside the node otherwise).
        try (GatewayNode al = GatewayNode.start(config, TestNodes.FAST)) {
            Retention retention = new Retention(al, Retention.periods(Map.of("default", "P20Y")));
            out.put("retention sweep", time(() -> new Retention(al, retention.periods()).sweepIfDue(Instant.now())));
            out.put("deadline pass (passed, to audit)", time(() -> al.store().sent().deadlinesPassed(Instant.now(), 256)));
            out.put("overdue counts (metrics)", time(() -> {
                al.store().inbox().overdue(Instant.now());
                al.store().sent().overdue(Instant.now());
            }));
        }
        return out;
    }

    /** The profile folders, moved with the federation. */
    private static Map<org.liaison.certs.AuthorityId, Map<Role, Path>> relocated(Map<org.liaison.certs.AuthorityId, Map<Role, Path>> profiles,
            Path from, Path to) {
        Map<org.liaison.certs.AuthorityId, Map<Role, Path>> out = new LinkedHashMap<>();
        profiles.forEach((id, m) -> {
            Map<Role, Path> x = new LinkedHashMap<>();
            m.forEach((role, p) -> x.put(role, to.resolve(from.relativize(p).toString())));
            out.put(id, x);
        });
        return out;
    }

    /** Where a node's data folder is (node.yaml's dataDir). */
    static final class TestNodesData {
        static Path dataDir(Path config) throws Exception {
            return org.liaison.gateway.config.NodeConfig.resolve(config, org.liaison.gateway.config.NodeConfig.load(config).dataDir());
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    /** p50 and p99 of {@value #ROUNDS} runs, in milliseconds. */
    private static double[] time(Work w) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            long s = System.nanoTime();
            w.run();
            ms.add((System.nanoTime() - s) / 1e6);
        }
        Collections.sort(ms);
        return new double[] {ms.get(ms.size() / 2), ms.get((int) Math.min(ms.size() - 1, Math.ceil(ms.size() * 0.99) - 1))};
    }

    private static double peakRssMiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        return Double.NaN;
    }

    /** The ids the measurements use: received messages (fetch, acknowledge) and one sent message (status). */
    record Seeded(List<UUID> received, UUID sent) {}

    private static final Service[] SERVICES = {Service.MLA_REQUEST, Service.MLA_REQUEST, Service.CONSULAR_NOTIFICATION,
        Service.EXTRADITION_REQUEST, Service.LAW_ENFORCEMENT_EXCHANGE};

    /** N messages into AL's store and audit log, sealed and signed, over two threads. */
    private static Seeded seed(TestNodes t, FederationDirectory directory, Path data, int n) throws Exception {
        Credential itSigning = t.federation.pki().authority(IT).envelopeSigning();
        Credential alSigning = t.federation.pki().authority(AL).envelopeSigning();
        String alInvestigator = "SHA256:" + org.liaison.certs.Fingerprint.of(t.investigator(AL).certificate()).hex();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        BlobStore blobs = new BlobStore(data.resolve("blobs"));
        List<UUID> received = Collections.synchronizedList(new ArrayList<>());
        UUID[] sent = new UUID[1];
        try (MessageStore store = SqliteMessageStore.open(data.resolve("messages.db"));
                FileAuditLog audit = t.auditLog(AL, Duration.ofSeconds(2))) {
            // More threads than cores: sealing is CPU, each store and audit write waits for its fsync (shared by those waiting).
            int threads = Math.max(16, Runtime.getRuntime().availableProcessors());
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> work = new ArrayList<>();
                for (int w = 0; w < threads; w++) {
                    int first = w;
                    work.add(pool.submit(() -> {
                        for (int i = first; i < n; i += threads) {
                            boolean in = i % 2 == 0;
                            // Ten years of dates, the newest last; spread over cases, services, deadlines and urgency.
                            Instant at = now.minus(Duration.ofMinutes((long) ((n - i) * (10L * 365 * 24 * 60) / (double) n)));
                            Service service = SERVICES[i % SERVICES.length];
                            Instant respondBy = i % 5 == 1 ? at.plus(Duration.ofDays(30)) : null;
                            Urgency urgency = i % 11 == 0 ? Urgency.URGENT : null;
                            byte[] file = ("history " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                            UUID id = UUID.randomUUID();
                            byte[] manifest = Manifests.sign(new ManifestSpec("OP-HIST-" + i % 40, service, in ? IT : AL, List.of(in ? AL : IT),
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
                            EnvelopeHeader h = new EnvelopeHeader(id, UUID.randomUUID(), null, now, now.plus(Duration.ofDays(7)), in ? IT : AL,
                                    List.of(in ? AL : IT), null, service, "submit");
                            byte[] env = Envelopes.seal(h, directory, manifest, payloads, cek, in ? itSigning : alSigning);
                            Path folder = in ? blobs.inbox(IT, id) : blobs.outbox(id);
                            Files.createDirectories(folder);
                            Files.write(BlobStore.payload(folder, 0), payload);
                            String caseRef = "OP-HIST-" + i % 40;
                            if (in) {
                                MessageStore.Listing listing = new MessageStore.Listing(service.value(), "restricted", List.of(), 1, file.length,
                                        respondBy, urgency == null ? null : urgency.value(), h.conversationId(), null);
                                byte[] receipt = Envelopes.sha256(env).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                                audit.record(AuditEvent.of("receive", IT.value(), id.toString(), IT.value(), "accepted", null).about(h)
                                        .with("case", caseRef));
                                store.inbox().storeReceived(new MessageStore.Received(IT, id, at, env, Envelopes.sha256(env), receipt, folder, null,
                                        caseRef, listing));
                                received.add(id);
                            } else {
                                audit.record(AuditEvent.of("submit-accepted", alInvestigator, id.toString(), null, "ok", null).about(h));
                                store.sent().storeOutgoing(new MessageStore.Outgoing(id, at, at.plus(Duration.ofDays(7)), env, null, folder,
                                        Envelopes.sha256(manifest), Envelopes.sha256(env), alInvestigator, respondBy, caseRef,
                                        MessageStore.Sealed.of(h)), List.of(IT), at);
                                store.deliveries().transition(id, IT, MessageStore.State.QUEUED, new MessageStore.Send(at.plusSeconds(60)));
                                store.deliveries().transition(id, IT, MessageStore.State.SENDING, new MessageStore.Deliver(1,
                                        new byte[] {'r'}, at.plusSeconds(1)));
                                if (respondBy != null && respondBy.isBefore(now)) { // as the node did when it passed
                                    audit.record(AuditEvent.of("deadline-passed", AL.value(), id.toString(), null, "overdue",
                                            "no reply received by the requested date"));
                                    store.sent().deadlinesAudited(List.of(id), respondBy);
                                }
                                synchronized (sent) {
                                    sent[0] = id;
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : work) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
        }
        // The newest received first: what a fetch and an acknowledge use.
        List<UUID> ids = new ArrayList<>(received);
        Collections.reverse(ids);
        return new Seeded(ids.subList(0, Math.min(ids.size(), ROUNDS + 1)), sent[0]);
    }
}
