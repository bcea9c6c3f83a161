package org.liaison.gateway.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.liaison.gateway.store.MessageStore.Deliver;
import org.liaison.gateway.store.MessageStore.Expire;
import org.liaison.gateway.store.MessageStore.Fail;
import org.liaison.gateway.store.MessageStore.Retry;
import org.liaison.gateway.store.MessageStore.Send;
import org.liaison.gateway.store.MessageStore.State;
import org.liaison.gateway.store.MessageStore.Transition;

/**
 * The state machine and leases of things a node sends until the peer takes them (see {@link State}): a
 * recipient's delivery of a message ({@code deliveries}) and a stage notice to a message's sender
 * ({@code notices}). One table description per kind; the SQL is the same: a transition is a compare and set
 * on the state, a SENDING row is leased to one process until a deadline (with the holder's id where the
 * store records it), and a lease that ended without an outcome goes back to RETRYING, due at once.
 */
final class Leases {
    /**
     * A table of leased rows: its name, the columns of its key, a condition every row of the kind meets
     * ({@code ""} or {@code " AND …"}), its next-attempt, delivered and lease columns, how its times are written
     * and read, and whether it records the lease holder ({@code leased_by}).
     */
    record Table(String name, List<String> key, String kind, String next, String delivered, String lease, boolean holder,
            Function<Instant, Object> time) {
        String where() {
            return String.join(" = ? AND ", key) + " = ?" + kind;
        }
    }

    private Leases() {}

    /**
     * Moves the row with this key from {@code from} to the transition's state if it is still in {@code from}
     * (compare and set); whether it was. {@code nodeId}: the lease holder recorded by a Send (null: none).
     *
     * @throws IllegalStateException when {@code from} may not go to that state (see {@link State#next})
     */
    static boolean transition(Connection c, Table t, List<String> key, State from, Transition tr, String nodeId) throws SQLException {
        check(t, key, from, tr);
        boolean holder = t.holder() && nodeId != null;
        String release = ", " + t.lease() + " = NULL" + (t.holder() ? ", leased_by = NULL" : "");
        List<Object> v = new ArrayList<>();
        v.add(tr.to().name());
        String set;
        if (tr instanceof Send s) {
            set = "state = ?, " + t.lease() + " = ?" + (holder ? ", leased_by = ?" : "");
            v.add(t.time().apply(s.leaseUntil()));
            if (holder) {
                v.add(nodeId);
            }
        } else if (tr instanceof Deliver d) {
            set = "state = ?, attempts = ?, receipt = ?, " + t.delivered() + " = ?, last_error = NULL" + release;
            v.addAll(Arrays.asList(d.attempts(), d.receipt(), t.time().apply(d.deliveredAt())));
        } else if (tr instanceof Retry r) {
            set = "state = ?, attempts = ?, " + t.next() + " = ?, last_error = ?" + release;
            v.addAll(Arrays.asList(r.attempts(), t.time().apply(r.next()), r.error()));
        } else if (tr instanceof Fail f) {
            set = "state = ?, attempts = ?, last_error = ?" + release;
            v.addAll(Arrays.asList(f.attempts(), f.error()));
        } else {
            Expire e = (Expire) tr;
            set = "state = ?, attempts = ?, last_error = ?" + release;
            v.addAll(Arrays.asList(e.attempts(), e.error()));
        }
        try (PreparedStatement p = c.prepareStatement("UPDATE " + t.name() + " SET " + set + " WHERE " + t.where() + " AND state = ?")) {
            int i = bind(p, 1, v);
            i = bind(p, i, Collections.unmodifiableList(new ArrayList<Object>(key)));
            p.setString(i, from.name());
            return p.executeUpdate() == 1;
        }
    }

    private static void check(Table t, List<String> key, State from, Transition tr) {
        if (!from.next().contains(tr.to())) {
            throw new IllegalStateException(t.name() + " " + key + ": " + from + " may not go to " + tr.to() + " (expected one of "
                    + from.next() + ")");
        }
    }

