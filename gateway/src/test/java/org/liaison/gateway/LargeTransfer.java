package org.liaison.gateway;

import static org.liaison.gateway.TestNodes.AL;
import static org.liaison.gateway.TestNodes.IT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.liaison.gateway.node.GatewayNode;
import org.liaison.gateway.store.MessageStore;

/**
 * A large payload between two nodes, each in its own JVM (run this one with -Xmx256m; the
 * receiver is started as `liaison serve` with -Xmx256m). Prints the
 * figures: submit (read + encrypt + fsync) time, delivery time and MB/s, and the receiver's peak
 * RSS. Used by scripts/large-transfer; not part of the test suite.
 */
public final class LargeTransfer {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long mib = Long.parseLong(args[1]);
        TestNodes t = new TestNodes(dir.resolve("federation"));
        Path receiverLog = dir.resolve("receiver.log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), "org.liaison.cli.Main", "serve", "--config", t.config(AL).toString()));
        Process receiver = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(receiverLog.toFile()).start();
        try {
            TestNodes.await("receiver start", Duration.ofSeconds(60), () -> {
                try {
                    return Files.readString(receiverLog).contains("gateway started");
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            try (GatewayNode it = GatewayNode.start(t.config(IT))) {
                long size = mib << 20;
                long t0 = System.nanoTime();
                UUID id = it.outbox().submit(ServeProcessTest.large(t, IT, AL, size));
                long t1 = System.nanoTime();
                TestNodes.await("delivery", Duration.ofMinutes(30),
                        () -> it.store().deliveries().of(id).get(0).state() == MessageStore.State.DELIVERED);
                long t2 = System.nanoTime();
                double submit = (t1 - t0) / 1e9;
                double deliver = (t2 - t1) / 1e9;
                System.out.printf("payload            %d MiB (%d bytes)%n", mib, size);
                System.out.printf("submit             %.1f s (digest pass + encrypt + fsync), %.0f MB/s%n", submit, size / 1e6 / submit);
                System.out.printf("deliver            %.1f s over mutual TLS on loopback, %.0f MB/s (receipt verified)%n", deliver,
                        size / 1e6 / deliver);
                System.out.printf("sender heap max    %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
            }
            System.out.println("receiver peak RSS  " + BulkBenchmark.peakRssMiB(receiver) + " MiB (-Xmx256m)");
        } finally {
            receiver.destroy();
            receiver.waitFor(60, TimeUnit.SECONDS);
        }
    }
}
