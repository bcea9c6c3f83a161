package org.liaison.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509TrustManager;
import org.liaison.certs.AuthorityId;
import org.liaison.certs.Passwords;
import org.liaison.certs.Pem;
import org.liaison.gateway.audit.FileAuditLog;
import org.liaison.gateway.config.FederationSetup;
import org.liaison.gateway.config.NodeConfig;
import org.liaison.gateway.node.NodeKeys;
import org.liaison.gateway.node.Validity;
import org.liaison.gateway.peer.ReceiveHandler;
import org.liaison.gateway.tls.SingleKeyManager;
import org.liaison.gateway.witness.WitnessKeys;
import org.liaison.protocol.directory.DirectoryVerifier;
import org.liaison.protocol.directory.FederationDirectory;
import org.liaison.protocol.tlog.Cosignature;

/**
 * The preflight an operator runs before and after a change ({@code liaison doctor}): the
 * configuration, the keystores, the directory and this node's entry in it, how long each
 * certificate, CRL and the directory stay valid, the disk, the ports, and each peer's gateway
 * (reachable over mutual TLS with the certificate the directory lists, and its clock). It changes
 * nothing and holds no lock: it runs beside a running node.
 */
public final class Doctor {
    public enum Status { OK, WARN, FAIL }

    /** One line of the report. */
    public record Check(String name, Status status, String detail) {}

    /** What the checks compare with. */
    public record Limits(Duration certificateWarning, Duration crlWarning, long minFreeBytes, Duration clockWarning,
            Duration clockFailure, Duration peerTimeout, boolean peers) {
        public static final Limits DEFAULT = new Limits(Duration.ofDays(30), Duration.ofDays(2), 1L << 30, Duration.ofSeconds(30),
                Duration.ofMinutes(5), Duration.ofSeconds(5), true);
    }

    private final Path configFile;
    private final Limits limits;
    private final Clock clock;
    private final List<Check> checks = new ArrayList<>();

    private Doctor(Path configFile, Limits limits, Clock clock) {
        this.configFile = configFile;
        this.limits = limits;
        this.clock = clock;
    }

    /** Runs every check that can run; a check whose input failed (a keystore that does not open, say) is skipped. */
    public static List<Check> examine(Path configFile, Limits limits, Clock clock) {
        Doctor d = new Doctor(configFile, limits, clock);
        d.run();
        return List.copyOf(d.checks);
    }

    private void add(String name, Status s, String detail) {
        checks.add(new Check(name, s, detail));
    }

    private void run() {
        NodeConfig config;
        try {
            config = NodeConfig.load(configFile);
            add("config", Status.OK, configFile + " is valid (" + config.authority() + ")");
        } catch (IOException | RuntimeException e) {
            add("config", Status.FAIL, e.getMessage());
            return;
        }
        AuthorityId me = AuthorityId.of(config.authority());
        Instant now = clock.instant();
        NodeKeys keys = null;
        try {
            keys = NodeKeys.load(config, p -> NodeConfig.resolve(configFile, p), null);
            add("keystores", Status.OK, (3 + keys.previousEncryption().size()) + " keystores open");
        } catch (Exception e) {
            add("keystores", Status.FAIL, e.getMessage());
        }
        X509Certificate operatorCa = null;
        FederationDirectory directory = null;
        try {
            operatorCa = Pem.readCertificate(path(config.directory().operatorCa()));
            X509CRL operatorCrl = Pem.readCrl(path(config.directory().operatorCrl()));
            FederationDirectory d = new DirectoryVerifier(operatorCa, List.of(operatorCrl)).verify(
                    Files.readAllBytes(path(config.directory().file())), now);
            directory = d;
            dated(Validity.directory(d), limits.crlWarning(), now, "directory", "#" + d.sequence() + ", " + d.authorities().size()
                    + " authorities, ");
        } catch (Exception e) {
            add("directory", Status.FAIL, config.directory().file() + ": " + e.getMessage());
        }
        if (keys != null && directory != null) {
            try {
                keys.check(directory, me);
                add("listed", Status.OK, "the TLS, signing and encryption certificates are the ones directory #" + directory.sequence()
                        + " lists for " + me);
            } catch (IllegalStateException e) {
                add("listed", Status.FAIL, e.getMessage());
            }
            auditKey(config, directory, me);
            witnessKey(config, directory, me);
        }
        if (keys != null) {
            for (Validity.Dated c : Validity.certificates(keys, directory, me, operatorCa)) {
                dated(c, limits.certificateWarning(), now, "certificate " + c.name(), "");
            }
        }
        List<X509CRL> crls = new ArrayList<>();
        for (String c : config.crls()) {
            try {
                X509CRL crl = Pem.readCrl(path(c));
                crls.add(crl);
                Validity.Dated v = Validity.crls(List.of(crl)).get(0);
                dated(v, limits.crlWarning(), now, "crl " + c, "age " + days(Duration.between(v.from(), now)) + ", ");
            } catch (IOException | RuntimeException e) {
                add("crl " + c, Status.FAIL, "cannot read: " + e.getMessage());
            }
        }
        store(config);
        disk(path(config.dataDir()));
        port("peer", config.peer(), config);
        port("local", config.local(), config);
        port("admin", config.admin(), config);
        if (limits.peers() && keys != null && directory != null) {
            for (FederationDirectory.Entry e : directory.authorities().values()) {
                if (!e.id().equals(me)) {
                    peer(e, keys);
                }
            }
        }
    }

