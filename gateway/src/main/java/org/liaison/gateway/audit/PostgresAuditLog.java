package org.liaison.gateway.audit;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.gateway.net.EventLoops;
import org.liaison.gateway.store.PostgresMessageStore;
import org.liaison.protocol.ProtocolException;
import org.liaison.protocol.tlog.Checkpoint;
import org.liaison.protocol.tlog.Merkle;
import org.liaison.protocol.tlog.SignedNote;
import org.liaison.protocol.tlog.TilePath;
import org.liaison.protocol.tlog.TiledTree;

/**
 * One audit log for all the nodes of an authority, in its PostgreSQL database (the design
 * Trillian uses on MySQL/Spanner). Entries are appended in one total order with no gaps: each
 * takes the next index from a one-row counter in the same transaction that inserts it (the row
 * lock serializes appenders across nodes, and a rolled-back append gives its index back), so an
 * entry is durable, numbered and visible in index order once {@link #record} returns. Appends made on
 * one node while its previous transaction commits are written together, in one transaction ({@link GroupCommit}).
 * Every node
 * mirrors the Merkle tree by reading the entries in order, as a {@link TiledTree}: the right edge in
 * memory, the full C2SP hash tiles in the database ({@link PostgresTiles}: {@code audit_tiles}, and the
 * tree state {@code audit_tree} — a size, its right edge and the checkpoint signed at it — moved
 * forward with the tiles it relies on in one transaction at each checkpoint). Opening costs the same at
 * any size: the state must reproduce its signed checkpoint, the last {@value FileAuditLog#RECENT}
 * entries before it must be the ones its tiles hold, the entries after it are added, and the result
 * must reproduce the latest signed checkpoint. A log without a state (of the earlier format) is
 * converted once, by one node: every entry re-hashed into tiles, every stored checkpoint reproduced
 * ({@code audit_tiles_migrated} says what was checked). Full verification stays {@code liaison audit
 * verify} on a pulled copy. Tiles and the state are in the database rather than on a shared folder: they
 * commit in one transaction with what relies on them, and are backed up, replicated and restored with
 * the entries (docs/performance.md has the measurement). One node at a time — the holder of a
 * PostgreSQL advisory lock, taken over when its connection dies with it — integrates: it signs the
 * periodic checkpoints. A receipt's checkpoint may be signed by any node: the key is the
 * authority's (listed in the directory), and Ed25519 signatures are deterministic, so two nodes
 * signing the same size sign the same note — no fork is possible. Entry bytes and checkpoints are
 * those of {@link FileAuditLog}: {@code liaison audit} reads a pulled copy the same way.
 */
public final class PostgresAuditLog implements AuditLog, AuditLog.Tree {
    private static final Logger LOG = LogManager.getLogger(PostgresAuditLog.class);
    private static final Logger AUDIT = LogManager.getLogger("liaison.audit");
    /** The advisory lock of the integrator ("LIAISONA"). */
    private static final long LEADER_LOCK = 0x4C494149534F4E41L;
    private static final String SCHEMA = "CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), next BIGINT NOT NULL);"
            + "INSERT INTO audit_head VALUES (1, 0) ON CONFLICT DO NOTHING;"
            + "CREATE TABLE IF NOT EXISTS audit_entries (seq BIGINT PRIMARY KEY, entry BYTEA NOT NULL, node TEXT NOT NULL);"
            + "CREATE TABLE IF NOT EXISTS audit_checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL, node TEXT NOT NULL);"
            + PostgresTiles.SCHEMA;
    /** The advisory lock of the conversion of a log of the earlier format into tiles (one node converts). */
    private static final long MIGRATION_LOCK = LEADER_LOCK + 2;

