package org.liaison.gateway.audit;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * A child JVM for the crash test: records events from several threads and prints {@code ACK i}
 * once {@code record} returned for entry i — the moment the node would acknowledge the action.
 * In {@code torn} mode it then writes half a record and halts, like a crash in the middle of a write;
 * in {@code run} mode it runs until killed.
 */
public final class AuditCrashChild {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String mode = args[1];
        int threads = 4;
        PrintStream out = System.out;
        FileAuditLog log = FileAuditLog.open(dir, "liaison/IT-DNA", Duration.ofMillis(50));
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int me = t;
            ts[t] = new Thread(() -> {
                for (int i = 0; mode.equals("run") || i < 50; i++) {
                    long index = log.record(AuditEvent.of("receive", "AL-PP", "child-" + me + "-" + i, "AL-PP", "ok", null));
                    synchronized (out) {
                        out.println("ACK " + index);
                        out.flush();
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        // torn: the start of one more record reaches the disk, then the process dies.
        try (FileChannel ch = FileChannel.open(dir.resolve(FileAuditLog.ENTRIES), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(4 + 10).putInt(200).put("{\"index\":9".getBytes()).flip());
            ch.force(false);
        }
        out.println("TORN");
        out.flush();
        Runtime.getRuntime().halt(137);
    }
}