    /** The message store: SQLite (nothing to reach), or the PostgreSQL database reachable with the configured password. */
    private void store(NodeConfig config) {
        NodeConfig.Store st = config.store();
        if (st == null || !st.isPostgresql()) {
            add("store", Status.OK, "SQLite in " + path(config.dataDir()).resolve("messages.db"));
            return;
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(st.url(), st.user(),
                new String(Passwords.fromFile(path(st.passwordFile()))));
                java.sql.Statement s = c.createStatement()) {
            s.setQueryTimeout((int) limits.peerTimeout().toSeconds());
            String version;
            try (java.sql.ResultSet r = s.executeQuery("SHOW server_version")) {
                version = r.next() ? r.getString(1) : "?";
            }
            String schema = "empty (the first node to start makes the schema)";
            try (java.sql.ResultSet r = s.executeQuery("SELECT to_regclass('liaison_schema') IS NOT NULL")) {
                if (r.next() && r.getBoolean(1)) {
                    try (java.sql.ResultSet v = s.executeQuery("SELECT version FROM liaison_schema")) {
                        schema = "schema version " + (v.next() ? v.getInt(1) : 0);
                    }
                }
            }
            add("store", Status.OK, "PostgreSQL " + version + " at " + st.url() + " as " + st.user() + ", " + schema + "; this node is "
                    + config.effectiveNodeId());
        } catch (java.sql.SQLException | IOException e) {
            add("store", Status.FAIL, st.url() + ": " + e.getMessage());
        }
    }

    /** The audit log's key: listed in the directory (when it lists any) and readable. */
    private void auditKey(NodeConfig config, FederationDirectory directory, AuthorityId me) {
        Path vkey = path(config.dataDir()).resolve("audit").resolve(FileAuditLog.VERIFIER_KEY);
        List<String> listed = directory.authority(me).map(FederationDirectory.Entry::auditLogKeys).orElse(List.of());
        if (config.auditKey() != null && !Files.isReadable(path(config.auditKey()))) {
            add("audit key", Status.FAIL, config.auditKey() + " (auditKey) cannot be read: the audit log does not open without it");
        } else if (listed.isEmpty()) {
            add("audit key", Status.WARN, "directory #" + directory.sequence() + " lists no audit log key for " + me
                    + ": peers pin the first they see; list it (liaison directory edit --add audit=" + vkey + ")");
        } else if (config.auditKey() == null && !Files.exists(vkey)) {
            add("audit key", Status.OK, "the directory lists " + listed.size() + " key(s); the log has not run yet");
        } else {
            try {
                String mine = config.auditKey() != null
                        ? FileAuditLog.verifierKeyOf(path(config.auditKey()),
                                FederationSetup.auditLogName(me))
                        : Files.readString(vkey).strip();
                add("audit key", listed.contains(mine) ? Status.OK : Status.FAIL, listed.contains(mine)
                        ? "the log's key is the one directory #" + directory.sequence() + " lists"
                        : "the log's key " + mine + " is not one directory #" + directory.sequence() + " lists: the node will not start");
            } catch (IOException e) {
                add("audit key", Status.FAIL, vkey + ": " + e.getMessage());
            }
        }
    }

