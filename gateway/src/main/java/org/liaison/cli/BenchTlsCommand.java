package org.liaison.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.liaison.gateway.tls.HandshakeBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "tls", mixinStandardHelpOptions = true,
        header = "Full mutual-TLS handshakes per second, classical and hybrid (X25519MLKEM768), per provider.",
        description = {"Full mutual-TLS 1.3 handshakes between two engines of one provider, in memory on one thread",
            "(a figure is the CPU of both ends, no network): the classical groups, then X25519MLKEM768 offered and preferred",
            "by both, alternating in rounds. Providers: openssl (BoringSSL, the peer API's) and bcjsse (Bouncy Castle's JSSE,",
            "the local API's when hybrid). ECDSA P-256 certificates checked by PKIX on both ends; no session resumption."},
        footer = {"", "Example:", "  liaison bench tls --seconds 2"})
final class BenchTlsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seconds", defaultValue = "2", description = "Measuring time per round, group and provider (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--rounds", defaultValue = "2", description = "Rounds of classical then hybrid (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--provider", split = ",", description = "openssl, bcjsse (default: both; openssl where netty-tcnative loads).")
    List<String> providers;

    @Option(names = "--json", description = "Print the figures as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (seconds <= 0 || rounds < 1) {
            throw new UserException("--seconds must be > 0 and --rounds >= 1");
        }
        List<HandshakeBench.Provider> which = new ArrayList<>();
        for (String p : providers == null ? List.of("openssl", "bcjsse") : providers) {
            switch (p) {
                case "openssl":
                    if (io.netty.handler.ssl.OpenSsl.isAvailable()) {
                        which.add(HandshakeBench.Provider.OPENSSL);
                    } else if (providers != null) {
                        throw new UserException("--provider openssl: netty-tcnative cannot load here");
                    }
                    break;
                case "bcjsse":
                    which.add(HandshakeBench.Provider.BCJSSE);
                    break;
                default:
                    throw new UserException("--provider: " + p + " (expected: openssl or bcjsse)");
            }
        }
        PrintWriter o = spec.commandLine().getOut();
        if (!json) {
            o.printf("%-9s %16s %16s %14s%n", "provider", "classical hs/s", "hybrid hs/s", "hybrid/classical");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (HandshakeBench.Provider p : which) {
            HandshakeBench b = new HandshakeBench(p);
            String classicalGroup = b.handshake(false);
            String hybridGroup = b.handshake(true);
            measure(b, false, seconds * 0.3); // warm-up
            measure(b, true, seconds * 0.3);
            long[] n = new long[2];
            double[] t = new double[2];
            for (int r = 0; r < rounds; r++) {
                for (int h = 0; h < 2; h++) {
                    double[] m = measure(b, h == 1, seconds);
                    n[h] += (long) m[0];
                    t[h] += m[1];
                }
            }
            double classical = n[0] / t[0];
            double hybrid = n[1] / t[1];
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("provider", p.name().toLowerCase(java.util.Locale.ROOT));
            row.put("classicalGroup", classicalGroup);
            row.put("classicalHandshakesPerSecond", Math.round(classical * 10) / 10.0);
            row.put("hybridGroup", hybridGroup);
            row.put("hybridHandshakesPerSecond", Math.round(hybrid * 10) / 10.0);
            row.put("ratioHybridToClassical", Math.round(hybrid / classical * 100) / 100.0);
            rows.add(row);
            if (!json) {
                o.printf("%-9s %16.1f %16.1f %14.2f   (%s vs %s)%n", row.get("provider"), classical, hybrid, hybrid / classical,
                        classicalGroup, hybridGroup);
                o.flush();
            }
        }
        if (json) {
            o.println(Json.write(rows));
        }
        return 0;
    }

    /** {handshakes, seconds} for about {@code secs}. */
    private static double[] measure(HandshakeBench b, boolean hybrid, double secs) throws Exception {
        long start = System.nanoTime();
        long end = start + (long) (secs * 1e9);
        long n = 0;
        long now;
        do {
            b.handshake(hybrid);
            n++;
            now = System.nanoTime();
        } while (now < end);
        return new double[] {n, (now - start) / 1e9};
    }
}
