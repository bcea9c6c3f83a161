package org.liaison.gateway.store;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A PostgreSQL server for tests, without Docker. With {@code LIAISON_TEST_POSTGRES_URL} (a
 * jdbc:postgresql:// URL of a database the user may create databases from),
 * {@code LIAISON_TEST_POSTGRES_USER} and {@code LIAISON_TEST_POSTGRES_PASSWORD} set, that server;
 * otherwise a throwaway cluster started here: {@code initdb} and {@code pg_ctl} (Debian's
 * postgresql package, {@code /usr/lib/postgresql/N/bin}, or on the PATH) on a free loopback port in
 * a temporary folder, run as the {@code postgres} user when the tests run as root (PostgreSQL
 * refuses root), with password (SCRAM) authentication. One cluster per JVM, stopped and deleted
 * at exit; each caller gets a new database. When no server can be had this fails — it does not
 * skip: the store's contract must be tested here.
 */
public final class LocalPostgres {
    /** A database to connect to. */
    public record Database(String url, String user, String password) {}

    private static Database server;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private LocalPostgres() {}

    /** A new, empty database on the test server. */
    public static synchronized Database newDatabase() throws Exception {
        if (server == null) {
            server = start();
        }
        String name = "liaison_test_" + DATABASES.incrementAndGet() + "_" + ProcessHandle.current().pid();
        try (Connection c = DriverManager.getConnection(server.url(), server.user(), server.password()); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new Database(server.url().substring(0, server.url().lastIndexOf('/') + 1) + name, server.user(), server.password());
    }

    private static Database start() throws Exception {
        String url = System.getenv("LIAISON_TEST_POSTGRES_URL");
        if (url != null && !url.isBlank()) {
            return new Database(url, System.getenv("LIAISON_TEST_POSTGRES_USER"), System.getenv("LIAISON_TEST_POSTGRES_PASSWORD"));
        }
        Path bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path tmp = Files.createTempDirectory("liaison-pg-");
        Path data = tmp.resolve("data");
        String password = UUID.randomUUID().toString();
        Path pwfile = Files.writeString(tmp.resolve("pw"), password + "\n", StandardCharsets.US_ASCII);
        if (root) {
            run(List.of("chown", "-R", "postgres:postgres", tmp.toString()), false, tmp);
        }
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "liaison", "--auth=scram-sha-256",
                "--pwfile=" + pwfile, "-E", "UTF8", "--locale=C", "--no-sync"), root, tmp);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", tmp.resolve("server.log").toString(), "-w", "-t", "60",
                "-o", "-p " + port + " -k " + tmp + " -c listen_addresses=127.0.0.1 -c max_connections=200", "start"), root, tmp);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), root, tmp);
            } catch (Exception ignored) {
                // the JVM is ending; the folder is removed below either way
            }
            try (var files = Files.walk(tmp)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary folder left behind
            }
        }, "stop-test-postgres"));
        return new Database("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "liaison", password);
    }

    /** Where initdb and pg_ctl are: Debian's versioned folder (the newest), else the PATH. */
    private static Path binaries() throws IOException {
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (var versions = Files.list(debian)) {
                Path newest = versions.filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(p -> version(p.getFileName().toString()))).orElse(null);
                if (newest != null) {
                    return newest.resolve("bin");
                }
            }
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "initdb")) && Files.isExecutable(Path.of(dir, "pg_ctl"))) {
                return Path.of(dir);
            }
        }
        throw new IllegalStateException("PostgreSQL's initdb and pg_ctl were not found: install PostgreSQL (Debian: apt-get install"
                + " postgresql; .ci/run does) or set LIAISON_TEST_POSTGRES_URL to a server's URL");
    }

    private static int version(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void run(List<String> command, boolean asPostgres, Path dir) throws Exception {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", full) + " failed:\n" + out);
        }
    }
}