    /** The node's witness key (witness.key beside node.yaml, or the one the node made): shown, and whether the directory lists it. */
    private void witnessKey(NodeConfig config, FederationDirectory directory, AuthorityId me) {
        Path beside = configFile.toAbsolutePath().resolveSibling(WitnessKeys.FILE);
        Path own = path(config.dataDir()).resolve("witness").resolve(WitnessKeys.FILE);
        Path file = Files.exists(beside) ? beside : own;
        if (!Files.exists(file)) {
            add("witness key", directory.witnessing().witnessedBy(me).isEmpty() ? Status.OK : Status.WARN,
                    "none yet: the node makes " + own + " at its first start; then list it (liaison directory edit --add witness=…)");
            return;
        }
        try {
            Cosignature.WitnessKey mine = WitnessKeys.load(file, me).key();
            boolean listed = directory.witnessing().keysOf(me).contains(mine);
            int logs = directory.witnessing().witnessedBy(me).size();
            add("witness key", listed || logs == 0 ? Status.OK : Status.WARN, mine.vkey() + (listed ? " (listed; witnesses " + logs
                    + " log(s))" : " is not listed in directory #" + directory.sequence() + (logs == 0 ? "" : ": its cosignatures of "
                    + logs + " log(s) will not count") + "; list it with liaison directory edit --add witness=" + mine.vkey()));
        } catch (IOException e) {
            add("witness key", Status.FAIL, e.getMessage());
        }
    }

    private Path path(String p) {
        return NodeConfig.resolve(configFile, p);
    }

    /** A validity: FAIL when expired or not yet valid, WARN when it ends within {@code warning}. */
    private void dated(Validity.Dated v, Duration warning, Instant now, String name, String prefix) {
        String subject = v.name().equals("directory") ? "" : v.subject() + ": ";
        if (v.notYetValidAt(now)) {
            add(name, Status.FAIL, subject + "not valid before " + v.from() + " (is this machine's clock right?)");
        } else if (v.expiredAt(now)) {
            add(name, Status.FAIL, subject + prefix + "expired " + v.until() + (v.name().equals("crl")
                    ? " (stale: the node refuses what this CA issued until a fresh CRL is installed)" : ""));
        } else {
            Duration left = Duration.between(now, v.until());
            add(name, left.compareTo(warning) < 0 ? Status.WARN : Status.OK, subject + prefix
                    + (v.name().equals("directory") || v.name().equals("crl") ? "next update " : "expires ") + v.until() + ", in "
                    + days(left));
        }
    }

    private static String days(Duration d) {
        if (d.toDays() >= 2) {
            return d.toDays() + " days";
        }
        return d.toHours() >= 2 ? d.toHours() + " hours" : Math.max(0, d.toMinutes()) + " minutes";
    }

