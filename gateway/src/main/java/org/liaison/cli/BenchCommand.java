package org.liaison.cli;

import java.io.PrintWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.crypto.KeyAgreement;
import org.liaison.certs.Providers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Side-by-side measurements, printed as figures and ratios from one run.",
            "Figures on a shared machine are noisy: compare the ratio, and repeat."},
        subcommands = {BenchCommand.Keys.class, BenchTlsCommand.class},
        footer = {"", "Example:", "  liaison bench keys --seconds 2"})
public final class BenchCommand {

    @Command(name = "keys", mixinStandardHelpOptions = true,
            header = "Key generation, signing, verification, key agreement and content-key wrapping per key type.",
            description = {"Key generation, signing, verification and key agreement for Liaison's key types, with the JDK",
                "providers (SunEC, SunRsaSign) and Bouncy Castle, operation by operation, in one run.",
                "Then an envelope's content key wrapped and unwrapped for one recipient in each suite (X25519, RSA-3072 OAEP,",
                "X25519+ML-KEM-768), and the bytes each recipient adds to an envelope."},
            footer = {"", "Example:", "  liaison bench keys --seconds 1 --json"})
    static final class Keys implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seconds", defaultValue = "1", description = "Measuring time per operation and provider (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--json", description = "Print the figures as JSON.")
        boolean json;

        interface Op {
            void run() throws Exception;
        }

        @Override
        public Integer call() throws Exception {
            if (seconds <= 0) {
                throw new IllegalArgumentException("--seconds: " + seconds + " (expected: > 0)");
            }
            Provider jdk = null; // null: the JDK's default provider for the algorithm
            Provider bc = Providers.bouncyCastle();
            byte[] message = new byte[1024];
            new SecureRandom().nextBytes(message);
            List<Map<String, Object>> rows = new ArrayList<>();
            PrintWriter o = spec.commandLine().getOut();
            if (!json) {
                o.printf("%-26s %14s %14s %9s%n", "operation", "JDK ops/s", "BC ops/s", "JDK/BC");
            }
            for (String op : List.of("Ed25519 keygen", "Ed25519 sign", "Ed25519 verify", "X25519 keygen+agree",
                    "EC-P256 sign", "EC-P256 verify", "RSA-3072 PSS sign", "RSA-3072 PSS verify", "RSA-3072 keygen")) {
                double a = measure(task(op, jdk, message));
                double b = measure(task(op, bc, message));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("operation", op);
                row.put("jdkOpsPerSecond", Math.round(a * 10) / 10.0);
                row.put("bcOpsPerSecond", Math.round(b * 10) / 10.0);
                row.put("ratioJdkToBc", Math.round(a / b * 100) / 100.0);
                rows.add(row);
                if (!json) {
                    o.printf("%-26s %14.1f %14.1f %9.2f%n", op, a, b, a / b);
                    o.flush();
                }
            }
            if (!json) {
                o.printf("%n%-30s %12s %12s %12s%n", "content key per recipient", "wrap/s", "unwrap/s", "bytes/recip.");
            }
            List<Map<String, Object>> wraps = KeyWrapBench.rows(this::measure);
            if (!json) {
                for (Map<String, Object> w : wraps) {
                    o.printf("%-30s %12.1f %12.1f %12d%n", w.get("recipientKey"), (Double) w.get("wrapPerSecond"),
                            (Double) w.get("unwrapPerSecond"), (Integer) w.get("bytesPerRecipient"));
                }
            }
            if (json) {
                Map<String, Object> all = new LinkedHashMap<>();
                all.put("operations", rows);
                all.put("contentKeyWrap", wraps);
                o.println(Json.write(all));
            }
            return 0;
        }

        private double measure(Op op) throws Exception {
            long warmupEnd = System.nanoTime() + (long) (seconds * 0.3e9);
            while (System.nanoTime() < warmupEnd) {
                op.run();
            }
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long n = 0;
            long now;
            do {
                op.run();
                n++;
                now = System.nanoTime();
            } while (now < end);
            return n / ((now - start) / 1e9);
        }

        private static KeyPairGenerator kpg(String alg, Provider p) throws Exception {
            return p == null ? KeyPairGenerator.getInstance(alg) : KeyPairGenerator.getInstance(alg, p);
        }

        private static Signature sig(String alg, Provider p) throws Exception {
            return p == null ? Signature.getInstance(alg) : Signature.getInstance(alg, p);
        }

        private static Op task(String op, Provider p, byte[] msg) throws Exception {
            switch (op) {
                case "Ed25519 keygen": {
                    KeyPairGenerator g = kpg("Ed25519", p);
                    return g::generateKeyPair;
                }
                case "Ed25519 sign":
                case "Ed25519 verify":
                    return signOrVerify(op.endsWith("sign"), kpg("Ed25519", p).generateKeyPair(), sig("Ed25519", p), msg);
                case "X25519 keygen+agree": {
                    KeyPairGenerator g = kpg(p == null ? "XDH" : "X25519", p);
                    if (p == null) {
                        g.initialize(NamedParameterSpec.X25519);
                    }
                    KeyPair peer = g.generateKeyPair();
                    return () -> {
                        KeyPair mine = g.generateKeyPair();
                        KeyAgreement ka = p == null ? KeyAgreement.getInstance("XDH") : KeyAgreement.getInstance("X25519", p);
                        ka.init(mine.getPrivate());
                        ka.doPhase(peer.getPublic(), true);
                        ka.generateSecret();
                    };
                }
                case "EC-P256 sign":
                case "EC-P256 verify": {
                    KeyPairGenerator g = kpg("EC", p);
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                    return signOrVerify(op.endsWith("sign"), g.generateKeyPair(), sig("SHA256withECDSA", p), msg);
                }
                case "RSA-3072 PSS sign":
                case "RSA-3072 PSS verify": {
                    KeyPairGenerator g = kpg("RSA", p);
                    g.initialize(3072);
                    Signature s = sig("RSASSA-PSS", p);
                    s.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                    return signOrVerify(op.endsWith("sign"), g.generateKeyPair(), s, msg);
                }
                case "RSA-3072 keygen": {
                    KeyPairGenerator g = kpg("RSA", p);
                    g.initialize(3072);
                    return g::generateKeyPair;
                }
                default:
                    throw new IllegalArgumentException(op);
            }
        }

        private static Op signOrVerify(boolean sign, KeyPair kp, Signature s, byte[] msg) throws Exception {
            s.initSign(kp.getPrivate());
            s.update(msg);
            byte[] signature = s.sign();
            if (sign) {
                return () -> {
                    s.initSign(kp.getPrivate());
                    s.update(msg);
                    s.sign();
                };
            }
            return () -> {
                s.initVerify(kp.getPublic());
                s.update(msg);
                if (!s.verify(signature)) {
                    throw new IllegalStateException("benchmark signature did not verify");
                }
            };
        }
    }
}
