package org.liaison.gateway.evidence;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.liaison.certs.Pem;

/**
 * An independent time-stamping authority for tests: OpenSSL's {@code openssl ts -reply} behind a loopback
 * HTTP responder (RFC 3161 over HTTP), with its own root CA and a TSA certificate whose extended key usage
 * is timeStamping, critical. {@link #down} makes it answer 503, as an unreachable TSA would fail.
 */
public final class OpensslTsa implements AutoCloseable {
    public final Path dir;
    public final Path rootPem;
    public final Path tsaPem;
    /** The chain a node is configured with: the TSA certificate, then the root. */
    public final Path chainPem;
    public final AtomicBoolean down = new AtomicBoolean();
    public final AtomicInteger requests = new AtomicInteger();
    private final HttpServer server;

    private OpensslTsa(Path dir) throws Exception {
        this.dir = dir;
        Files.createDirectories(dir);
        rootPem = dir.resolve("root.pem");
        tsaPem = dir.resolve("tsa.pem");
        chainPem = dir.resolve("chain.pem");
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root.key", "-out",
                "root.pem", "-days", "30", "-subj", "/CN=Test TSA Root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign");
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key", "-out",
                "tsa.csr", "-subj", "/CN=Test TSA");
        Files.writeString(dir.resolve("tsa.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=critical,timeStamping\n");
        run("openssl", "x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "tsa.pem",
                "-days", "30", "-extfile", "tsa.ext");
        Files.writeString(chainPem, Files.readString(tsaPem) + Files.readString(rootPem));
        Files.writeString(dir.resolve("serial"), "01\n");
        Files.writeString(dir.resolve("ts.cnf"), String.join("\n", "[ tsa ]", "default_tsa = tsa1", "[ tsa1 ]",
                "serial = " + dir.resolve("serial"), "crypto_device = builtin", "signer_digest = sha256", "default_policy = 1.2.3.4.1",
                "digests = sha256, sha384, sha512", "accuracy = secs:1", "ordering = yes", "tsa_name = yes", "ess_cert_id_chain = no",
                "ess_cert_id_alg = sha256", ""));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/tsa", exchange -> {
            requests.incrementAndGet();
            try (exchange) {
                if (down.get()) {
                    exchange.sendResponseHeaders(503, -1);
                    return;
                }
                Path q = Files.createTempFile(dir, "q", ".tsq");
                Path r = q.resolveSibling(q.getFileName() + ".tsr");
                Files.write(q, exchange.getRequestBody().readAllBytes());
                try {
                    runIn(dir, "openssl", "ts", "-reply", "-config", "ts.cnf", "-queryfile", q.toString(), "-signer", "tsa.pem", "-inkey",
                            "tsa.key", "-out", r.toString());
                    byte[] body = Files.readAllBytes(r);
                    exchange.getResponseHeaders().add("Content-Type", "application/timestamp-reply");
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                } catch (Exception e) {
                    exchange.sendResponseHeaders(500, -1);
                }
            }
        });
        server.start();
    }

    public static OpensslTsa start(Path dir) throws Exception {
        return new OpensslTsa(dir);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/tsa");
    }

    public List<X509Certificate> chain() throws IOException {
        return Pem.readCertificates(chainPem);
    }

    public TimeStamps.Authority authority() throws IOException {
        return new TimeStamps.Authority(url(), chain(), java.time.Duration.ofSeconds(20));
    }

    /** {@code openssl ts -verify} of a token over the bytes of {@code data}: its exit code (0: verified). */
    public int opensslVerify(Path data, Path token) throws Exception {
        Process p = new ProcessBuilder("openssl", "ts", "-verify", "-data", data.toString(), "-in", token.toString(), "-token_in",
                "-CAfile", rootPem.toString(), "-untrusted", tsaPem.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("openssl ts -verify did not finish");
        }
        return p.exitValue();
    }

    private void run(String... cmd) throws Exception {
        runIn(dir, cmd);
    }

    private static void runIn(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