    private void disk(Path data) {
        try {
            Path existing = data;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent(); // a node that never ran: the folder it will make
            }
            FileStore fs = Files.getFileStore(existing);
            long free = fs.getUsableSpace();
            long total = fs.getTotalSpace();
            String detail = data + ": " + mib(free) + " free of " + mib(total);
            if (free < limits.minFreeBytes()) {
                add("disk", Status.FAIL, detail + ", below the minimum of " + mib(limits.minFreeBytes())
                        + " (the node refuses new messages when the disk is full)");
            } else if (total > 0 && free < total / 10) {
                add("disk", Status.WARN, detail + " (less than 10%)");
            } else {
                add("disk", Status.OK, detail);
            }
            if (Files.exists(data) && !Files.isWritable(data)) {
                add("disk", Status.FAIL, data + " is not writable by this user");
            }
        } catch (IOException e) {
            add("disk", Status.FAIL, data + ": " + e.getMessage());
        }
    }

    private static String mib(long bytes) {
        return bytes >= 10L << 30 ? (bytes >> 30) + " GiB" : (bytes >> 20) + " MiB";
    }

    /** A port is fine when it is free, or when this node (its admin port answers) already holds it. */
    private void port(String name, NodeConfig.Listener l, NodeConfig config) {
        String where = l.host() + ":" + l.port();
        if (l.port() == 0) {
            add("port " + name, Status.OK, "any free port on " + l.host());
            return;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(l.host(), l.port()));
            add("port " + name, Status.OK, where + " is free");
        } catch (BindException taken) {
            if (nodeAnswers(config.admin())) {
                add("port " + name, Status.OK, where + " is in use by this node (its admin port answers /health)");
            } else {
                add("port " + name, Status.FAIL, where + " is taken by another process");
            }
        } catch (IOException e) {
            add("port " + name, Status.FAIL, where + ": " + e.getMessage());
        }
    }

    private boolean nodeAnswers(NodeConfig.Listener admin) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(admin.host(), admin.port()), 2000);
            s.setSoTimeout(2000);
            s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: " + admin.host() + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readNBytes(512), StandardCharsets.US_ASCII);
            return answer.startsWith("HTTP/1.1 200") && answer.endsWith("ok\n");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * One peer: a TLS 1.3 connection with this node's certificate to the endpoint the directory
     * lists, accepted only if the server presents the gateway certificate the directory lists for
     * that authority; then one request, whose answer's {@code Date} gives the clocks' offset.
     */
    private void peer(FederationDirectory.Entry e, NodeKeys keys) {
        String name = "peer " + e.id();
        if (e.endpoints().isEmpty()) {
            add(name, Status.WARN, "the directory lists no endpoint");
            return;
        }
        URI endpoint = URI.create(e.endpoints().get(0));
        int port = endpoint.getPort() < 0 ? 443 : endpoint.getPort();
        try {
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(new javax.net.ssl.KeyManager[] {new SingleKeyManager(keys.tls())},
                    new javax.net.ssl.TrustManager[] {new ListedServer(e)}, null);
            long timeout = limits.peerTimeout().toMillis();
            try (Socket raw = new Socket()) {
                raw.connect(new InetSocketAddress(endpoint.getHost(), port), (int) timeout);
                raw.setSoTimeout((int) timeout);
                try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, endpoint.getHost(), port, false)) {
                    s.setEnabledProtocols(new String[] {"TLSv1.3"});
                    long sent = System.nanoTime();
                    Instant asked = clock.instant();
                    OutputStream out = s.getOutputStream();
                    out.write(("GET " + ReceiveHandler.transferPath(new java.util.UUID(0, 0))
                            + " HTTP/1.1\r\nHost: " + endpoint.getHost() + ":" + port + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String head = readHead(s.getInputStream());
                    Duration rtt = Duration.ofNanos(System.nanoTime() - sent);
                    String date = header(head, "date");
                    if (date == null) {
                        add(name, Status.WARN, endpoint + " reachable (" + rtt.toMillis() + " ms), but its answer has no Date:"
                                + " clock not compared (a node before this version)");
                        return;
                    }
                    Instant theirs = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                    Duration offset = Duration.between(asked.plus(rtt.dividedBy(2)), theirs);
                    Duration abs = offset.abs();
                    String detail = endpoint + " reachable (" + rtt.toMillis() + " ms), its clock " + (offset.isNegative() ? "-" : "+")
                            + String.format(Locale.ROOT, "%.1f", abs.toMillis() / 1000.0) + " s from this machine's (HTTP Date, 1 s resolution)";
                    if (abs.compareTo(limits.clockFailure()) >= 0) {
                        add(name, Status.FAIL, detail + ": beyond the " + limits.clockFailure().toMinutes()
                                + " minutes peers tolerate, messages will be refused; fix the clocks (NTP)");
                    } else if (abs.compareTo(limits.clockWarning()) >= 0) {
                        add(name, Status.WARN, detail + ": check NTP on both machines");
                    } else {
                        add(name, Status.OK, detail);
                    }
                }
            }
        } catch (IOException | java.security.GeneralSecurityException | RuntimeException x) {
            add(name, Status.WARN, endpoint + " not reachable: " + (x.getMessage() == null ? x.getClass().getSimpleName() : x.getMessage())
                    + " (deliveries to " + e.id() + " wait and retry)");
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while (sb.length() < 16384 && (c = in.read()) >= 0) {
            sb.append((char) c);
            if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        if (!sb.toString().startsWith("HTTP/1.1 ")) {
            throw new IOException("not an HTTP answer");
        }
        return sb.toString();
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** Trusts only the gateway certificate(s) the directory lists for this one peer. */
    private static final class ListedServer implements X509TrustManager {
        private final FederationDirectory.Entry peer;

        ListedServer(FederationDirectory.Entry peer) {
            this.peer = peer;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("not a server");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            if (chain == null || chain.length == 0 || !peer.isGatewayCertificate(chain[0])) {
                throw new java.security.cert.CertificateException("the server is not the gateway the directory lists for " + peer.id());
            }
            chain[0].checkValidity();
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** The exit status of a report: failed if any check failed. */
    public static boolean failed(List<Check> checks) {
        return checks.stream().anyMatch(c -> c.status() == Status.FAIL);
    }

    /** The report as JSON-ready maps. */
    public static List<Map<String, String>> asMaps(List<Check> checks) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Check c : checks) {
            Map<String, String> m = new java.util.LinkedHashMap<>();
            m.put("check", c.name());
            m.put("status", c.status().name().toLowerCase(Locale.ROOT));
            m.put("detail", c.detail());
            out.add(m);
        }
        return out;
    }
}
