package org.liaison.gateway.tls;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.liaison.gateway.audit.AuditEvent;
import org.liaison.gateway.audit.AuditLog;
import org.liaison.gateway.net.Workers;

/**
 * Refused authentications — bad or missing certificates, failed handshakes, sessions whose
 * certificate was revoked since — audited, logged and counted, without letting a flood of them
 * flood the audit log or the operator's log.
 *
 * <p>Per remote host, API and certificate, the first refusal in a window is audited (an {@code auth-failure}
 * entry) and logged as one WARN line without a stack trace; later ones in the same window are only
 * counted, and one {@code auth-failure} entry with their number, first and last reason closes the
 * window (at the next refusal after it, or at {@link #flush}). Every refusal increments the metric.
 * At most {@link #MAX_WINDOWS} windows are open at once; refusals from further clients share one
 * window per API, so that a flood from many addresses writes a bounded number of entries too.
 * Refusals are appended to the audit log without an fsync of their own: they acknowledge nothing,
 * and the next durable entry covers them.
 */
public final class AuthFailures implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(AuthFailures.class);

    static final int MAX_ACTORS_PER_HOST = 8;
    /**
     * How many windows (client, API, certificate) are open at once. Beyond it, refusals from further
     * clients share one window per API ({@code from} {@value #MANY}): a flood from many addresses (an
     * IPv6 prefix, a botnet) writes a bounded number of entries a minute, and every refusal is still counted.
     */
    static final int MAX_WINDOWS = 256;
    static final String MANY = "*";
    private final AuditLog audit;
    /** Audit appends happen here: refusals are reported from event loops and trust managers, which must not write files. */
    private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "liaison-auth-failures");
        t.setDaemon(true);
        return t;
    });
    private final Runnable count;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Window> windows = new LinkedHashMap<>();
    /**
     * Handshakes whose refusal a trust manager already reported, by client host and port (the
     * engine a trust manager sees may be wrapped by the one the pipeline holds), so that the
     * failed-handshake event does not report it again. Bounded: old marks fall out.
     */
    private final Set<String> reported = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 10_000;
        }
    }));

    private static final class Window {
        final String host;
        final String api;
        final Instant start;
        int more;
        String lastReason;

        Window(String host, String api, Instant start) {
            this.host = host;
            this.api = api;
            this.start = start;
        }
    }

    public AuthFailures(AuditLog audit, Runnable count, Duration window, Clock clock) {
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window: " + window + " (expected: > 0)");
        }
        this.audit = audit;
        this.count = count;
        this.window = window;
        this.clock = clock;
    }

    public AuthFailures(AuditLog audit, Runnable count) {
        this(audit, count, Duration.ofMinutes(1), Clock.systemUTC());
    }

    /** A trust manager refused a certificate in the handshake on {@code engine} (null when unknown). */
    public void refused(SSLEngine engine, String api, String actor, String reason) {
        if (engine != null && engine.getPeerHost() != null) {
            reported.add(engine.getPeerHost() + " " + engine.getPeerPort());
        }
        refused(engine == null ? null : engine.getPeerHost(), api, actor, reason);
    }

    /** A handshake with the client at {@code host}:{@code port} failed: reported unless a trust manager already reported why. */
    public void handshakeFailed(String host, int port, String api, Throwable cause) {
        if (reported.remove(host + " " + port)) {
            return;
        }
        refused(host, api, "unknown", "handshake failed: " + rootMessage(cause));
    }

    /** A failed handshake on {@code connection} (its remote address names the client). */
    public void handshakeFailed(io.netty.channel.Channel connection, String api, Throwable cause) {
        java.net.InetSocketAddress a = connection.remoteAddress() instanceof java.net.InetSocketAddress
                ? (java.net.InetSocketAddress) connection.remoteAddress() : null;
        handshakeFailed(a == null ? null : a.getHostString(), a == null ? -1 : a.getPort(), api, cause);
    }

    /** A refused authentication on {@code connection}. */
    public void refused(io.netty.channel.Channel connection, String api, String actor, String reason) {
        refused(connection.remoteAddress() instanceof java.net.InetSocketAddress
                ? ((java.net.InetSocketAddress) connection.remoteAddress()).getHostString() : null, api, actor, reason);
    }

    /** Any refused authentication of a client at {@code host}. */
    public void refused(String host, String api, String actor, String reason) {
        count.run();
        String h = host == null ? "unknown" : host;
        Instant now = clock.instant();
        boolean first;
        String from = h;
        synchronized (this) {
            closeEnded(now);
            // One window per client, API and certificate; a host that shows many certificates in one
            // window (a flood of throw-away certificates) gets one window for all the others.
            String key = h + " " + api + " " + actor;
            if (!windows.containsKey(key) && windows.keySet().stream().filter(k -> k.startsWith(h + " " + api + " ")).count()
                    >= MAX_ACTORS_PER_HOST) {
                key = h + " " + api + " *";
            }
            if (!windows.containsKey(key) && windows.size() >= MAX_WINDOWS) {
                key = MANY + " " + api + " *";
                from = MANY;
            }
            Window w = windows.get(key);
            first = w == null;
            if (first) {
                windows.put(key, new Window(from, api, now));
            } else {
                w.more++;
                w.lastReason = reason;
            }
        }
        if (first) {
            String why = from.equals(MANY) ? reason + " (at " + h + "; while " + MAX_WINDOWS + " clients are refused at once,"
                    + " the refusals of further ones are audited together, from " + MANY + ")" : reason;
            AuditEvent e = AuditEvent.of(clock, "auth-failure", actor, null, null, "refused", api + ": " + why).with("from", from);
            Workers.quietly(writer, () -> audit.append(e), "audit a refused authentication");
            LOG.warn("{}: refused a client at {}: {}", api, h, reason);
        } else {
            LOG.debug("{}: refused a client at {} again: {}", api, h, reason);
        }
    }

    /** Writes the summaries of windows that ended (all of them when {@code all}), so that no count is lost. */
    public void flush(boolean all) {
        synchronized (this) {
            if (all) {
                closeAll();
            } else {
                closeEnded(clock.instant());
            }
        }
    }

    private void closeEnded(Instant now) {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext();) {
            Window w = it.next();
            if (!now.isBefore(w.start.plus(window))) {
                summarize(w);
                it.remove();
            }
        }
    }

    private void closeAll() {
        windows.values().forEach(this::summarize);
        windows.clear();
    }

    private void summarize(Window w) {
        if (w.more > 0) {
            AuditEvent e = AuditEvent.of(clock, "auth-failure", "unknown", null, null, "refused", w.api + ": " + w.more
                    + " more refusals since " + w.start + " (last: " + w.lastReason + ")").with("from", w.host)
                    .with("count", Integer.toString(w.more));
            Workers.quietly(writer, () -> audit.append(e), "audit refused authentications");
            LOG.warn("{}: refused {} more clients at {} since {} (last: {})", w.api, w.more, w.host, w.start, w.lastReason);
        }
    }

    /** Writes the summaries of all windows and waits (a few seconds at most) until every entry is appended. */
    @Override
    public void close() {
        flush(true);
        writer.shutdown();
        try {
            writer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
