package org.liaison.gateway.audit;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.MerkleTree;
import org.liaison.protocol.tlog.SignedNote;

/**
 * What a big audit log costs, one phase per JVM (run by scripts/bench-audit-size; not a test):
 * <ul>
 *   <li>{@code write N DIR [THREADS]}: N entries through the real log, {@code record} from concurrent
 *       writers (group commit), checkpoints every 2 s as on a node;
 *   <li>{@code open DIR}: the open (tile state + last entries), heap and RSS after it, inclusion and
 *       consistency proofs read from tiles, then the full verification ({@code liaison audit verify});
 *   <li>{@code old DIR}: the earlier open on the same files (every entry read, the whole tree in
 *       memory as {@link MerkleTree}), its heap and RSS, and its proofs.
 * </ul>
 */
public final class AuditLogSizeBenchmark {
    /** Trillian Tessera's published append rate on a disk (entries/s). */
    static final double TESSERA_DISK = 2900;

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "write" -> write(Long.parseLong(args[1]), Path.of(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : 64);
            case "open" -> open(Path.of(args[1]));
            case "old" -> old(Path.of(args[1]));
            default -> throw new IllegalArgumentException("write N DIR [THREADS] | open DIR | old DIR");
        }
    }

    static void write(long n, Path dir, int threads) throws Exception {
        AtomicLong next = new AtomicLong();
        long[] syncs = {0};
        long t0 = System.nanoTime();
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofSeconds(2))) {
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                ts[t] = new Thread(() -> {
                    while (next.getAndIncrement() < n) {
                        log.record(AuditEvent.of("receive", "AL-PP", UUID.randomUUID().toString(), "AL-PP", "ok", null)
                                .with("service", "mla-request").with("conversation", UUID.randomUUID().toString()));
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            syncs[0] = log.syncs.get();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        long tiles;
        try (var w = Files.walk(dir.resolve("tile"))) {
            tiles = w.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
        System.out.printf("N=%d append: %.0f entries/s (%d writers, record() with group commit; %.2f x Tessera's %.0f/s on a disk),"
                + " %.1f s; %d fsyncs of the entries, %.1f entries each; entries %d MiB, tiles %d MiB%n", n, n / s, threads, n / s / TESSERA_DISK,
                TESSERA_DISK, s, syncs[0], (double) n / Math.max(1, syncs[0]),
                Files.size(dir.resolve(FileAuditLog.ENTRIES)) >> 20, tiles >> 20);
    }

    /**
     * Loads what any open uses (logging, Ed25519, JSON, SHA-256) before the clock starts, so that the
     * open times compare the two logs, not the start of a JVM.
     */
    static void warmUp() throws Exception {
        org.apache.logging.log4j.LogManager.getLogger(FileAuditLog.class);
        SignedNote.Signer s = SignedNote.Signer.of("warm-up", new byte[32]);
        for (int i = 0; i < 50; i++) {
            SignedNote.open(SignedNote.sign(new Checkpoint("warm-up", i, Merkle.emptyRoot()).text(), s), s.verifierKey());
            FileAuditLog.entryBytes(i, AuditEvent.of("receive", "AL-PP", null, null, "ok", null));
        }
    }

    static void open(Path dir) throws Exception {
        warmUp();
        long t0 = System.nanoTime();
        try (FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofHours(1))) {
            double openMs = (System.nanoTime() - t0) / 1e6;
            long heap = heapAfterGc();
            long rss = rss();
            long size = log.size();
            Random rnd = new Random(1);
            double[] cold = proofs(log::inclusionProof, log::consistencyProof, size, rnd, 1000);
            double[] warm = proofs(log::inclusionProof, log::consistencyProof, size, rnd, 10_000);
            System.out.printf("N=%d tiles: open %.0f ms, heap after open %d MiB, RSS %d MiB; inclusion proof %.0f us, consistency proof"
                    + " %.0f us (mean of 10000 random; the first 1000 after open, reading tiles: %.0f us, %.0f us)%n", size, openMs,
                    heap >> 20, rss >> 20, warm[0], warm[1], cold[0], cold[1]);
            long t3 = System.nanoTime();
            AuditLogVerifier.Report r = AuditLogVerifier.verify(dir, log.verifierKey());
            System.out.printf("N=%d full verification (liaison audit verify: every entry re-hashed, tiles and checkpoints compared): %.1f s"
                    + " (%s), RSS after %d MiB%n", size, (System.nanoTime() - t3) / 1e9, r.valid() ? "valid" : "INVALID " + r.problems(),
                    rss() >> 20);
        }
    }

    /** The earlier open, on the same files: every record read, the whole tree rebuilt in memory, the last checkpoint checked. */
    static void old(Path dir) throws Exception {
        warmUp();
        long t0 = System.nanoTime();
        MerkleTree tree = new MerkleTree();
        List<byte[]> recent;
        try (FileChannel e = FileChannel.open(dir.resolve(FileAuditLog.ENTRIES), StandardOpenOption.READ);
                FileChannel c = FileChannel.open(dir.resolve(FileAuditLog.CHECKPOINTS), StandardOpenOption.READ)) {
            List<byte[]> records = AuditLogReader.records(e, true);
            recent = List.copyOf(records.subList(Math.max(0, records.size() - FileAuditLog.RECENT), records.size()));
            for (byte[] r : records) {
                tree.append(Merkle.leafHash(r));
            }
            List<byte[]> notes = AuditLogReader.records(c, true);
            String note = new String(notes.get(notes.size() - 1), java.nio.charset.StandardCharsets.UTF_8);
            String vkey = Files.readString(dir.resolve(FileAuditLog.VERIFIER_KEY)).strip();
            Checkpoint last = Checkpoint.parse(SignedNote.open(note, vkey));
            if (!java.security.MessageDigest.isEqual(tree.root(last.size()), last.rootHash())) {
                throw new IllegalStateException("the last checkpoint does not match");
            }
        }
        double openMs = (System.nanoTime() - t0) / 1e6;
        long heap = heapAfterGc();
        long rss = rss();
        long size = tree.size();
        Random rnd = new Random(1);
        proofs(tree::inclusionProof, tree::consistencyProof, size, rnd, 1000);
        double[] warm = proofs(tree::inclusionProof, tree::consistencyProof, size, rnd, 10_000);
        System.out.printf("N=%d earlier in-memory tree: open %.0f ms, heap after open %d MiB, RSS %d MiB; inclusion proof %.0f us,"
                + " consistency proof %.0f us (mean of 10000 random after 1000; %d recent kept)%n", size, openMs, heap >> 20, rss >> 20,
                warm[0], warm[1], recent.size());
    }

    interface Proof {
        List<byte[]> of(long a, long b);
    }

    /** Mean microseconds of {@code count} random inclusion proofs and of as many consistency proofs, at {@code size}. */
    static double[] proofs(Proof inclusion, Proof consistency, long size, Random rnd, int count) {
        long t1 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            inclusion.of((long) (rnd.nextDouble() * size), size);
        }
        double inclusionUs = (System.nanoTime() - t1) / 1e3 / count;
        long t2 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            consistency.of(1 + (long) (rnd.nextDouble() * (size - 1)), size);
        }
        return new double[] {inclusionUs, (System.nanoTime() - t2) / 1e3 / count};
    }

    static long heapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Resident set size of this process (Linux), bytes. */
    static long rss() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }
}
