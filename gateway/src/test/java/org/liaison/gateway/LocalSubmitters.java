package org.liaison.gateway;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.liaison.certs.AuthorityId;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.config.UserProfile;
import org.liaison.protocol.envelope.Envelopes;
import org.liaison.protocol.model.Classification;
import org.liaison.protocol.model.Instrument;
import org.liaison.protocol.model.Service;
import org.liaison.protocol.pkg.FileEntry;
import org.liaison.protocol.pkg.ManifestSpec;
import org.liaison.protocol.pkg.Manifests;

/**
 * Warm clients for {@code scripts/bench-messages} (issue 26), as their own process: N submitters, each with its
 * own {@link LocalClient} (the CLI's client: its TLS, its upload), each signing a manifest for a 1 KiB file with
 * the investigator's credential and submitting it through the node's local API, as `liaison submit` does.
 *
 * <p>Usage: {@code LocalSubmitters PROFILE TO CLIENTS WARMUP N FOLDER}. It submits WARMUP messages, prints
 * {@code ready LASTID}, waits for a line on standard input, submits N messages and prints one line per message
 * ({@code sent ID STARTMILLIS ACCEPTEDMILLIS}), the failures ({@code failed TEXT}) and its own CPU over those N
 * ({@code cpu MILLIS}, from /proc/self/stat), then {@code done}.
 */
public final class LocalSubmitters {
    public static void main(String[] args) throws Exception {
        Path profile = Path.of(args[0]);
        AuthorityId to = AuthorityId.of(args[1]);
        int clients = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        int n = Integer.parseInt(args[4]);
        Path folder = Files.createDirectories(Path.of(args[5]));
        List<LocalClient> each = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            each.add(new LocalClient(profile));
        }
        String from = UserProfile.load(profile).authority();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<String> warm = run(pool, each, AuthorityId.of(from), to, warmup, folder, "w");
            List<String> warmSent = warm.stream().filter(l -> l.startsWith("sent ")).toList();
            List<String> warmFailed = warm.stream().filter(l -> l.startsWith("failed ")).toList();
            System.out.println("ready " + (warmSent.isEmpty() ? "-" : warmSent.get(warmSent.size() - 1).split(" ")[1]) + " "
                    + warmFailed.size() + (warmFailed.isEmpty() ? "" : " " + warmFailed.get(0).substring("failed ".length())));
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)).readLine();
            long cpu0 = cpuMillis();
            List<String> lines = run(pool, each, AuthorityId.of(from), to, n, folder, "m");
            long cpu = cpuMillis() - cpu0;
            for (String l : lines) {
                System.out.println(l);
            }
            System.out.println("cpu " + cpu);
            System.out.println("done");
            System.out.flush();
        } finally {
            pool.shutdownNow();
        }
    }

    /** N submissions over the clients; lines "sent ID START ACCEPTED" (epoch millis) or "failed TEXT", in order of acceptance. */
    private static List<String> run(ExecutorService pool, List<LocalClient> clients, AuthorityId from, AuthorityId to, int n, Path folder,
            String prefix) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> work = new ArrayList<>();
        SecureRandom random = new SecureRandom();
        for (LocalClient client : clients) {
            work.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                    long t0 = System.currentTimeMillis();
                    try {
                        byte[] content = new byte[1024];
                        random.nextBytes(content);
                        Path file = folder.resolve(prefix + i + ".bin");
                        Files.write(file, content);
                        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
                        byte[] manifest = Manifests.sign(new ManifestSpec("OP-BENCH-1", Service.MLA_REQUEST, from, List.of(to), null,
                                Instrument.UNTOC, "18", "", Classification.RESTRICTED, Set.of(), null), List.of(new FileEntry(
                                file.getFileName().toString(), "application/octet-stream", content.length, Envelopes.sha256(content),
                                List.of(new FileEntry.Custody("bench", now, "bench", "")))), client.credential(), UUID.randomUUID(), now);
                        String id = client.submit(manifest, List.of(file), null, null);
                        out.add("sent " + id + " " + t0 + " " + System.currentTimeMillis());
                        Files.delete(file);
                    } catch (Exception e) {
                        out.add("failed " + String.valueOf(e.getMessage()).replace('\n', ' '));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        List<String> sorted = new ArrayList<>(out);
        sorted.sort((a, b) -> Long.compare(acceptedAt(a), acceptedAt(b)));
        return sorted;
    }

    private static long acceptedAt(String line) {
        String[] f = line.split(" ");
        return f[0].equals("sent") ? Long.parseLong(f[3]) : Long.MAX_VALUE;
    }

    /** This process's CPU time (user + system) in milliseconds. */
    static long cpuMillis() throws java.io.IOException {
        return LocalApiBenchmark.cpuMillis(ProcessHandle.current().pid())[0];
    }
}