    private final HikariDataSource pool;
    private final String url;
    private final String user;
    private final char[] password;
    private final String origin;
    private final String nodeId;
    private final SignedNote.Signer signer;
    private final Path snapshots;
    private final PostgresTiles tiles;
    private TiledTree tree;
    /** The size of the tree state this node last saw stored (guarded by this). */
    private long stateSize = -1;
    private final List<byte[]> recent;
    /** {@link #record}: appends written together while another transaction commits (up to 256 in one). */
    private final GroupCommit<AuditEvent> appends = new GroupCommit<>(256, this::appendAll);
    private final ScheduledExecutorService integrator = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "liaison-audit-integrator");
        t.setDaemon(true);
        return t;
    });
    /** The connection that holds the leader lock while this node integrates; null otherwise. */
    private Connection leaderConnection;
    private volatile boolean leader;
    private volatile boolean healthy = true;
    private volatile String latestCheckpoint;
    private long checkpointedSize;

    /** The node's clock: the time of the entries this log makes itself. */
    private final Clock clock;

    private PostgresAuditLog(HikariDataSource pool, String url, String user, char[] password, String origin, String nodeId,
            SignedNote.Signer signer, Path snapshots, Runnable betweenReads, Clock clock) throws SQLException, IOException {
        this.clock = clock;
        this.pool = pool;
        this.url = url;
        this.user = user;
        this.password = password.clone();
        this.origin = origin;
        this.nodeId = nodeId;
        this.signer = signer;
        this.snapshots = snapshots;
        this.tiles = new PostgresTiles(() -> DriverManager.getConnection(url, user, new String(this.password)));
        // The checkpoint first, then the entries: every entry a stored checkpoint covers was committed
        // before it was signed, so the entries read afterwards reach its size, even while another node
        // appends and signs a larger one meanwhile (read the other way round, that looked like tampering).
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1")) {
            if (r.next()) {
                checkpointedSize = r.getLong(1);
                latestCheckpoint = r.getString(2);
            }
        }
        betweenReads.run();
        try {
            openTree();
            this.recent = recentEntries();
        } catch (SQLException | IOException | RuntimeException e) {
            tiles.close();
            throw e;
        }
    }

    private Checkpoint verified(String note, String which) throws IOException {
        try {
            return Checkpoint.parse(SignedNote.open(note, signer.verifierKey()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new FileAuditLog.AuditLogDamagedException("the shared audit log's " + which + " does not verify under the log's key ("
                    + e.getMessage() + "). Nothing was changed");
        }
    }

    private static IOException damaged(String what) {
        return new FileAuditLog.AuditLogDamagedException("the shared audit log cannot be opened: " + what + ". Nothing was changed."
                + " Pull a copy and check it with 'liaison audit verify'. When only its tiles are damaged (the entries verify), stop"
                + " every node, delete the rows of audit_tiles and audit_tree, and the next open converts the entries into tiles again,"
                + " every stored checkpoint checked; otherwise restore the database from a backup");
    }

    /** The tree from the stored tree state and the entries after it; a log without a state is converted first. */
    private void openTree() throws SQLException, IOException {
        PostgresTiles.State st;
        try (Connection c = pool.getConnection()) {
            st = PostgresTiles.state(c);
        }
        if (st == null) {
            migrate();
        } else {
            fromState(st);
        }
        catchUp();
    }

    private synchronized void fromState(PostgresTiles.State st) throws IOException {
        Checkpoint sc = verified(st.note(), "checkpoint in its tree state");
        if (sc.size() != st.size()) {
            throw damaged("its tree state is for size " + st.size() + " but holds a checkpoint of size " + sc.size());
        }
        try {
            tree = TiledTree.fromEdge(st.size(), st.edge(), tiles, FileAuditLog.CACHE_TILES);
            if (!MessageDigest.isEqual(tree.root(st.size()), sc.rootHash())) {
                throw damaged("its tiles do not reproduce the checkpoint of size " + st.size() + " in its tree state: the log was altered");
            }
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw damaged("its tree state or tiles cannot be used (" + e.getMessage() + ")");
        }
        stateSize = st.size();
    }

    /**
     * Converts a log of the earlier format (entries and checkpoints, no tiles) once, under an advisory
     * lock (a node opening meanwhile waits, then opens from the state written): every entry re-hashed into
     * tiles, every stored checkpoint reproduced by them, then the tiles and the state at the latest
     * checkpoint stored in one transaction, and what was checked recorded in {@code audit_tiles_migrated}.
     */
    private void migrate() throws SQLException, IOException {
        try (Connection lock = pool.getConnection()) {
            try (Statement s = lock.createStatement()) {
                s.execute("SELECT pg_advisory_lock(" + MIGRATION_LOCK + ")");
            }
            try {
                PostgresTiles.State st = PostgresTiles.state(lock);
                if (st != null) {
                    fromState(st); // another node converted it meanwhile
                    return;
                }
                convert(lock);
            } finally {
                try (Statement s = lock.createStatement()) {
                    s.execute("SELECT pg_advisory_unlock(" + MIGRATION_LOCK + ")");
                }
            }
        }
    }

    private void convert(Connection c) throws SQLException, IOException {
        synchronized (this) {
            tree = new TiledTree(tiles, FileAuditLog.CACHE_TILES);
        }
        long checked = 0;
        long firstSize = -1;
        Checkpoint last = null;
        String lastNote = null;
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false); // a cursor: the entries and checkpoints are read in slices, whatever their number
        try (Connection w = pool.getConnection();
                PreparedStatement pe = c.prepareStatement("SELECT seq, entry FROM audit_entries ORDER BY seq");
                PreparedStatement pc = c.prepareStatement("SELECT size, note FROM audit_checkpoints ORDER BY size")) {
            pe.setFetchSize(4096);
            pc.setFetchSize(1024);
            try (ResultSet entries = pe.executeQuery(); ResultSet cps = pc.executeQuery()) {
                boolean more = cps.next();
                while (true) {
                    // every checkpoint of the size reached must have the tiles' root
                    while (more && cps.getLong(1) <= tree.size()) {
                        Checkpoint cp = verified(cps.getString(2), "checkpoint of size " + cps.getLong(1));
                        synchronized (this) {
                            if (cp.size() != cps.getLong(1) || !MessageDigest.isEqual(tree.root(cp.size()), cp.rootHash())) {
                                throw damaged("its first " + cp.size() + " entries do not reproduce its signed checkpoint of that size:"
                                        + " the log was altered");
                            }
                        }
                        checked++;
                        firstSize = firstSize < 0 ? cp.size() : firstSize;
                        last = cp;
                        lastNote = cps.getString(2);
                        more = cps.next();
                    }
                    if (!entries.next()) {
                        break;
                    }
                    synchronized (this) {
                        if (entries.getLong(1) != tree.size()) {
                            throw damaged("entry " + tree.size() + " is missing before " + entries.getLong(1));
                        }
                        tree.append(Merkle.leafHash(entries.getBytes(2)));
                    }
                    if (tree.pendingCount() >= 1024) {
                        writeTiles(w, null); // keeps the memory bounded; nothing relies on them until the state is written
                    }
                }
                if (more) {
                    throw damaged("it has fewer entries (" + tree.size() + ") than its signed checkpoint of size " + cps.getLong(1)
                            + ": entries were removed");
                }
            }
            c.commit();
            PostgresTiles.State st = null;
            synchronized (this) {
                if (last != null) {
                    st = new PostgresTiles.State(last.size(), tree.edgeAt(last.size()), lastNote);
                }
            }
            writeTiles(w, st);
            if (tree.size() > 0) {
                String record = "converted into tiles by " + nodeId + ": " + tree.size() + " entries re-hashed; " + checked
                        + " signed checkpoint(s) held, every one reproduced by the tiles" + (last == null ? "" : " (sizes " + firstSize
                        + " to " + last.size() + ", latest root " + HexFormat.of().formatHex(last.rootHash()) + ")");
                try (PreparedStatement p = w.prepareStatement("INSERT INTO audit_tiles_migrated (node, record) VALUES (?, ?)")) {
                    p.setString(1, nodeId);
                    p.setString(2, record);
                    p.executeUpdate();
                }
                LOG.warn("shared audit log: {}", record);
            }
        } catch (SQLException | IOException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /**
     * Stores the full tiles completed and not yet stored and, with them in one transaction, moves the
     * tree state forward to {@code st} (when given and beyond the stored one); then reads them from the
     * database. Never inside an append's transaction (one rolled back would take stored tiles with it).
     */
    private void writeTiles(Connection c, PostgresTiles.State st) throws SQLException {
        Map<TilePath.Tile, byte[]> pending;
        synchronized (this) {
            pending = tree.pending();
            if (st != null && st.size() <= stateSize) {
                st = null;
            }
        }
        if (pending.isEmpty() && st == null) {
            return;
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            PostgresTiles.write(c, pending);
            if (st != null) {
                PostgresTiles.advance(c, st);
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
        synchronized (this) {
            tree.taken(pending.keySet());
            if (st != null) {
                stateSize = Math.max(stateSize, st.size());
            }
        }
    }

    /**
     * Opens the authority's shared log in the database at {@code url}, signing with the key in
     * {@code keyFile} (the same file on every node of the authority). Checks, before anything is
     * written, that the entries reproduce the latest stored checkpoint under that key.
     */
    public static PostgresAuditLog open(String url, String user, char[] password, Path keyFile, String origin, String nodeId,
            Duration every, Path snapshots) throws IOException {
        return open(url, user, password, keyFile, origin, nodeId, every, snapshots, Clock.systemUTC());
    }

    /** As above; {@code clock}: the node's, for the times of the entries this log makes itself (a leader's takeover). */
    public static PostgresAuditLog open(String url, String user, char[] password, Path keyFile, String origin, String nodeId,
            Duration every, Path snapshots, Clock clock) throws IOException {
        return open(url, user, password, keyFile, origin, nodeId, every, snapshots, () -> { }, clock);
    }

    /** As above; {@code betweenReads} runs between the two reads of the log at open (tests: another node writes then). */
    static PostgresAuditLog open(String url, String user, char[] password, Path keyFile, String origin, String nodeId,
            Duration every, Path snapshots, Runnable betweenReads) throws IOException {
        return open(url, user, password, keyFile, origin, nodeId, every, snapshots, betweenReads, Clock.systemUTC());
    }

    static PostgresAuditLog open(String url, String user, char[] password, Path keyFile, String origin, String nodeId,
            Duration every, Path snapshots, Runnable betweenReads, Clock clock) throws IOException {
        if (!Files.exists(keyFile)) {
            throw new FileAuditLog.AuditLogDamagedException("the audit log key " + keyFile + " does not exist. Nothing was changed."
                    + " Every node of the authority needs the same key file (auditKey in node.yaml)");
        }
        SignedNote.Signer signer = FileAuditLog.signer(keyFile, origin);
        HikariDataSource ds;
        try {
            ds = PostgresMessageStore.pool(url, user, password, 4, "liaison-audit", nodeId);
        } catch (RuntimeException e) {
            throw new IOException("cannot connect to the audit log's database " + url + ": " + e.getMessage(), e);
        }
        PostgresAuditLog log;
        try {
            try (Connection conn = ds.getConnection()) {
                createSchema(conn);
            }
            log = new PostgresAuditLog(ds, url, user, password, origin, nodeId, signer, snapshots, betweenReads, clock);
            log.verifyAtOpen();
        } catch (SQLException | IOException | RuntimeException e) {
            ds.close();
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot open the audit log in " + url + ": " + e.getMessage(), e);
        }
        log.integrator.scheduleWithFixedDelay(log::integrate, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return log;
    }

    /** Makes the log's tables if they are not there (once, whichever node gets there first). */
    public static void createSchema(Connection conn) throws SQLException {
        try (Statement s = conn.createStatement()) {
            conn.setAutoCommit(false);
            s.execute("SELECT pg_advisory_xact_lock(" + (LEADER_LOCK + 1) + ")");
            for (String sql : SCHEMA.split(";")) {
                s.execute(sql);
            }
            conn.commit();
        } catch (SQLException e) {
            conn.rollback();
            throw e;
        } finally {
            conn.setAutoCommit(true);
        }
    }

    /** The entries must reproduce the latest checkpoint, signed under this log's key (else: refused, untouched). */
    private void verifyAtOpen() throws IOException {
        String note = latestCheckpoint;
        if (note == null) {
            return;
        }
        Checkpoint c;
        try {
            c = Checkpoint.parse(SignedNote.open(note, signer.verifierKey()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new FileAuditLog.AuditLogDamagedException("the shared audit log's last checkpoint does not verify under the log's key ("
                    + e.getMessage() + "). Nothing was changed");
        }
        synchronized (this) {
            if (tree.size() < c.size() || !Arrays.equals(tree.root(c.size()), c.rootHash())) {
                throw new FileAuditLog.AuditLogDamagedException("the shared audit log's entries do not reproduce its last checkpoint"
                        + " (size " + c.size() + "). Nothing was changed");
            }
        }
    }

    /** Reads the entries appended since the tree was last brought up to date (by any node), in index order. */
    private void catchUp() throws SQLException {
        EventLoops.assertOffLoop("a read of the shared audit log");
        try (Connection c = pool.getConnection()) {
            catchUp(c);
        }
    }

    /** As {@link #catchUp()}, on {@code c}. */
    private void catchUp(Connection c) throws SQLException {
        synchronized (this) {
            try (PreparedStatement p = c.prepareStatement("SELECT seq, entry FROM audit_entries WHERE seq >= ? ORDER BY seq")) {
                p.setLong(1, tree.size());
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        long seq = r.getLong(1);
                        if (seq != tree.size()) {
                            throw new SQLException("the shared audit log has a gap: entry " + tree.size() + " is missing before " + seq);
                        }
                        tree.append(Merkle.leafHash(r.getBytes(2)));
                    }
                }
            }
        }
    }

    /**
     * The last {@value FileAuditLog#RECENT} entries of the tree as it was opened; each must be the one the
     * tiles hold (a changed, removed or added entry among them: the log is refused).
     */
    private List<byte[]> recentEntries() throws SQLException, IOException {
        List<byte[]> out = new ArrayList<>();
        synchronized (this) {
            long size = tree.size();
            long from = Math.max(0, size - FileAuditLog.RECENT);
            try (Connection c = pool.getConnection();
                    PreparedStatement p = c.prepareStatement("SELECT seq, entry FROM audit_entries WHERE seq >= ? AND seq < ? ORDER BY seq")) {
                p.setLong(1, from);
                p.setLong(2, size);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        long seq = r.getLong(1);
                        byte[] e = r.getBytes(2);
                        if (seq != from + out.size()) {
                            throw damaged("its entries do not reproduce its last checkpoint: entry " + (from + out.size()) + " is missing");
                        }
                        try {
                            if (!MessageDigest.isEqual(Merkle.leafHash(e), tree.leafHash(seq))) {
                                throw damaged("its entries do not reproduce its last checkpoint: entry " + seq + " is not the one its tiles"
                                        + " hold, the log was altered");
                            }
                        } catch (UncheckedIOException x) {
                            throw damaged("a tile cannot be used (" + x.getMessage() + ")");
                        }
                        out.add(e);
                    }
                }
            }
            if (out.size() != size - from) {
                throw damaged("its entries do not reproduce its last checkpoint: it has " + (from + out.size()) + " entries, its tree "
                        + size);
            }
        }
        return List.copyOf(out);
    }

    @Override
    public List<byte[]> recentAtOpen() {
        return recent;
    }

    @Override
    public long record(AuditEvent e) {
        EventLoops.assertOffLoop("an audit append");
        try {
            long seq = appends.append(e);
            healthy = true;
            return seq;
        } catch (SQLException x) {
            healthy = false;
            throw new FileAuditLog.AuditWriteException("cannot append to the shared audit log: " + x.getMessage(), x);
        }
    }

    /**
     * Appends that queued while another transaction was written, in one transaction (group commit): one head update
     * and one commit for all of them instead of one each. Their indexes follow each other, in the order they queued.
     */
    private long appendAll(List<AuditEvent> events) throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                long first = nextIndex(c, events.size());
                List<byte[]> written = new ArrayList<>(events.size());
                try (PreparedStatement p = c.prepareStatement("INSERT INTO audit_entries (seq, entry, node) VALUES (?, ?, ?)")) {
                    for (int i = 0; i < events.size(); i++) {
                        byte[] bytes = FileAuditLog.entryBytes(first + i, events.get(i));
                        written.add(bytes);
                        p.setLong(1, first + i);
                        p.setBytes(2, bytes);
                        p.setString(3, nodeId);
                        p.addBatch();
                    }
                    p.executeBatch();
                }
                c.commit();
                for (byte[] bytes : written) {
                    AUDIT.info("{}", new String(bytes, StandardCharsets.UTF_8));
                }
                return first;
            } catch (SQLException | RuntimeException x) {
                c.rollback();
                throw x;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /** Takes the next index in the gapless order; the head row stays held until the transaction ends. */
    private static long nextIndex(Connection c) throws SQLException {
        return nextIndex(c, 1);
    }

    /** Takes the next {@code count} indexes in the gapless order (returns the first); the head row stays held until the transaction ends. */
    private static long nextIndex(Connection c, int count) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE audit_head SET next = next + ? WHERE id = 1 RETURNING next - ?")) {
            p.setLong(1, count);
            p.setLong(2, count);
            try (ResultSet r = p.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    /** Inserts entry {@code seq} in the transaction; returns its bytes (what the leaf hash covers). */
    private byte[] insertEntry(Connection c, long seq, AuditEvent e) throws SQLException {
        byte[] bytes = FileAuditLog.entryBytes(seq, e);
        try (PreparedStatement p = c.prepareStatement("INSERT INTO audit_entries (seq, entry, node) VALUES (?, ?, ?)")) {
            p.setLong(1, seq);
            p.setBytes(2, bytes);
            p.setString(3, nodeId);
            p.executeUpdate();
        }
        return bytes;
    }

    /** Work done in the transaction of an audit append (see {@link #recordWith}). */
    public interface InTransaction<T> {
        /**
         * @param c the transaction's connection (on the authority's database)
         * @param checkpoint a signed checkpoint of the log up to and including the entry, stored in the same transaction
         */
        T run(Connection c, long index, String checkpoint) throws SQLException, ProtocolException;
    }

    /**
     * Appends {@code e} and does {@code work} in one transaction on the authority's database: the entry,
     * a checkpoint covering it and what {@code work} writes are committed together when {@code keep}
     * accepts work's result, and none of them otherwise (the index is given back). For an event that must
     * agree with what the node stores (a reception and its receipt). Other appends, on every node, wait
     * for the transaction: the head row is held until it ends.
     */
    public <T> T recordWith(AuditEvent e, InTransaction<T> work, Predicate<T> keep)
            throws ProtocolException {
        EventLoops.assertOffLoop("an audit append");
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                long seq = nextIndex(c);
                catchUp(c); // every entry below seq is committed: its appender held the head row until then
                byte[] bytes = insertEntry(c, seq, e);
                Checkpoint cp;
                synchronized (this) {
                    if (tree.size() != seq) {
                        throw new SQLException("the shared audit log holds " + tree.size() + " entries before entry " + seq);
                    }
                    cp = new Checkpoint(origin, seq + 1, tree.rootWith(Merkle.leafHash(bytes)));
                }
                String note;
                try {
                    note = SignedNote.sign(cp.text(), signer);
                } catch (GeneralSecurityException x) {
                    throw new IllegalStateException("cannot sign an audit checkpoint: " + x.getMessage(), x);
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO audit_checkpoints (size, note, node) VALUES (?, ?, ?)"
                        + " ON CONFLICT (size) DO NOTHING")) {
                    p.setLong(1, cp.size());
                    p.setString(2, note);
                    p.setString(3, nodeId);
                    p.executeUpdate();
                }
                T out = work.run(c, seq, note);
                if (!keep.test(out)) {
                    c.rollback();
                    return out;
                }
                c.commit();
                healthy = true;
                AUDIT.info("{}", new String(bytes, StandardCharsets.UTF_8));
                synchronized (this) {
                    if (cp.size() > checkpointedSize) {
                        checkpointedSize = cp.size();
                        latestCheckpoint = note;
                    }
                }
                return out;
            } catch (SQLException | RuntimeException | ProtocolException x) {
                c.rollback();
                throw x;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException x) {
            healthy = false;
            throw new FileAuditLog.AuditWriteException("cannot append to the shared audit log (nothing of it was committed): "
                    + x.getMessage(), x);
        }
    }

    @Override
    public boolean healthy() {
        return healthy;
    }

    /** Whether this node integrates (holds the leader lock) now. */
    public boolean isLeader() {
        return leader;
    }

    /** The integrator's round: take the lead if nobody holds it; as the leader, sign a checkpoint when the log grew. */
    private void integrate() {
        try {
            if (!leader) {
                tryToLead();
            }
            if (leader) {
                checkpointNow();
            } else {
                catchUp();
                try (Connection c = pool.getConnection()) {
                    writeTiles(c, null); // every node stores the tiles it completed: its memory stays bounded
                }
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("audit log integration round failed: {}", e.toString());
            dropLead();
        }
    }

    private void tryToLead() throws SQLException {
        Connection c = leaderConnection;
        if (c == null || !c.isValid(2)) {
            closeQuietly(c);
            c = DriverManager.getConnection(url, user, new String(password));
            leaderConnection = c;
        }
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_try_advisory_lock(" + LEADER_LOCK + ")")) {
            if (r.next() && r.getBoolean(1)) {
                // The takeover is on the record before this node acts (or says it acts) as the leader.
                record(AuditEvent.of(clock, "audit-leader", nodeId, null, null, "ok", "integrates the shared audit log"));
                leader = true;
                LOG.info("this node ({}) now integrates the authority's audit log", nodeId);
            }
        }
    }

    private void dropLead() {
        leader = false;
        closeQuietly(leaderConnection);
        leaderConnection = null;
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the connection is gone either way
            }
        }
    }

    /** Signs and stores a checkpoint of the log as it is now (if it grew); returns the latest. */
    public String checkpointNow() throws SQLException {
        catchUp();
        Checkpoint cp;
        synchronized (this) {
            if (tree.size() == checkpointedSize && latestCheckpoint != null) {
                return latestCheckpoint;
            }
            if (tree.size() == 0) {
                return latestCheckpoint;
            }
            cp = new Checkpoint(origin, tree.size(), tree.root(tree.size()));
        }
        String note;
        try {
            note = SignedNote.sign(cp.text(), signer);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign an audit checkpoint: " + e.getMessage(), e);
        }
        try (Connection c = pool.getConnection();
                PreparedStatement p = c.prepareStatement("INSERT INTO audit_checkpoints (size, note, node) VALUES (?, ?, ?)"
                        + " ON CONFLICT (size) DO NOTHING")) {
            p.setLong(1, cp.size());
            p.setString(2, note);
            p.setString(3, nodeId);
            p.executeUpdate();
            // The tiles and the tree state at this checkpoint: the next open starts there.
            PostgresTiles.State st;
            synchronized (this) {
                st = new PostgresTiles.State(cp.size(), tree.edgeAt(cp.size()), note);
            }
            writeTiles(c, st);
        }
        synchronized (this) {
            if (cp.size() > checkpointedSize) {
                checkpointedSize = cp.size();
                latestCheckpoint = note;
            }
            return latestCheckpoint;
        }
    }

    @Override
    public long append(AuditEvent e) {
        return record(e); // each record is committed (with the appends that queued with it): nothing more to group
    }

    @Override
    public Optional<AuditLog.Tree> tree() {
        return Optional.of(this);
    }

    @Override
    public String checkpoint() {
        return latestCheckpoint;
    }

    @Override
    public String checkpointCovering(long index) {
        synchronized (this) {
            if (checkpointedSize > index) {
                return latestCheckpoint;
            }
        }
        try {
            return checkpointNow();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write an audit checkpoint: " + e.getMessage(), e);
        }
    }

    @Override
    public List<byte[]> consistencyProof(long first, long second) {
        try {
            catchUp();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the shared audit log: " + e.getMessage(), e);
        }
        synchronized (this) {
            return tree.consistencyProof(first, second);
        }
    }

    /** RFC 9162 inclusion proof of entry {@code index} in the tree of the first {@code size} entries (read from the tiles). */
    @Override
    public List<byte[]> inclusionProof(long index, long size) {
        try {
            catchUp();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the shared audit log: " + e.getMessage(), e);
        }
        synchronized (this) {
            return tree.inclusionProof(index, size);
        }
    }

    /** The C2SP hash tile {@code level}/{@code index}, its first {@code width} hashes. */
    @Override
    public byte[] tile(int level, long index, int width) {
        try {
            catchUp();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the shared audit log: " + e.getMessage(), e);
        }
        synchronized (this) {
            return tree.tile(level, index, width);
        }
    }

    /** The size of the tree this node mirrors now. */
    public synchronized long size() {
        return tree.size();
    }

    @Override
    public byte[] entry(long index) {
        try (Connection c = pool.getConnection(); PreparedStatement p = c.prepareStatement("SELECT entry FROM audit_entries WHERE seq = ?")) {
            p.setLong(1, index);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    throw new IllegalArgumentException("no entry " + index + " in the shared audit log");
                }
                return r.getBytes(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read audit entry " + index + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String verifierKey() {
        return signer.verifierKey();
    }

    /**
     * A copy in {@link FileAuditLog}'s file format for an auditor's pull: every checkpoint stored so
     * far, then the entries up to the largest (and any later ones), written into this node's
     * snapshot folder.
     */
    @Override
    public synchronized Snapshot snapshot() {
        try {
            Path dir = Files.createDirectories(snapshots);
            Path checkpoints = dir.resolve(FileAuditLog.CHECKPOINTS);
            Path entries = dir.resolve(FileAuditLog.ENTRIES);
            long covered = 0;
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ); // one view of both tables
                try (OutputStream out = Files.newOutputStream(checkpoints); Statement s = c.createStatement();
                        ResultSet r = s.executeQuery("SELECT size, note FROM audit_checkpoints ORDER BY size")) {
                    while (r.next()) {
                        covered = r.getLong(1);
                        byte[] b = r.getString(2).getBytes(StandardCharsets.UTF_8);
                        out.write(ByteBuffer.allocate(4).putInt(b.length).array());
                        out.write(b);
                    }
                }
                try (OutputStream out = Files.newOutputStream(entries); Statement s = c.createStatement()) {
                    s.setFetchSize(1000);
                    try (ResultSet r = s.executeQuery("SELECT entry FROM audit_entries ORDER BY seq")) {
                        while (r.next()) {
                            byte[] b = r.getBytes(1);
                            out.write(ByteBuffer.allocate(4).putInt(b.length).array());
                            out.write(b);
                        }
                    }
                }
                c.commit();
            }
            return new Snapshot(signer.verifierKey(), checkpoints, Files.size(checkpoints), entries, Files.size(entries));
        } catch (IOException | SQLException e) {
            throw new IllegalStateException("cannot copy the shared audit log: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        integrator.shutdownNow();
        try {
            if (leader) {
                checkpointNow();
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("cannot sign the last audit checkpoint: {}", e.toString());
        }
        dropLead();
        tiles.close();
        pool.close();
    }
}