    private static int bind(PreparedStatement p, int i, List<Object> values) throws SQLException {
        for (Object o : values) {
            p.setObject(i++, o);
        }
        return i;
    }

    /** A leased row whose lease ended: its key and its attempts so far. */
    record Expired(List<String> key, int attempts) {}

    /** The SENDING rows whose lease ended at {@code now} (or that have none). */
    static List<Expired> expired(Connection c, Table t, Instant now) throws SQLException {
        List<Expired> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement("SELECT " + String.join(", ", t.key()) + ", attempts FROM " + t.name()
                + " WHERE state = 'SENDING' AND (" + t.lease() + " IS NULL OR " + t.lease() + " <= ?)" + t.kind())) {
            p.setObject(1, t.time().apply(now));
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    List<String> key = new ArrayList<>();
                    for (int i = 1; i <= t.key().size(); i++) {
                        key.add(r.getString(i));
                    }
                    out.add(new Expired(List.copyOf(key), r.getInt(t.key().size() + 1)));
                }
            }
        }
        return out;
    }

    /** What an interrupted attempt records when its lease is recovered. */
    static final String INTERRUPTED = "the attempt's lease ended without an outcome (interrupted)";

    /**
     * The SENDING rows whose lease ended, except those {@code inFlight} (keys joined by '/'), go back to RETRYING,
     * due at {@code now}; how many did.
     */
    static int recoverExpired(Connection c, Table t, Instant now, java.util.Set<String> inFlight, String nodeId) throws SQLException {
        int n = 0;
        for (Expired e : expired(c, t, now)) {
            if (!inFlight.contains(String.join("/", e.key()))) {
                n += transition(c, t, e.key(), State.SENDING, new Retry(e.attempts(), now, INTERRUPTED), nodeId) ? 1 : 0;
            }
        }
        return n;
    }

    /** Extends the leases of rows this process is sending (keys joined by '/'); with a holder, only its own. */
    static void renew(Connection c, Table t, java.util.Set<String> inFlight, Instant until, String nodeId) throws SQLException {
        if (inFlight.isEmpty()) {
            return;
        }
        boolean holder = t.holder() && nodeId != null;
        try (PreparedStatement p = c.prepareStatement("UPDATE " + t.name() + " SET " + t.lease() + " = ? WHERE " + t.where()
                + " AND state = 'SENDING'" + (holder ? " AND leased_by = ?" : ""))) {
            for (String d : inFlight) {
                String[] parts = d.split("/", t.key().size());
                int i = 1;
                p.setObject(i++, t.time().apply(until));
                for (String part : parts) {
                    p.setString(i++, part);
                }
                if (holder) {
                    p.setString(i, nodeId);
                }
                p.addBatch();
            }
            p.executeBatch();
        }
    }

    /**
     * At start: the rows this process was sending when it stopped go back to RETRYING, due now. With a holder
     * recorded (several nodes on one database), only its own leases, those without a holder and those that
     * ended; another live node's are left alone. Without one (one node), every SENDING row.
     */
    static int recoverInterrupted(Connection c, Table t, Instant now, String nodeId) throws SQLException {
        boolean holder = t.holder() && nodeId != null;
        try (PreparedStatement p = c.prepareStatement("UPDATE " + t.name() + " SET state = 'RETRYING', " + t.next() + " = ?, "
                + t.lease() + " = NULL" + (t.holder() ? ", leased_by = NULL" : "") + " WHERE state = 'SENDING'" + t.kind()
                + (holder ? " AND (leased_by = ? OR leased_by IS NULL OR " + t.lease() + " IS NULL OR " + t.lease() + " <= ?)" : ""))) {
            p.setObject(1, t.time().apply(now));
            if (holder) {
                p.setString(2, nodeId);
                p.setObject(3, t.time().apply(now));
            }
            return p.executeUpdate();
        }
    }
}
