package org.liaison.gateway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.liaison.cli.local.LocalClient;
import org.liaison.gateway.local.LocalApi;

/**
 * {@code liaison serve} start-up, side by side: each variant is a command line that starts the node of {@code CONFIG}
 * ({@code {config}} in it stands for the file); the variants start in turn, {@code ROUNDS} times each, and each start
 * is timed from the launch of its process until the local API answers a first page to a warm client (the CLI's
 * {@link LocalClient} with {@code PROFILE}), as {@link HistoryBenchmark} times it. The node is then stopped with
 * SIGTERM, as an operator stops it, before the next start. Prints each start, then per variant the median, the
 * lowest and the highest (seconds), and the main thread's CPU when the API answered (from {@code /proc}).
 *
 * <pre>
 * java -cp ... org.liaison.gateway.StartupBenchmark CONFIG PROFILE ROUNDS 'before=java -cp A org.liaison.cli.Main serve --config {config}' 'after=...'
 * </pre>
 * A variant's command line is split at spaces. The node's output goes to {@code serve-NAME.log} beside CONFIG.
 */
public final class StartupBenchmark {
    public static void main(String[] args) throws Exception {
        Path config = Path.of(args[0]).toAbsolutePath();
        Path profile = Path.of(args[1]);
        int rounds = Integer.parseInt(args[2]);
        Map<String, List<String>> variants = new LinkedHashMap<>();
        for (String v : Arrays.asList(args).subList(3, args.length)) {
            int eq = v.indexOf('=');
            List<String> command = new ArrayList<>();
            for (String part : v.substring(eq + 1).trim().split(" +")) {
                command.add(part.replace("{config}", config.toString()));
            }
            variants.put(v.substring(0, eq), command);
        }
        LocalClient client = new LocalClient(profile);
        Map<String, List<double[]>> times = new LinkedHashMap<>();
        variants.keySet().forEach(k -> times.put(k, new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
            for (var v : variants.entrySet()) {
                double[] t = once(v.getValue(), config.resolveSibling("serve-" + v.getKey() + ".log"), client);
                times.get(v.getKey()).add(t);
                System.out.printf("round %d %-12s %6.2f s  (main thread CPU %5.2f s, process CPU %5.2f s)%n", round, v.getKey(),
                        t[0], t[1], t[2]);
            }
        }
        System.out.println();
        for (var e : times.entrySet()) {
            double[] wall = e.getValue().stream().mapToDouble(t -> t[0]).sorted().toArray();
            double[] main = e.getValue().stream().mapToDouble(t -> t[1]).sorted().toArray();
            double[] cpu = e.getValue().stream().mapToDouble(t -> t[2]).sorted().toArray();
            System.out.printf("%-12s start-up median %5.2f s (lowest %5.2f, highest %5.2f); main thread CPU median %5.2f s;"
                    + " process CPU median %5.2f s (%d starts)%n", e.getKey(), wall[wall.length / 2], wall[0], wall[wall.length - 1],
                    main[main.length / 2], cpu[cpu.length / 2], wall.length);
        }
    }

    /** One start: seconds until the API answers, the main thread's and the process's CPU seconds then. */
    private static double[] once(List<String> command, Path log, LocalClient client) throws Exception {
        long t0 = System.nanoTime();
        Process node = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            while (true) {
                try {
                    client.page(LocalApi.INBOX + "?limit=1");
                    break;
                } catch (Exception notYet) {
                    if (!node.isAlive()) {
                        throw new IllegalStateException("the node stopped: " + Files.readString(log));
                    }
                    Thread.sleep(20);
                }
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            double[] out = {wall, mainThreadCpu(node), processCpu(node)};
            if (Boolean.getBoolean("liaison.bench.threads")) {
                System.out.println("  threads by CPU (s): " + threads(node));
            }
            probe(client, t0);
            return out;
        } finally {
            // The launcher script execs java: the process started is the node's JVM.
            long s0 = System.nanoTime();
            node.destroy();
            node.waitFor();
            if (Boolean.getBoolean("liaison.bench.threads")) {
                System.out.printf("  stopped in %.2f s%n", (System.nanoTime() - s0) / 1e9);
            }
        }
    }

    /**
     * With {@code -Dliaison.bench.probe=SECONDS}: for that long after the API answered, the listings bench-history
     * measures, in turn, each request over {@code liaison.bench.slowMs} (default 300) printed with its time since the
     * launch: what the node's first seconds (its background work at start) cost a client.
     */
    private static void probe(LocalClient client, long t0) throws Exception {
        long seconds = Long.getLong("liaison.bench.probe", 0);
        long slowMs = Long.getLong("liaison.bench.slowMs", 300);
        String inbox = LocalApi.INBOX;
        List<String> paths = List.of(inbox + "?limit=50", LocalApi.MESSAGES + "?limit=50", inbox + "?limit=50&case=OP-HIST-7",
                inbox + "?limit=50&from=IT-DNA&service=mla-request", inbox + "?limit=50&overdue=true");
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        int n = 0;
        List<Double> all = new ArrayList<>();
        while (System.nanoTime() < end) {
            String path = paths.get(n++ % paths.size());
            long s = System.nanoTime();
            client.page(path);
            double ms = (System.nanoTime() - s) / 1e6;
            all.add(ms);
            if (ms > slowMs) {
                System.out.printf("  at %6.2f s after launch: %7.1f ms  %s%n", (s - t0) / 1e9, ms, path);
            }
        }
        if (n > 0) {
            all.sort(null);
            System.out.printf("  probe: %d requests, p50 %.1f ms, max %.1f ms%n", n, all.get(all.size() / 2), all.get(all.size() - 1));
        }
    }

    private static final double TICKS = 100.0; // USER_HZ

    /** The CPU seconds of the JVM's main thread (the launcher's second task, named as the process: "java"), NaN when not found. */
    private static double mainThreadCpu(Process node) {
        try (var tasks = Files.list(Path.of("/proc/" + node.pid() + "/task"))) {
            for (Path t : tasks.sorted(java.util.Comparator.comparingLong(x -> Long.parseLong(x.getFileName().toString()))).toList()) {
                if (Long.parseLong(t.getFileName().toString()) != node.pid() && Files.readString(t.resolve("comm")).trim().equals("java")) {
                    return cpu(Files.readString(t.resolve("stat")));
                }
            }
        } catch (Exception e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** The threads with 0.05 s of CPU or more, by name (the same names summed), most first. */
    private static String threads(Process node) {
        Map<String, Double> by = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + node.pid() + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+$", "#");
                    by.merge(name, cpu(Files.readString(t.resolve("stat"))), Double::sum);
                } catch (Exception gone) {
                    // ended meanwhile
                }
            }
        } catch (Exception e) {
            return "?";
        }
        StringBuilder b = new StringBuilder();
        by.entrySet().stream().filter(e -> e.getValue() >= 0.05).sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> b.append(String.format("%s %.2f; ", e.getKey(), e.getValue())));
        return b.toString();
    }

    private static double processCpu(Process node) {
        try {
            return cpu(Files.readString(Path.of("/proc/" + node.pid() + "/stat")));
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    /** utime + stime of a /proc stat line, in seconds. */
    private static double cpu(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
    }
}
